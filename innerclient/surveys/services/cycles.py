"""Evaluation cycles: settings, rater assignment, and the lifecycle draft → open → closed →
published.

Each write is one atomic service with an audit row. Settings and the rater list can change only
while the cycle is a draft; opening freezes the criteria version and sends the invitations;
closing stops answers and refreshes completion; publishing makes results visible. No state can
be skipped and none goes back.

Publication is more than the status change kept here (``cycle_mark_published``): it stores the
results and tells the heads, which belong to apps above this one. Every caller publishes through
``innerclient.workflow.services.cycle_publish``.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from innerclient.core.audit import audit_record
from innerclient.core.models import Organization
from innerclient.org.models import Department, InteractionLink, Person
from innerclient.surveys import assignment as planner
from innerclient.surveys import completion, notifications
from innerclient.surveys.criteria import criteria_set_freeze
from innerclient.surveys.models import (
    SCALE_BOUNDS,
    Assignment,
    CriteriaSet,
    Cycle,
    Invitation,
    RaterKind,
    Scale,
)

MAX_REMINDERS = 3


@dataclass(frozen=True)
class CycleSettings:
    """Everything about a cycle that is frozen once it opens (besides its criteria set)."""

    scale: str = Scale.ONE_FIVE
    anonymity_threshold: int = 5
    comment_threshold: int = 7
    justify_at_or_below: int = 2
    justify_at_or_above: int | None = None
    rater_mode: str = Cycle.RaterMode.ALL
    sample_size: int = 5
    include_self_assessment: bool = True
    deadline: date | None = None
    reminder_days_after_open: int = 3
    reminder_days_before_deadline: int = 1
    max_reminders: int = MAX_REMINDERS

    @classmethod
    def of(cls, cycle: Cycle) -> "CycleSettings":
        return cls(**{f.name: getattr(cycle, f.name) for f in fields(cls)})


RATER_FIELDS = ("rater_mode", "sample_size", "include_self_assessment")


def _validate_settings(settings: CycleSettings) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if settings.scale not in Scale.values:
        add("scale", _("Unknown scale."))
        low, high = 1, 5
    else:
        low, high = SCALE_BOUNDS[Scale(settings.scale)]
    if not 3 <= settings.anonymity_threshold <= 10:
        add("anonymity_threshold", _("The anonymity threshold must be between 3 and 10."))
    if not settings.anonymity_threshold <= settings.comment_threshold <= 20:
        add(
            "comment_threshold",
            _("The comment threshold must be at least the anonymity threshold and at most 20."),
        )
    if not low - 1 <= settings.justify_at_or_below < high:
        add(
            "justify_at_or_below",
            _("Must be within the scale (%(low)s–%(high)s), or %(none)s to never ask.")
            % {"low": low, "high": high - 1, "none": low - 1},
        )
    above = settings.justify_at_or_above
    if above is not None and not (settings.justify_at_or_below < above <= high):
        add(
            "justify_at_or_above",
            _("Must be above the low limit and at most %(high)s, or empty.") % {"high": high},
        )
    if settings.rater_mode not in Cycle.RaterMode.values:
        add("rater_mode", _("Unknown rater mode."))
    if settings.rater_mode == Cycle.RaterMode.SAMPLE and not 1 <= settings.sample_size <= 500:
        add("sample_size", _("The sample size must be between 1 and 500."))
    if not 0 <= settings.max_reminders <= MAX_REMINDERS:
        add("max_reminders", _("At most %(n)s reminders.") % {"n": MAX_REMINDERS})
    if not 0 <= settings.reminder_days_after_open <= 90:
        add("reminder_days_after_open", _("Between 0 and 90 days."))
    if not 0 <= settings.reminder_days_before_deadline <= 90:
        add("reminder_days_before_deadline", _("Between 0 and 90 days."))
    if errors:
        raise ValidationError(errors)


def _validate_criteria_set(organization: Organization, criteria_set: CriteriaSet) -> None:
    if criteria_set.organization_id != organization.pk:
        raise ValidationError({"criteria_set": _("Unknown criteria set.")})
    if not criteria_set.criteria.exists():
        raise ValidationError({"criteria_set": _("The criteria set has no criteria.")})


def _refuse_unless(cycle: Cycle, status: str, message: str) -> None:
    if cycle.status != status:
        raise ValidationError(message % {"status": cycle.get_status_display()}, code="wrong_status")


def _locked(cycle: Cycle) -> Cycle:
    """Lock the cycle's row and bring the caller's instance up to date (it is returned too)."""
    Cycle.objects.select_for_update().filter(pk=cycle.pk).values_list("pk").get()
    cycle.refresh_from_db()
    return cycle


def _settings_changes(before: dict, after: dict) -> dict:
    return {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}


# --- Settings ----------------------------------------------------------------------------------


@transaction.atomic
def cycle_create(
    *,
    actor,
    organization: Organization,
    name: str,
    criteria_set: CriteriaSet,
    settings: CycleSettings | None = None,
) -> Cycle:
    """A draft cycle, with its rater list generated from the interaction map."""
    settings = settings or CycleSettings()
    name = name.strip()
    _validate_settings(settings)
    _validate_criteria_set(organization, criteria_set)
    if Cycle.objects.filter(organization=organization, name=name).exists():
        raise ValidationError({"name": _("A cycle with this name already exists.")})
    cycle = Cycle(
        organization=organization, name=name, criteria_set=criteria_set, **asdict(settings)
    )
    cycle.full_clean()
    cycle.save()
    audit_record(
        organization=organization,
        actor=actor,
        action="cycle.create",
        obj=cycle,
        changes={"name": name, "criteria_set": str(criteria_set), **asdict(settings)},
    )
    _generate(actor=actor, cycle=cycle)
    return cycle


@transaction.atomic
def cycle_update(
    *,
    actor,
    cycle: Cycle,
    name: str,
    criteria_set: CriteriaSet,
    settings: CycleSettings,
) -> Cycle:
    """Change a draft's settings. When who rates changes, the rater list is generated again
    (which drops manual edits: the page says so)."""
    cycle = _locked(cycle)
    _refuse_unless(
        cycle,
        Cycle.Status.DRAFT,
        _("The settings are frozen: the cycle is %(status)s. Only a draft can be changed."),
    )
    name = name.strip()
    _validate_settings(settings)
    _validate_criteria_set(cycle.organization, criteria_set)
    if (
        Cycle.objects.filter(organization=cycle.organization, name=name)
        .exclude(pk=cycle.pk)
        .exists()
    ):
        raise ValidationError({"name": _("A cycle with this name already exists.")})
    before = {
        "name": cycle.name,
        "criteria_set": str(cycle.criteria_set),
        **asdict(CycleSettings.of(cycle)),
    }
    after = {"name": name, "criteria_set": str(criteria_set), **asdict(settings)}
    changes = _settings_changes(before, after)
    if not changes:
        return cycle
    cycle.name = name
    cycle.criteria_set = criteria_set
    for key, value in asdict(settings).items():
        setattr(cycle, key, value)
    cycle.full_clean()
    cycle.save()
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.update",
        obj=cycle,
        changes=changes,
    )
    if any(key in changes for key in RATER_FIELDS):
        _generate(actor=actor, cycle=cycle)
    elif "anonymity_threshold" in changes:
        _provider_sets_check(cycle)
    return cycle


# --- Rater assignment --------------------------------------------------------------------------


def _plan(cycle: Cycle) -> list[planner.PlannedInvitation]:
    organization_id = cycle.organization_id
    departments = [
        planner.DepartmentInfo(id=pk, is_active=active, head_id=head_id)
        for pk, active, head_id in Department.objects.filter(
            organization_id=organization_id
        ).values_list("pk", "is_active", "head_id")
    ]
    people = [
        planner.PersonInfo(id=pk, department_id=dep, is_active=active, is_head=head)
        for pk, dep, active, head in Person.objects.filter(
            organization_id=organization_id
        ).values_list("pk", "department_id", "is_active", "is_head")
    ]
    links = list(
        InteractionLink.objects.filter(organization_id=organization_id).values_list(
            "client_id", "provider_id"
        )
    )
    settings = planner.Settings(
        mode=cycle.rater_mode,
        sample_size=cycle.sample_size,
        include_self_assessment=cycle.include_self_assessment,
        seed=f"cycle:{cycle.pk}",
    )
    return planner.plan_assignments(
        departments=departments, people=people, links=links, settings=settings
    )


def _generate(*, actor, cycle: Cycle) -> tuple[int, int]:
    plan = _plan(cycle)
    Invitation.objects.filter(cycle=cycle).delete()
    Invitation.objects.bulk_create(
        [Invitation(cycle=cycle, person_id=item.person_id) for item in plan], batch_size=500
    )
    ids = dict(Invitation.objects.filter(cycle=cycle).values_list("person_id", "pk"))
    rows = [
        Assignment(invitation_id=ids[item.person_id], provider_id=provider_id, kind=kind)
        for item in plan
        for provider_id, kind in item.assignments.items()
    ]
    Assignment.objects.bulk_create(rows, batch_size=1000)
    _provider_sets_check(cycle)  # true by construction; checked where every list is made
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.assignments_generate",
        obj=cycle,
        changes={
            "rater_mode": cycle.rater_mode,
            "sample_size": cycle.sample_size,
            "include_self_assessment": cycle.include_self_assessment,
            "invitations": len(plan),
            "assignments": len(rows),
        },
    )
    return len(plan), len(rows)


def _provider_sets_check(cycle: Cycle, *, departments: Iterable[int] | None = None) -> None:
    """Refuse a rater list on which a client department's raters rate different sets of
    providers and a set is shared by fewer than k of them (``planner.provider_set_violations``,
    docs/anonymity.md). Raised inside the caller's transaction, so nothing is written."""
    rows = Assignment.objects.filter(invitation__cycle=cycle).exclude(kind=RaterKind.SELF)
    if departments is not None:
        rows = rows.filter(invitation__person__department_id__in=list(departments))
    sets: dict[int, set[int]] = defaultdict(set)
    department_of: dict[int, int] = {}
    for invitation_id, department_id, provider_id in rows.values_list(
        "invitation_id", "invitation__person__department_id", "provider_id"
    ):
        sets[invitation_id].add(provider_id)
        department_of[invitation_id] = department_id
    violations = planner.provider_set_violations(
        ((department_of[pk], providers) for pk, providers in sets.items()),
        k=cycle.anonymity_threshold,
    )
    if not violations:
        return
    first = violations[0]
    department = Department.objects.get(pk=first.department_id)
    raise ValidationError(
        _(
            "%(department)s: its raters would not all rate the same departments, and one set "
            "of departments would be asked of only %(fewest)s of its %(raters)s raters (the "
            "anonymity threshold is %(k)s). The departments a rater answers about would then "
            "point to those people. Change what the whole department rates instead: “Every "
            "rater of this department also rates”, or “Remove” beside one of its providers."
        )
        % {
            "department": f"{department.code} {department.name}",
            "fewest": first.fewest,
            "raters": first.raters,
            "k": cycle.anonymity_threshold,
        },
        code="provider_sets",
    )


