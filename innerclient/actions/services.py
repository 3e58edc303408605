"""Write services for action plans: create, update, change status. Each validates everything
first (every problem is reported at once, keyed by field), then writes the row and its audit
row in one transaction, so a refused write leaves nothing behind."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from innerclient.actions.models import ActionPlan, ProblemKindChoice
from innerclient.core.audit import audit_record
from innerclient.core.models import Organization
from innerclient.org.models import Department, Person
from innerclient.surveys.models import Criterion, Cycle

TITLE_MAX = ActionPlan._meta.get_field("title").max_length
EDITABLE = (
    "department",
    "cycle",
    "problem_kind",
    "criterion",
    "client_department",
    "title",
    "description",
    "owner",
    "due_date",
    "result_note",
)


def _check(organization: Organization, values: dict[str, Any], *, today: date, current=None):
    """Errors ``{field: message}`` for the values an action would get (all fields present)."""
    errors: dict[str, str] = {}
    department = values["department"]
    if not isinstance(department, Department) or department.organization_id != organization.pk:
        errors["department"] = _("Choose a department of this organization.")
    elif not department.is_active and (current is None or current.department_id != department.pk):
        errors["department"] = _("This department is inactive.")
    title = values["title"]
    if not title:
        errors["title"] = _("Say what will be done.")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("Keep the action under %(n)s characters.") % {"n": TITLE_MAX}
    owner = values["owner"]
    if not isinstance(owner, Person) or owner.organization_id != organization.pk:
        errors["owner"] = _("Choose the owner among the people of this organization.")
    elif not owner.is_active and (current is None or current.owner_id != owner.pk):
        errors["owner"] = _("This person is inactive: choose another owner.")
    due = values["due_date"]
    if not isinstance(due, date):
        errors["due_date"] = _("Set a due date.")
    elif due < today and (current is None or current.due_date != due):
        errors["due_date"] = _("The due date cannot be in the past.")
    cycle = values["cycle"]
    if cycle is not None:
        if cycle.organization_id != organization.pk:
            errors["cycle"] = _("Choose a cycle of this organization.")
        elif cycle.status != Cycle.Status.PUBLISHED and (
            current is None or current.cycle_id != cycle.pk
        ):
            errors["cycle"] = _("An action can only refer to a published cycle.")
    kind = values["problem_kind"]
    if kind and kind not in ProblemKindChoice.values:
        errors["problem_kind"] = _("Unknown kind of problem area.")
    criterion = values["criterion"]
    if criterion is not None:
        if criterion.criteria_set.organization_id != organization.pk:
            errors["criterion"] = _("Choose a criterion of this organization.")
        elif cycle is not None and criterion.criteria_set_id != cycle.criteria_set_id:
            errors["criterion"] = _("The criterion is not one of the cycle's criteria.")
    client = values["client_department"]
    if client is not None:
        if client.organization_id != organization.pk:
            errors["client_department"] = _("Choose a department of this organization.")
        elif isinstance(department, Department) and client.pk == department.pk:
            errors["client_department"] = _("A department is not its own client.")
    if (criterion is not None or client is not None) and not kind:
        errors.setdefault(
            "problem_kind", _("A criterion or a client department belongs to a problem area.")
        )
    return errors


def _clean_text(values: dict[str, Any]) -> None:
    for key in ("title", "description", "result_note"):
        if key in values and values[key] is not None:
            values[key] = str(values[key]).strip()


def _status_errors(status: str, result_note: str) -> dict[str, str]:
    if status not in ActionPlan.Status.values:
        return {"status": _("Unknown status.")}
    if status == ActionPlan.Status.DONE and not result_note:
        return {"result_note": _("Describe the result before marking the action done.")}
    return {}


@transaction.atomic
def action_create(
    *,
    actor,
    organization: Organization,
    department: Department,
    title: str,
    owner: Person,
    due_date: date,
    description: str = "",
    cycle: Cycle | None = None,
    problem_kind: str = "",
    criterion: Criterion | None = None,
    client_department: Department | None = None,
    status: str = ActionPlan.Status.PLANNED,
    result_note: str = "",
    today: date | None = None,
) -> ActionPlan:
    """Record an action of ``department``. Raises ValidationError ``{field: message}``."""
    values = {
        "department": department,
        "cycle": cycle,
        "problem_kind": problem_kind or "",
        "criterion": criterion,
        "client_department": client_department,
        "title": title,
        "description": description or "",
        "owner": owner,
        "due_date": due_date,
        "result_note": result_note or "",
    }
    _clean_text(values)
    today = today or timezone.localdate()
    errors = _check(organization, values, today=today)
    errors.update(_status_errors(status, values["result_note"]))
    if errors:
        raise ValidationError(errors)
    action = ActionPlan.objects.create(
        organization=organization,
        status=status,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **values,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="action.create",
        obj=action,
        changes={
            "department": department.code,
            "cycle": cycle.name if cycle else None,
            "problem_kind": action.problem_kind,
            "criterion": criterion.code if criterion else None,
            "client_department": client_department.code if client_department else None,
            "title": action.title,
            "owner": owner.email,
            "due_date": action.due_date,
            "status": action.status,
        },
    )
    return action


def _locked(action: ActionPlan) -> ActionPlan:
    return (
        ActionPlan.objects.select_for_update(of=("self",))
        .select_related("organization", "department", "owner", "cycle")
        .get(pk=action.pk)
    )


def _audit_value(value):
    if isinstance(value, Department):
        return value.code
    if isinstance(value, Person):
        return value.email
    if isinstance(value, Criterion):
        return value.code
    if isinstance(value, Cycle):
        return value.name
    return value


@transaction.atomic
def action_update(
    *, actor, action: ActionPlan, status: str | None = None, today: date | None = None, **fields
) -> ActionPlan:
    """Change any of ``EDITABLE`` (and the status, through ``action_set_status``).

    Values not given stay as they are. Writes nothing when nothing changes."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"action_update() got unexpected fields: {sorted(unknown)}")
    action = _locked(action)
    values = {key: getattr(action, key) for key in EDITABLE}
    values.update(fields)
    _clean_text(values)
    today = today or timezone.localdate()
    errors = _check(action.organization, values, today=today, current=action)
    if status is not None:
        errors.update(_status_errors(status, values["result_note"]))
    if errors:
        raise ValidationError(errors)
    changes = {}
    for key in EDITABLE:
        old, new = getattr(action, key), values[key]
        if old != new:
            changes[key] = [_audit_value(old), _audit_value(new)]
            setattr(action, key, new)
    if changes:
        action.save(update_fields=[*changes, "updated_at"])
        audit_record(
            organization=action.organization,
            actor=actor,
            action="action.update",
            obj=action,
            changes=changes,
        )
    if status is not None and status != action.status:
        action = action_set_status(actor=actor, action=action, status=status)
    return action


@transaction.atomic
def action_set_status(
    *, actor, action: ActionPlan, status: str, result_note: str | None = None
) -> ActionPlan:
    """Move the action to ``status``; ``done`` needs a result note (given here or stored)."""
    action = _locked(action)
    note = action.result_note if result_note is None else result_note.strip()
    errors = _status_errors(status, note)
    if errors:
        raise ValidationError(errors)
    changes = {}
    if action.status != status:
        changes["status"] = [action.status, status]
    if action.result_note != note:
        changes["result_note"] = [action.result_note, note]
    if not changes:
        return action
    action.status = status
    action.result_note = note
    action.save(update_fields=["status", "result_note", "updated_at"])
    audit_record(
        organization=action.organization,
        actor=actor,
        action="action.set_status",
        obj=action,
        changes=changes,
    )
    return action
