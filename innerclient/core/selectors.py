import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from innerclient.core.models import AuditEntry, Membership, Organization


def memberships_for_user(user) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, organization__is_active=True)
        .select_related("organization")
        .order_by("organization__name")
    )


def audit_entries(organization: Organization, *, action_prefix: str = "") -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(organization=organization).select_related("actor")
    if action_prefix:
        entries = entries.filter(action__startswith=action_prefix)
    return entries


# Keys whose value is a list of things, not a ``[old, new]`` change (audit rows of
# cycle.invitation_add, demo.generate).
LIST_KEYS = frozenset({"providers", "steps"})
EMPTY = "—"


@dataclass(frozen=True)
class AuditChange:
    """One key of an audit row's ``changes``, as text: ``old`` is set for ``[old, new]`` pairs."""

    key: str
    old: str | None
    new: str
    is_change: bool


@dataclass(frozen=True)
class AuditRow:
    created_at: datetime
    actor: str
    action: str
    object_repr: str
    changes: list[AuditChange]


def _text(value: Any) -> str:
    if value is None:
        return EMPTY
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def audit_changes(changes: Any) -> list[AuditChange]:
    """``changes`` as plain rows, so that no key (``items``, ``keys``…) reaches a template as an
    attribute lookup. ``{field: [old, new]}`` is the services' convention; anything else is
    shown as it is."""
    if not isinstance(changes, dict):
        return [] if changes in (None, "", []) else [AuditChange("", None, _text(changes), False)]
    rows = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2 and key not in LIST_KEYS:
            rows.append(AuditChange(str(key), _text(value[0]), _text(value[1]), True))
        else:
            rows.append(AuditChange(str(key), None, _text(value), False))
    return rows


def audit_rows(entries) -> list[AuditRow]:
    """One page of entries (``select_related("actor")``) as plain rows for the template."""
    return [
        AuditRow(
            created_at=entry.created_at,
            actor=str(entry.actor) if entry.actor else "",
            action=entry.action,
            object_repr=entry.object_repr,
            changes=audit_changes(entry.changes),
        )
        for entry in entries
    ]