def _refuse_unless_draft(cycle: Cycle) -> None:
    _refuse_unless(
        cycle,
        Cycle.Status.DRAFT,
        _("The rater list is frozen: the cycle is %(status)s. Only a draft can be changed."),
    )


@transaction.atomic
def cycle_assignments_generate(*, actor, cycle: Cycle) -> tuple[int, int]:
    """Replace the rater list by the one generated from the map; returns (people, ratings)."""
    cycle = _locked(cycle)
    _refuse_unless_draft(cycle)
    return _generate(actor=actor, cycle=cycle)


def _kind_for(person: Person, provider: Department) -> str:
    if provider.pk == person.department_id:
        return RaterKind.SELF
    if person.is_head or person.department.head_id == person.pk:
        return RaterKind.HEAD
    return RaterKind.EMPLOYEE


def _check_person(cycle: Cycle, person: Person) -> None:
    if person.organization_id != cycle.organization_id:
        raise ValidationError(_("Unknown person."), code="unknown")
    if not person.is_active or not person.department.is_active:
        raise ValidationError(
            _("%(name)s is inactive and cannot rate.") % {"name": person.full_name},
            code="inactive",
        )


def _check_provider(cycle: Cycle, provider: Department) -> None:
    if provider.organization_id != cycle.organization_id:
        raise ValidationError(_("Unknown department."), code="unknown")
    if not provider.is_active:
        raise ValidationError(
            _("%(name)s is inactive and cannot be rated.") % {"name": provider.name},
            code="inactive",
        )


