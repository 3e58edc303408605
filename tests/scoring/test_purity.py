"""The scoring package stays pure: no Django, only numpy and scipy."""

import ast
from pathlib import Path

import innerclient.scoring

ALLOWED_ROOTS = {
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


def test_scoring_imports_nothing_but_numpy_scipy_and_the_standard_library():
    package = Path(innerclient.scoring.__file__).parent
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
                if (
                    node.module
                    and node.module.startswith("innerclient.")
                    and not node.module.startswith("innerclient.scoring")
                ):
                    raise AssertionError(f"{path.name} imports {node.module}")
            else:
                continue
            assert roots <= ALLOWED_ROOTS, f"{path.name} imports {roots - ALLOWED_ROOTS}"
