"""Writes of appeals and bonuses: settings, filing, deciding, the bonus scheme.

Each write is atomic and leaves an audit row. An upheld appeal acts through the services
that own the data: ``results.services.results_compute`` (a new result version without the
excluded client view; earlier versions stay) or ``reports.services.comment_hide``. Emails go
out once the transaction commits.
"""

import uuid
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from innerclient.appeals import notifications, selectors
from innerclient.appeals.models import Appeal, AppealSettings, BonusScheme
from innerclient.core.audit import audit_record
from innerclient.core.models import Membership, Organization
from innerclient.org.models import Department
from innerclient.results.selectors import snapshot_current
from innerclient.surveys.models import Cycle

# --- settings --------------------------------------------------------------------------------


@transaction.atomic
def appeal_settings_update(
    *, actor, organization: Organization, window_days: int, committee
) -> AppealSettings:
    """Change the window and the committee; committee members must belong to the org."""
    current, _created = AppealSettings.objects.get_or_create(organization=organization)
    members = set(
        Membership.objects.filter(organization=organization).values_list("user_id", flat=True)
    )
    chosen = {user.pk for user in committee}
    if not chosen <= members:
        raise ValidationError(
            _("Only members of the organization can sit on the committee."), code="committee"
        )
    before = {
        "window_days": current.window_days,
        "committee": sorted(selectors.committee_ids(current)),
    }
    current.window_days = window_days
    current.full_clean(exclude=["organization"])
    current.save()
    current.committee.set(chosen)
    after = {"window_days": current.window_days, "committee": sorted(chosen)}
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changes:
        audit_record(
            organization=organization,
            actor=actor,
            action="appeal_settings.update",
            obj=current,
            changes=changes,
        )
    return current


# --- filing ----------------------------------------------------------------------------------


def _membership(actor, organization: Organization) -> Membership | None:
    return Membership.objects.filter(user=actor, organization=organization).first()


def _check_target(
    *,
    cycle: Cycle,
    department: Department,
    kind: str,
    client_department: Department | None,
    comment_kind: str,
    comment_id,
) -> None:
    snapshot = snapshot_current(cycle)
    if kind == Appeal.Kind.CLIENT_VIEW:
        shown = {v.department_id for v in selectors.shown_client_views(snapshot, department)}
        if client_department is None or client_department.pk not in shown:
            raise ValidationError(
                _("Choose a client department whose view the current results show."),
                code="target",
            )
        return
    if kind != Appeal.Kind.COMMENT:
        raise ValidationError(_("Choose what you dispute."), code="kind")
    shown = {(c.kind, c.id) for c in selectors.shown_comments(cycle, snapshot, department)}
    if (comment_kind, str(comment_id)) not in shown:
        raise ValidationError(
            _("Choose a comment that the department's card shows."), code="target"
        )


@transaction.atomic
def appeal_file(
    *,
    actor,
    cycle: Cycle,
    department: Department,
    kind: str,
    text: str,
    client_department: Department | None = None,
    comment_kind: str = "",
    comment_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> Appeal:
    """File an appeal for ``department`` against the cycle's current results.

    Refused outside the window, for a target the current results do not show, and when an
    appeal on the same target is still open."""
    organization = cycle.organization
    membership = _membership(actor, organization)
    if membership is None or not selectors.can_file_for(membership, department):
        raise PermissionDenied
    settings = selectors.appeal_settings(organization)
    if cycle.status != Cycle.Status.PUBLISHED:
        raise ValidationError(_("Appeals are filed against published results."), code="status")
    if not selectors.appeal_window_open(cycle, settings, now):
        last = selectors.appeal_last_day(cycle, settings)
        raise ValidationError(
            _(
                "The time for appeals against “%(cycle)s” ended on %(date)s "
                "(%(days)d days after publication)."
            ),
            code="window",
            params={
                "cycle": cycle.name,
                "date": last.strftime("%d.%m.%Y") if last else "",
                "days": settings.window_days,
            },
        )
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Explain why the result is unfair."), code="text")
    if kind != Appeal.Kind.CLIENT_VIEW:
        client_department = None
    if kind != Appeal.Kind.COMMENT:
        comment_kind, comment_id = "", None
    else:
        try:
            comment_id = uuid.UUID(str(comment_id))
        except ValueError:
            raise ValidationError(_("Choose what you dispute."), code="target") from None
    _check_target(
        cycle=cycle,
        department=department,
        kind=kind,
        client_department=client_department,
        comment_kind=comment_kind,
        comment_id=comment_id,
    )
    duplicate = Appeal.objects.filter(cycle=cycle, status=Appeal.Status.FILED, kind=kind)
    if kind == Appeal.Kind.CLIENT_VIEW:
        duplicate = duplicate.filter(department=department, client_department=client_department)
    else:
        duplicate = duplicate.filter(comment_kind=comment_kind, comment_id=comment_id)
    open_appeal = duplicate.first()
    if open_appeal is not None:
        raise ValidationError(
            _("Appeal #%(number)d on the same point is still open: wait for its decision."),
            code="duplicate",
            params={"number": open_appeal.pk},
        )
    snapshot = snapshot_current(cycle)
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                organization=organization,
                cycle=cycle,
                department=department,
                filed_by=actor,
                kind=kind,
                client_department=client_department,
                comment_kind=comment_kind,
                comment_id=comment_id,
                text=text,
                version_before=snapshot.version if snapshot else None,
            )
    except IntegrityError:  # a concurrent request filed the same appeal first
        raise ValidationError(
            _("An appeal on the same point is already open."), code="duplicate"
        ) from None
    audit_record(
        organization=organization,
        actor=actor,
        action="appeal.file",
        obj=appeal,
        changes={
            "cycle": cycle.pk,
            "department": department.pk,
            "kind": kind,
            "client_department": client_department.pk if client_department else None,
            "comment": [comment_kind, str(comment_id)] if comment_id else None,
            "version": appeal.version_before,
            "on_behalf": membership.department_id != department.pk,
        },
    )
    notifications.appeal_filed_enqueue(appeal_id=appeal.pk)
    return appeal