def _department_set(cycle: Cycle, department_id: int) -> list[int] | None:
    """The providers every listed rater of the department rates, when they all rate the same
    ones (self-assessment left out); None when nobody is listed or their sets differ."""
    sets: dict[int, set[int]] = defaultdict(set)
    for invitation_id, provider_id in (
        Assignment.objects.filter(
            invitation__cycle=cycle, invitation__person__department_id=department_id
        )
        .exclude(provider_id=department_id)
        .values_list("invitation_id", "provider_id")
    ):
        sets[invitation_id].add(provider_id)
    distinct = {frozenset(providers) for providers in sets.values()}
    return sorted(distinct.pop()) if len(distinct) == 1 else None


@transaction.atomic
def invitation_add(*, actor, cycle: Cycle, person: Person) -> Invitation:
    """Add a person who then rates what the listed raters of his department rate, or, when
    none is listed yet, every active provider of his department on the map."""
    cycle = _locked(cycle)
    _refuse_unless_draft(cycle)
    _check_person(cycle, person)
    if Invitation.objects.filter(cycle=cycle, person=person).exists():
        raise ValidationError(
            _("%(name)s is already on the list.") % {"name": person.full_name}, code="exists"
        )
    shared = _department_set(cycle, person.department_id)
    if shared is not None:
        providers = list(Department.objects.filter(pk__in=shared, is_active=True))
    else:
        providers = list(
            Department.objects.filter(
                client_links__client_id=person.department_id,
                client_links__organization_id=cycle.organization_id,
                is_active=True,
            ).exclude(pk=person.department_id)
        )
    if not providers:
        raise ValidationError(
            _(
                "The department of %(name)s has no providers on the interaction map: "
                "add a provider to this person instead."
            )
            % {"name": person.full_name},
            code="no_providers",
        )
    invitation = Invitation.objects.create(cycle=cycle, person=person)
    Assignment.objects.bulk_create(
        [
            Assignment(invitation=invitation, provider=p, kind=_kind_for(person, p))
            for p in providers
        ]
    )
    _provider_sets_check(cycle, departments=[person.department_id])
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.invitation_add",
        obj=cycle,
        changes={"person": person.full_name, "providers": [p.code for p in providers]},
    )
    return invitation


