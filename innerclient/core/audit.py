"""The audit log: every write service calls ``audit_record`` inside its transaction."""

from typing import Any

from django.db import models

from innerclient.core.models import AuditEntry, Organization


def audit_record(
    *,
    organization: Organization | None,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    return AuditEntry.objects.create(
        organization=organization,
        actor_id=actor_id if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        changes=_jsonable(changes or {}),
    )


def model_changes(instance: models.Model, fields: list[str], new_values: dict[str, Any]) -> dict:
    """``{field: [old, new]}`` for the fields whose value would change."""
    result = {}
    for field in fields:
        if field not in new_values:
            continue
        old = getattr(instance, field)
        new = new_values[field]
        if old != new:
            result[field] = [old, new]
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return {"id": value.pk, "repr": str(value)}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
