"""The layering of the apps: each app imports only from apps on layers below its own.

``LAYERS`` is the table (docs/architecture.md, "Layers", explains it). Every ``.py`` under
``innerclient/<app>/`` is parsed, and an app may depend only on apps of a lower layer, never on
one of its own layer or above, through any of:

- ``import innerclient.x``, ``from innerclient.x import y``, ``from innerclient import x`` and
  relative imports, at the top of a module or inside a function;
- ``importlib.import_module``, ``__import__``, ``import_string`` and ``include`` with the
  module's name as a string (an f-string counts by its literal start; a name the test cannot
  read is refused: name the module literally);
- models named by label: ``ForeignKey("x.Model")`` and its siblings, ``apps.get_model("x.Model")``,
  and a migration's ``dependencies``.

``innerclient/settings.py``, ``urls.py``, ``wsgi.py`` and ``asgi.py`` are the project level and
may import anything (the project's URL tree lists every app's pages). A new app must be added to
the table; an entry without its app fails too. ``scoring`` has a stricter rule of its own: no
Django and nothing but numpy, scipy and the standard library.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps

import innerclient

PACKAGE = Path(innerclient.__file__).parent

# app → layer. An app imports only from apps on lower layers; apps on one layer do not know each
# other. A new app takes the lowest layer above every app it imports (a new layer between two
# when it must sit between them). The apps STYLE.md foresees: identity beside accounts;
# diagnostics, touchpoints, standards, complaints above what they read (surveys, results).
LAYERS: dict[str, int] = {
    # Foundations: the pure statistics package, and organizations, roles, audit, email, jobs.
    "scoring": 0,
    "core": 0,
    # Sign-in; departments, people, the interaction map.
    "accounts": 1,
    "org": 1,
    # Cycles, rater lists, the questionnaire, responses.
    "surveys": 2,
    # What is done with the answers, each reading the ones before it.
    "results": 3,
    "actions": 4,
    "reports": 5,
    "appeals": 6,
    "regulation": 7,
    # Cross-app orchestration: publication, the reminder loop.
    "workflow": 8,
    # Integrations and operations: the REST API, archives, health, logs and failed jobs (ops
    # names the tasks and models of every app whose failures it attributes).
    "api": 9,
    "backup": 9,
    "ops": 9,
    # The demo company seeds everything.
    "demo": 10,
}

# Known references against the layering, each with its file and why it stays for now. An entry
# that is no longer needed fails the test, so the list only shrinks.
EXCEPTIONS: dict[tuple[str, str], str] = {
    # Membership.department (the department a head heads, an employee's own) points up from
    # core to org, while org's models import core's. Undoing it moves a model between apps
    # (Membership into org, or the link into a model of org's), a migration of its own.
    ("innerclient/core/models.py", "org"): "core.Membership.department → org.Department",
    ("innerclient/core/migrations/0002_initial.py", "org"): "the same field's migration",
}

PROJECT_MODULES = {"__init__.py", "settings.py", "urls.py", "wsgi.py", "asgi.py"}

SCORING_ALLOWED_ROOTS = {
    "numpy",
    "scipy",
    "innerclient",
    "__future__",
    "dataclasses",
    "typing",
    "math",
    "warnings",
    "enum",
    "collections",
}

IMPORT_CALLS = {"import_module", "__import__", "import_string", "include"}
RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


@dataclass(frozen=True)
class Dependency:
    path: Path
    line: int
    what: str  # the import or reference as written, for the message
    app: str | None  # the app of ours it reaches, None when it cannot be told


def _apps_on_disk() -> set[str]:
    return {
        path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()
    }


def _app_of_module(module: str, names: tuple[str, ...] = ()) -> list[str | None]:
    parts = module.split(".")
    if parts[0] != "innerclient":
        return []
    if len(parts) == 1:  # from innerclient import surveys
        return list(names)
    return [parts[1] or None]


def _package_of(path: Path) -> list[str]:
    parts = ["innerclient", *path.relative_to(PACKAGE).with_suffix("").parts]
    return parts if path.name != "__init__.py" else parts[:-1]


def _relative_module(path: Path, node: ast.ImportFrom) -> str:
    package = _package_of(path) if path.name == "__init__.py" else _package_of(path)[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _literal_start(node: ast.expr) -> str | None:
    """A string argument's text, or the literal start of an f-string; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


def _label_app(label: str, labels: dict[str, str]) -> list[str | None]:
    app_label = label.split(".")[0].lower()
    return [labels[app_label]] if "." in label and app_label in labels else []