@transaction.atomic
def invitation_remove(*, actor, cycle: Cycle, invitation: Invitation) -> None:
    cycle = _locked(cycle)
    _refuse_unless_draft(cycle)
    if invitation.cycle_id != cycle.pk:
        raise ValidationError(_("Unknown invitation."), code="unknown")
    person = invitation.person
    invitation.delete()
    _provider_sets_check(cycle, departments=[person.department_id])
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.invitation_remove",
        obj=cycle,
        changes={"person": person.full_name},
    )


@transaction.atomic
def assignment_add(*, actor, cycle: Cycle, person: Person, provider: Department) -> Assignment:
    """Let one person rate one more department (his own one: a self-assessment)."""
    cycle = _locked(cycle)
    _refuse_unless_draft(cycle)
    _check_person(cycle, person)
    _check_provider(cycle, provider)
    invitation, _created = Invitation.objects.get_or_create(cycle=cycle, person=person)
    if invitation.assignments.filter(provider=provider).exists():
        raise ValidationError(
            _("%(name)s already rates %(department)s.")
            % {"name": person.full_name, "department": provider.name},
            code="exists",
        )
    kind = _kind_for(person, provider)
    assignment = Assignment.objects.create(invitation=invitation, provider=provider, kind=kind)
    _provider_sets_check(cycle, departments=[person.department_id])
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.assignment_add",
        obj=cycle,
        changes={"person": person.full_name, "provider": provider.code, "kind": kind},
    )
    return assignment


@transaction.atomic
def assignment_remove(*, actor, cycle: Cycle, assignment: Assignment) -> None:
    """Remove one rating; a person left with nothing to rate leaves the list."""
    cycle = _locked(cycle)
    _refuse_unless_draft(cycle)
    invitation = assignment.invitation
    if invitation.cycle_id != cycle.pk:
        raise ValidationError(_("Unknown assignment."), code="unknown")
    changes = {
        "person": invitation.person.full_name,
        "provider": assignment.provider.code,
        "kind": assignment.kind,
    }
    assignment.delete()
    if not invitation.assignments.exists():
        invitation.delete()
    _provider_sets_check(cycle, departments=[invitation.person.department_id])
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.assignment_remove",
        obj=cycle,
        changes=changes,
    )


