"""The audit log page renders every kind of row the code writes, whatever its keys.

``changes`` is free-form JSON: a key such as ``items`` (the API's structure upsert writes one)
must not shadow anything in the template. The action strings are read from the source, so a new
``audit_record(action=...)`` is rendered here without anyone remembering to add it.
"""

import ast
import json
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.html import escape

from innerclient.core.audit import audit_record
from innerclient.core.selectors import LIST_KEYS, audit_changes
from innerclient.org.importing.validate import PLANNERS

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[1] / "innerclient"
# Calls that write audit rows, and where their action is when it is not passed by keyword.
AUDIT_CALLS = {"audit_record": None, "AuditEntry": None, "_audit": 2}
# Values an f-string placeholder in an action can take.
PLACEHOLDERS = {
    "kind": sorted(PLANNERS),
    "change.action": ["create", "update", "deactivate"],  # org.importing.validate.Change
}

# Keys that are also names of dict methods or template lookups: none may break the page.
TRAP = {
    "items": 12,
    "keys": ["k1", "k2", "k3"],
    "values": {"nested": "value-7"},
    "get": [None, "got-it"],
    "pop": "popped",
    "update": [False, True],
}

# What each action's changes look like in the code that writes it (shapes and key names).
REALISTIC: dict[str, dict] = {
    "task.worker_lost": {"task": "data_import_apply_task", "attempt": 2, "outcome": "retried"},
    "action.create": {"department": "FIN", "cycle": "2026 Q1", "problem_kind": "criterion"},
    "action.update": {"title": ["Old title", "New title"], "due_date": [None, "2026-05-01"]},
    "action.set_status": {"status": ["planned", "done"], "result_note": [None, "Fixed"]},
    "link.create": {"client": "SALES", "provider": "IT", "weight": "1.0", "services": "Laptops"},
    "link.update": {"weight": ["1.0", "2.0"], "volume": [3, 40]},
    "link.delete": {"client": "SALES", "provider": "IT", "volume": 40},
    "map.apply": {"added": 3, "changed": 1, "removed": 0, "unchanged": 22},
    "department.create": {"name_ru": [None, "Финансы"], "parent": [None, "HQ"]},
    "department.update": {"name_ru": ["Финансы", "Финансовая служба"], "head": [None, "a@x.ru"]},
    "department.deactivate": {"is_active": [True, False], "code": "FIN"},
    "department.activate": {"is_active": [False, True], "code": "FIN"},
    "person.create": {"full_name": [None, "Иванов Иван"], "email": [None, "ivanov@x.ru"]},
    "person.update": {"position": ["Инженер", "Ведущий инженер"]},
    "person.deactivate": {"is_active": [True, False], "email": "ivanov@x.ru"},
    "person.activate": {"is_active": [False, True], "email": "ivanov@x.ru"},
    "import.apply": {
        "kind": "people",
        "filename": "people.xlsx",
        "created": 10,
        "updated": 2,
        "deactivated": 0,
        "heads_changed": 1,
        "unchanged": 300,
    },
    "demo.generate": {"seed": 7, "anchor": "2026-09-30", "steps": ["structure", "map", "cycles"]},
    "api_token.create": {"name": "HRIS", "prefix": "ic_ab12", "scopes": ["structure:write"]},
    "api_token.revoke": {"name": "HRIS", "prefix": "ic_ab12"},
    "api.departments.upsert": {
        "via": "api_token",
        "token": "HRIS (ic_ab12…)",
        "items": 25,
        "created": 3,
        "updated": 1,
        "deactivated": 0,
        "heads_changed": 0,
        "unchanged": 21,
    },
    "api.people.upsert": {
        "via": "api_token",
        "token": "HRIS (ic_ab12…)",
        "items": 400,
        "created": 12,
        "updated": 5,
        "deactivated": 0,
        "heads_changed": 2,
        "unchanged": 383,
    },
    "api.cycle.transition": {
        "via": "api_token",
        "token": "HRIS (ic_ab12…)",
        "token_id": 4,
        "status": ["open", "closed"],
    },
    "cards.archive": {"version": 2, "cards": 58, "language": "ru"},
    "regulation.publish": {"version": 3, "cycle": "2026 Q1", "methodology": {"mode": "mean"}},
    "regulation.acknowledge": {"version": 3},
    "appeal_settings.update": {"days_to_file": [10, 14]},
    "appeal.file": {"cycle": 5, "department": 9, "kind": "result"},
    "appeal.uphold": {"status": ["filed", "upheld"], "reason": "Wrong map", "version_before": 1},
    "appeal.reject": {"status": ["filed", "rejected"], "reason": "No grounds", "version_before": 1},
    "bonus_scheme.update": {"floor": ["0.9", "0.8"], "cap": ["1.1", "1.2"]},
    "results.compute": {
        "version": 2,
        "reason": "Appeal upheld",
        "departments_shown": 41,
        "methodology": {"aggregation": "mean", "index": "adjusted"},
        "exclusions": [[12, 3]],
    },
    "methodology.update": {"aggregation": ["mean", "median"]},
    "cycle.create": {"name": "2026 Q2", "criteria_set": "Default v1", "anonymity_threshold": 5},
    "cycle.update": {"name": ["2026 Q2", "2026 Q2 (spring)"]},
    "cycle.assignments_generate": {
        "rater_mode": "all",
        "sample_size": None,
        "include_self_assessment": True,
    },
    "cycle.invitation_add": {"person": "Иванов Иван", "providers": ["IT", "HR"]},
    "cycle.invitation_remove": {"person": "Иванов Иван"},
    "cycle.assignment_add": {"person": "Иванов Иван", "provider": "IT", "kind": "employee"},
    "cycle.assignment_remove": {"person": "Иванов Иван", "provider": "IT"},
    "cycle.client_provider_add": {"client": "SALES", "provider": "IT", "raters": 14},
    "cycle.client_provider_remove": {"client": "SALES", "provider": "IT", "ratings": 14},
    "cycle.open": {"status": ["draft", "open"], "criteria_set": "Default v1", "invitations": 250},
    "cycle.close": {"status": ["open", "closed"], "invitations_completed": 201},
    "cycle.publish": {"status": ["closed", "published"]},
    "cycle.remind_now": {"recipients": [None, 49]},
    "criteria_set.create": {
        "criteria": [{"code": "quality", "name_ru": "Качество", "weight": "1"}],
        "questions": ["Что улучшить?"],
    },
    "criteria_set.update": {
        "before": {"criteria": [{"code": "quality"}]},
        "after": {"criteria": [{"code": "quality"}, {"code": "overall"}]},
    },
    "criteria_set.version": {"from_version": 1, "version": 2, "draft_cycles_moved": 1},
    "organization.restored": {
        "archive_created_at": "2026-10-01T10:00:00+00:00",
        "rows": 123456,
        "accounts_created": 4,
    },
    "organization.create": {"name": "Альфа", "slug": "alfa"},
    "comment.hide": {"kind": "criterion", "comment_id": "5f1c", "reason": "Names a person"},
    "comment.restore": {"kind": "criterion", "comment_id": "5f1c", "is_active": [True, False]},
    "results.notify": {"emails": 57},
    "membership.create": {"user": "new@x.ru", "role": "analyst"},
    "membership.update": {"role": ["analyst", "coordinator"], "department": ["", "FIN"]},
    "user.create": {"username": "new@x.ru"},
    "signin.failed": {"address": "203.0.113.7", "failures": 3},
    "signin.locked": {"address": "203.0.113.7", "failures": 5, "minutes": 15},
    "signin.unlock": {"username": "olga@x.ru", "attempts_cleared": 1},
}