def dependencies(path: Path, labels: dict[str, str]) -> list[Dependency]:
    """Every reference from ``path`` to an app of ours (itself included)."""
    found = []

    def add(node, what, targets):
        found.extend(Dependency(path, node.lineno, what, app) for app in targets)

    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(node, f"import {alias.name}", _app_of_module(alias.name))
        elif isinstance(node, ast.ImportFrom):
            module = _relative_module(path, node) if node.level else (node.module or "")
            names = tuple(alias.name for alias in node.names)
            add(node, f"from {module} import {', '.join(names)}", _app_of_module(module, names))
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Tuple) and first.elts:  # include(("x.urls", "namespace"))
                first = first.elts[0]
            if name in IMPORT_CALLS and first is not None:
                text = _literal_start(first)
                if text is not None:
                    add(node, f"{name}({text!r})", _app_of_module(text))
                elif name != "include":  # include() also takes a list of patterns
                    add(node, f"{name}(<not a literal>)", [None])
            elif name in RELATION_FIELDS or name == "get_model":
                to = next((k.value for k in node.keywords if k.arg == "to"), first)
                text = _literal_start(to) if to is not None else None
                if name == "get_model" and len(node.args) == 2 and text is not None:
                    text = f"{text}.{_literal_start(node.args[1])}"
                if text is not None:
                    add(node, f"{name}({text!r})", _label_app(text, labels))
        elif (
            isinstance(node, ast.Assign)
            and "migrations" in path.parts
            and any(isinstance(t, ast.Name) and t.id == "dependencies" for t in node.targets)
        ):
            for item in ast.walk(node.value):
                if isinstance(item, ast.Tuple) and item.elts:
                    label = _literal_start(item.elts[0])
                    if label is not None and label in labels:
                        add(item, f"migration dependency on {label!r}", [labels[label]])
    return found


def _our_labels() -> dict[str, str]:
    """App label → the app's folder name, for models named by label."""
    return {
        config.label: config.name.split(".")[1]
        for config in apps.get_app_configs()
        if config.name.startswith("innerclient.")
    }


def layering_violations(used_exceptions: set | None = None) -> list[str]:
    labels = _our_labels()
    problems = []
    used_exceptions = set() if used_exceptions is None else used_exceptions
    for app in sorted(_apps_on_disk()):
        layer = LAYERS.get(app)
        if layer is None:
            continue  # test_every_app_has_a_layer says so
        for path in sorted((PACKAGE / app).rglob("*.py")):
            for dep in dependencies(path, labels):
                where = f"{path.relative_to(PACKAGE.parent)}:{dep.line}: {dep.what}"
                if dep.app == app:
                    continue
                key = (str(path.relative_to(PACKAGE.parent)), dep.app)
                if key in EXCEPTIONS:
                    used_exceptions.add(key)
                    continue
                if dep.app is None:
                    problems.append(f"{where} (which app is it? name the module literally)")
                elif dep.app not in LAYERS:
                    problems.append(f"{where} (innerclient.{dep.app} is not an app of the table)")
                elif LAYERS[dep.app] >= layer:
                    problems.append(
                        f"{where} ({app} is on layer {layer}; {dep.app} on layer "
                        f"{LAYERS[dep.app]}: an app imports only from lower layers)"
                    )
    return problems


def test_every_app_has_a_layer_and_every_layer_entry_an_app():
    on_disk = _apps_on_disk()
    assert not on_disk - LAYERS.keys(), (
        f"apps without a layer in tests/test_layering.py: {sorted(on_disk - LAYERS.keys())}"
    )
    assert not LAYERS.keys() - on_disk, f"no such app: {sorted(LAYERS.keys() - on_disk)}"
    modules = {path.name for path in PACKAGE.glob("*.py")}
    assert modules <= PROJECT_MODULES, (
        f"modules at the project level: {sorted(modules - PROJECT_MODULES)}; put them in an app"
    )


def test_no_app_imports_from_its_own_layer_or_above():
    used = set()
    problems = layering_violations(used)
    assert not problems, "imports against the layering:\n" + "\n".join(problems)
    assert used == EXCEPTIONS.keys(), f"exceptions no longer needed: {EXCEPTIONS.keys() - used}"


def test_scoring_imports_nothing_but_numpy_scipy_and_the_standard_library():
    for path in sorted((PACKAGE / "scoring").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]} if not node.level else set()
            else:
                continue
            assert roots <= SCORING_ALLOWED_ROOTS, (
                f"{path.name}:{node.lineno} imports {roots - SCORING_ALLOWED_ROOTS}"
            )