def _client_invitations(cycle: Cycle, client: Department):
    return Invitation.objects.filter(cycle=cycle, person__department=client)


@transaction.atomic
def client_provider_add(*, actor, cycle: Cycle, client: Department, provider: Department) -> int:
    """Every listed rater of ``client`` also rates ``provider``; returns how many were added."""
    cycle = _locked(cycle)
    _refuse_unless_draft(cycle)
    _check_provider(cycle, provider)
    if client.organization_id != cycle.organization_id:
        raise ValidationError(_("Unknown department."), code="unknown")
    if client.pk == provider.pk:
        raise ValidationError(
            _("A department does not rate itself as a client (self-assessment is separate)."),
            code="self",
        )
    invitations = list(
        _client_invitations(cycle, client)
        .exclude(assignments__provider=provider)
        .select_related("person__department")
    )
    if not invitations:
        raise ValidationError(
            _("Every rater of %(client)s on the list already rates %(provider)s.")
            % {"client": client.name, "provider": provider.name},
            code="nobody",
        )
    Assignment.objects.bulk_create(
        [
            Assignment(invitation=inv, provider=provider, kind=_kind_for(inv.person, provider))
            for inv in invitations
        ]
    )
    _provider_sets_check(cycle, departments=[client.pk])
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.client_provider_add",
        obj=cycle,
        changes={"client": client.code, "provider": provider.code, "raters": len(invitations)},
    )
    return len(invitations)


@transaction.atomic
def client_provider_remove(*, actor, cycle: Cycle, client: Department, provider: Department) -> int:
    """No listed rater of ``client`` rates ``provider`` (self-assessments are untouched)."""
    cycle = _locked(cycle)
    _refuse_unless_draft(cycle)
    rows = Assignment.objects.filter(
        invitation__cycle=cycle, invitation__person__department=client, provider=provider
    ).exclude(kind=RaterKind.SELF)
    removed, _detail = rows.delete()
    Invitation.objects.filter(cycle=cycle, assignments__isnull=True).delete()
    _provider_sets_check(cycle, departments=[client.pk])
    if removed:
        audit_record(
            organization=cycle.organization,
            actor=actor,
            action="cycle.client_provider_remove",
            obj=cycle,
            changes={"client": client.code, "provider": provider.code, "ratings": removed},
        )
    return removed


# --- Lifecycle ---------------------------------------------------------------------------------


def cycle_structure(organization_id: int) -> dict:
    """What a cycle freezes when it opens: the organization's department ids and the
    interaction map's (provider, client, volume) triples."""
    return {
        "departments": sorted(
            Department.objects.filter(organization_id=organization_id).values_list("pk", flat=True)
        ),
        "volume": [
            list(row)
            for row in InteractionLink.objects.filter(organization_id=organization_id)
            .order_by("provider_id", "client_id")
            .values_list("provider_id", "client_id", "volume")
        ],
    }