def _values(node: ast.expr, scope: ast.AST) -> list[str]:
    """Every action string an expression can produce."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _values(node.body, scope) + _values(node.orelse, scope)
    if isinstance(node, ast.Name):  # action = "..." earlier in the same function
        if node.id in {a.arg for a in scope.args.args + scope.args.kwonlyargs}:
            return []  # a helper passing its caller's action on: the callers are scanned
        found = []
        for assign in ast.walk(scope):
            if isinstance(assign, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == node.id for t in assign.targets
            ):
                found += _values(assign.value, scope)
        if found:
            return found
    if isinstance(node, ast.JoinedStr):
        results = [""]
        for part in node.values:
            if isinstance(part, ast.Constant):
                results = [r + part.value for r in results]
                continue
            name = ast.unparse(part.value)
            assert name in PLACEHOLDERS, f"unknown placeholder {{{name}}} in an audit action"
            results = [r + value for r in results for value in PLACEHOLDERS[name]]
        return results
    raise AssertionError(f"cannot read the audit action {ast.unparse(node)!r}")


def written_actions() -> set[str]:
    """The action strings of every audit row the code under innerclient/ writes."""
    actions: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "id", getattr(call.func, "attr", None))
                if name not in AUDIT_CALLS:
                    continue
                action = next((k.value for k in call.keywords if k.arg == "action"), None)
                position = AUDIT_CALLS[name]
                if action is None and position is not None and len(call.args) > position:
                    action = call.args[position]
                if action is None:
                    continue
                actions.update(_values(action, function))
    return actions


def _page(client, org, action: str) -> str:
    response = client.get(reverse("org:audit_log", args=[org.slug]), {"action": action})
    assert response.status_code == 200, action
    return response.content.decode()


def _shown(value) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def test_the_source_scan_finds_the_actions_the_code_writes():
    actions = written_actions()
    assert {"api.departments.upsert", "api.people.upsert", "department.deactivate"} <= actions
    assert {"membership.create", "person.update", "cycle.publish"} <= actions
    stale = set(REALISTIC) - actions
    assert not stale, f"examples for actions no code writes any more: {sorted(stale)}"


@pytest.mark.parametrize("action", sorted(written_actions()))
def test_every_action_the_code_writes_renders_with_its_values(
    coordinator_client, org, coordinator, action
):
    entry = audit_record(
        organization=org, actor=coordinator, action=action, changes=REALISTIC.get(action, TRAP)
    )
    entry.refresh_from_db()
    changes = entry.changes  # as stored: PostgreSQL's jsonb orders the keys of nested objects
    page = _page(coordinator_client, org, action)
    assert f"<code>{action}</code>" in page
    for key, value in changes.items():
        assert escape(key) in page
        pair = isinstance(value, list) and len(value) == 2 and key not in LIST_KEYS
        for shown in [_shown(v) for v in value] if pair else [_shown(value)]:
            assert escape(shown) in page, (action, key, shown)


def test_keys_named_like_dict_methods_do_not_break_the_page(coordinator_client, org, coordinator):
    audit_record(organization=org, actor=coordinator, action="api.people.upsert", changes=TRAP)
    page = _page(coordinator_client, org, "api.people.upsert")
    for key in TRAP:
        assert f"<strong>{key}</strong>" in page
    assert "got-it" in page and "popped" in page and "value-7" in page
    assert escape('["k1", "k2", "k3"]') in page


def test_a_changed_field_shows_old_and_new_and_a_list_shows_as_a_list():
    rows = audit_changes(
        {"role": ["analyst", "coordinator"], "providers": ["IT", "HR"], "items": 3, "x": None}
    )
    assert [(r.key, r.old, r.new, r.is_change) for r in rows] == [
        ("role", "analyst", "coordinator", True),
        ("providers", None, '["IT", "HR"]', False),
        ("items", None, "3", False),
        ("x", None, "—", False),
    ]


def test_changes_that_are_not_a_dict_still_render(coordinator_client, org, coordinator):
    from innerclient.core.models import AuditEntry

    for odd in (["a", "b", "c"], "plain text", 42):
        AuditEntry.objects.create(organization=org, action="test.odd", changes=odd)
    page = _page(coordinator_client, org, "test.odd")
    assert "plain text" in page and "42" in page