# --- deciding --------------------------------------------------------------------------------


@transaction.atomic
def appeal_decide(*, actor, appeal: Appeal, upheld: bool, reason: str) -> Appeal:
    """The committee's decision with its written reason.

    Upheld, a client-view appeal makes a new result version without that client
    department's answers about the department (the exclusions of the current version are
    carried over); a comment appeal hides the comment. Rejected, nothing else changes."""
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("cycle__organization", "department", "client_department")
        .get(pk=appeal.pk)
    )
    organization = appeal.cycle.organization
    settings = selectors.appeal_settings(organization)
    membership = _membership(actor, organization)
    if not selectors.can_decide(membership, settings):
        raise PermissionDenied
    if selectors.heads_own_department(membership, appeal.department_id):
        raise ValidationError(
            _("You head the department that appealed: another member must decide."),
            code="conflict",
        )
    if not appeal.is_open:
        raise ValidationError(_("This appeal has already been decided."), code="decided")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Write the reason for the decision."), code="reason")
    note = _("Appeal #%(number)d upheld: %(reason)s") % {"number": appeal.pk, "reason": reason}
    if upheld and appeal.kind == Appeal.Kind.CLIENT_VIEW:
        from innerclient.results.services import results_compute

        current = snapshot_current(appeal.cycle)
        previous = [tuple(pair) for pair in (current.payload.get("exclusions") or [])]
        snapshot = results_compute(
            actor=actor,
            cycle=appeal.cycle,
            reason=note[:300],
            exclusions=[*previous, (appeal.department_id, appeal.client_department_id)],
        )
        appeal.version_after = snapshot.version
    elif upheld:
        from innerclient.reports.services import comment_hide

        comment_hide(
            actor=actor,
            organization=organization,
            kind=appeal.comment_kind,
            comment_id=appeal.comment_id,
            reason=note[:500],
        )
    appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
    appeal.decision_reason = reason
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.save(
        update_fields=["status", "decision_reason", "decided_by", "decided_at", "version_after"]
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="appeal.uphold" if upheld else "appeal.reject",
        obj=appeal,
        changes={
            "status": [Appeal.Status.FILED, appeal.status],
            "reason": reason,
            "version_before": appeal.version_before,
            "version_after": appeal.version_after,
        },
    )
    notifications.appeal_decided_enqueue(appeal_id=appeal.pk)
    return appeal


# --- bonus scheme ----------------------------------------------------------------------------

SCHEME_FIELDS = ("mode", "bands", "slope", "cap", "min_raters", "max_ci_half_width")


@transaction.atomic
def bonus_scheme_update(*, actor, organization: Organization, values: dict) -> BonusScheme:
    current, _created = BonusScheme.objects.get_or_create(organization=organization)
    before = {name: _plain(getattr(current, name)) for name in SCHEME_FIELDS}
    for name in SCHEME_FIELDS:
        if name in values:
            setattr(current, name, values[name])
    current.full_clean(exclude=["organization"])
    current.save()
    after = {name: _plain(getattr(current, name)) for name in SCHEME_FIELDS}
    changes = {
        name: [before[name], after[name]] for name in SCHEME_FIELDS if before[name] != after[name]
    }
    if changes:
        audit_record(
            organization=organization,
            actor=actor,
            action="bonus_scheme.update",
            obj=current,
            changes=changes,
        )
    return current


def _plain(value):
    if isinstance(value, (list, dict)):
        return value
    return str(value)