@transaction.atomic
def cycle_open(*, actor, cycle: Cycle) -> Cycle:
    """Freeze the settings and the criteria version, and send the invitations (on commit).

    People and providers deactivated since the list was made are dropped first; a cycle with
    nobody left to ask is refused.
    """
    cycle = _locked(cycle)
    _refuse_unless(
        cycle, Cycle.Status.DRAFT, _("Only a draft cycle can be opened; this one is %(status)s.")
    )
    today = timezone.localdate()
    if cycle.deadline is not None and cycle.deadline < today:
        raise ValidationError(
            _("The deadline has passed: set a later one before opening."), code="deadline"
        )
    if not cycle.criteria_set.criteria.exists():
        raise ValidationError(_("The criteria set has no criteria."), code="no_criteria")
    stale = Assignment.objects.filter(invitation__cycle=cycle).exclude(
        provider__is_active=True,
        invitation__person__is_active=True,
        invitation__person__department__is_active=True,
    )
    dropped, _detail = stale.delete()
    Invitation.objects.filter(cycle=cycle, assignments__isnull=True).delete()
    # People who left since the list was made may leave a set shared by too few.
    _provider_sets_check(cycle)
    invitations = Invitation.objects.filter(cycle=cycle)
    people = invitations.count()
    ratings = Assignment.objects.filter(invitation__cycle=cycle).count()
    if not ratings:
        raise ValidationError(
            _(
                "Nobody is asked to rate: the rater list is empty. Check the interaction map "
                "and the people of client departments, then generate the list again."
            ),
            code="no_assignments",
        )
    now = timezone.now()
    criteria_set_freeze(criteria_set=cycle.criteria_set)
    # ``invited_at`` stays empty: the sender sets it when each invitation has gone out.
    cycle.status = Cycle.Status.OPEN
    cycle.opened_at = now
    cycle.structure = cycle_structure(cycle.organization_id)
    cycle.save(update_fields=["status", "opened_at", "structure"])
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.open",
        obj=cycle,
        changes={
            "status": [Cycle.Status.DRAFT, Cycle.Status.OPEN],
            "criteria_set": str(cycle.criteria_set),
            "invitations": people,
            "assignments": ratings,
            "dropped_inactive": dropped,
        },
    )
    cycle_id = cycle.pk
    transaction.on_commit(lambda: notifications.invitations_enqueue(cycle_id=cycle_id))
    return cycle


@transaction.atomic
def cycle_close(*, actor, cycle: Cycle) -> Cycle:
    """Stop answers. Completion is refreshed once more and counted per rater department;
    then the per-person detail is erased: the rater list, and every invitation's status,
    completion date and reminders (``completion.cycle_counts_keep``, docs/anonymity.md)."""
    cycle = _locked(cycle)
    _refuse_unless(
        cycle, Cycle.Status.OPEN, _("Only an open cycle can be closed; this one is %(status)s.")
    )
    completion.invitation_status_refresh(cycle=cycle)  # the last one, while still open
    cycle.status = Cycle.Status.CLOSED
    cycle.closed_at = timezone.now()
    cycle.save(update_fields=["status", "closed_at"])
    counts = completion.cycle_counts_keep(cycle=cycle)
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.close",
        obj=cycle,
        changes={
            "status": [Cycle.Status.OPEN, Cycle.Status.CLOSED],
            "invitations_completed": sum(c.completed for c in counts),
        },
    )
    return cycle


def cycle_lock_publishable(cycle: Cycle) -> Cycle:
    """Lock the cycle's row (inside the caller's transaction) and refuse unless it is closed:
    publication checks this before it stores the results."""
    cycle = _locked(cycle)
    _refuse_unless(
        cycle,
        Cycle.Status.CLOSED,
        _("Only a closed cycle can be published; this one is %(status)s."),
    )
    return cycle


@transaction.atomic
def cycle_mark_published(*, actor, cycle: Cycle) -> Cycle:
    """Make a closed cycle's results visible: the status change of publication, with its audit
    row. There is no way back.

    Only ``innerclient.workflow.services.cycle_publish`` calls it, in the transaction where it
    also stores the results and enqueues the heads' emails."""
    cycle = cycle_lock_publishable(cycle)
    cycle.status = Cycle.Status.PUBLISHED
    cycle.published_at = timezone.now()
    cycle.save(update_fields=["status", "published_at"])
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cycle.publish",
        obj=cycle,
        changes={"status": [Cycle.Status.CLOSED, Cycle.Status.PUBLISHED]},
    )
    return cycle


# The transitions this app makes by itself; publishing is ``innerclient.workflow``'s.
TRANSITIONS = {
    Cycle.Status.OPEN: cycle_open,
    Cycle.Status.CLOSED: cycle_close,
}
NEXT_STATUS = {
    Cycle.Status.DRAFT: Cycle.Status.OPEN,
    Cycle.Status.OPEN: Cycle.Status.CLOSED,
    Cycle.Status.CLOSED: Cycle.Status.PUBLISHED,
}


def cycle_transition(*, actor, cycle: Cycle, to: str) -> Cycle:
    """Open or close a cycle through its service. Views, the API and commands call
    ``innerclient.workflow.services.cycle_transition``, which also publishes."""
    service = TRANSITIONS.get(to)
    if service is None:
        raise ValidationError(_("Unknown cycle status."), code="unknown")
    return service(actor=actor, cycle=cycle)
