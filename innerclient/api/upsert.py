"""Bulk upsert of departments and people through the import machinery.

An API request is treated as an import file whose rows are the items: the same planner
(``org/importing/validate.py``) checks every item against the current structure, and the same
appliers write the plan in bulk with one audit row per changed object. Everything happens in
one transaction under the organization's lock, so a request with any invalid item writes
nothing, and repeating a request changes nothing (and writes no audit rows) the second time.
Missing departments or people are never deactivated by an upsert.
"""

from typing import Any

from django.db import transaction
from django.utils import translation

from innerclient.api.auth import ApiAccess
from innerclient.api.errors import ApiError
from innerclient.api.schemas import DepartmentIn, PersonIn
from innerclient.core.audit import audit_record
from innerclient.core.models import Organization
from innerclient.org.importing.apply import APPLIERS
from innerclient.org.importing.fields import DEPARTMENTS, PEOPLE
from innerclient.org.importing.snapshot import Snapshot, fetch_snapshot
from innerclient.org.importing.validate import PLANNERS, Issue, Record


def _flag(value: bool) -> str:
    return "1" if value else "0"


def _department_records(items: list[DepartmentIn], snapshot: Snapshot) -> list[Record]:
    given = set().union(*(item.model_fields_set for item in items))
    records = []
    for index, item in enumerate(items):
        current = snapshot.departments.get(item.code.strip())
        values = {"code": item.code, "name_ru": item.name_ru}
        for name in ("name_en", "parent_code", "head_email"):
            if name in item.model_fields_set:
                values[name] = getattr(item, name)
            elif name in given:  # another item sets it: this one keeps what it has
                values[name] = getattr(current, name) if current else ""
        if "active" in item.model_fields_set:
            values["active"] = _flag(item.active)
        else:
            values["active"] = _flag(current.is_active if current else True)
        records.append((index, values))
    return records


def _person_records(items: list[PersonIn], snapshot: Snapshot) -> list[Record]:
    given = set().union(*(item.model_fields_set for item in items))
    records = []
    for index, item in enumerate(items):
        current = snapshot.people.get(item.email.strip().lower())
        values = {
            "email": item.email,
            "full_name": item.full_name,
            "department_code": item.department_code,
        }
        for name in ("position", "is_head"):
            if name in item.model_fields_set:
                value = getattr(item, name)
                values[name] = _flag(value) if isinstance(value, bool) else value
            elif name in given:
                value = getattr(current, name) if current else getattr(item, name)
                values[name] = _flag(value) if isinstance(value, bool) else value
        if "active" in item.model_fields_set:
            values["active"] = _flag(item.active)
        else:
            values["active"] = _flag(current.is_active if current else True)
        if "language" in item.model_fields_set:
            values["language"] = item.language
        records.append((index, values))
    return records


RECORDS = {DEPARTMENTS: _department_records, PEOPLE: _person_records}


def _loc(issue: Issue) -> list[str | int]:
    loc: list[str | int] = ["body", "items"]
    if issue.row is not None:
        loc.append(issue.row)
    if issue.field:
        loc.append(issue.field)
    return loc


def structure_upsert(*, access: ApiAccess, kind: str, items: list[Any]) -> dict:
    """Create or update the items, all or nothing; 422 with every item's problems otherwise."""
    organization = access.organization
    # API messages are in English (docs/api.md); the planner's come through gettext.
    with translation.override("en"), transaction.atomic():
        # One structure write at a time per organization, as for file imports.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        snapshot = fetch_snapshot(organization)
        plan = PLANNERS[kind](RECORDS[kind](items, snapshot), snapshot)
        if plan.errors:
            raise ApiError(
                422,
                "invalid_items",
                f"{len(plan.errors)} problem(s) in the items: nothing was written.",
                details=[{"loc": _loc(i), "message": i.message} for i in plan.errors],
            )
        result = APPLIERS[kind](
            organization=organization, actor=access.actor, plan=plan, deactivate_missing=False
        )
        summary = result.as_dict()
        if plan.change_count(deactivate_missing=False):
            audit_record(
                organization=organization,
                actor=access.actor,
                action=f"api.{kind}.upsert",
                obj=access.token,
                changes={
                    "via": "api_token",
                    "token": f"{access.token.name} ({access.token.prefix}…)",
                    "items": len(items),
                    **summary,
                },
            )
    return {
        "created": summary["created"],
        "updated": summary["updated"],
        "unchanged": summary["unchanged"],
        "heads_changed": summary["heads_changed"],
        "warnings": [{"loc": _loc(i), "message": i.message} for i in plan.warnings],
    }
