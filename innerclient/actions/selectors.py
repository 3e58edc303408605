"""Read side of action plans, as plain data: the list page and its export, the block of the
department card (actions beside the change of the index they were meant to cause), and the
raters' "What we changed" page.

Figures (the index and its change) come from stored result snapshots only, and only as the
snapshot holds them: a hidden index is null there and stays "no figure" here.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from innerclient.actions.models import ActionPlan, ProblemKindChoice
from innerclient.core.models import Organization
from innerclient.org.models import Department, Person
from innerclient.results.models import ResultSnapshot
from innerclient.results.selectors import earlier_cycles
from innerclient.surveys.models import Criterion, Cycle

# The list's status filter: the model's statuses plus two views of them.
STATUS_OPEN = "open"
STATUS_OVERDUE = "overdue"


def problem_text(kind: str, criterion: str = "", client: str = "") -> str:
    """A problem area in words, as the results pages name it ("" when there is none)."""
    if kind == ProblemKindChoice.LOW_CELL:
        if criterion and client:
            return _("Low score on “%(criterion)s” from %(client)s") % {
                "criterion": criterion,
                "client": client,
            }
        if criterion:
            return _("Low score on “%(criterion)s”") % {"criterion": criterion}
    if kind == ProblemKindChoice.WEAKEST_CRITERION and criterion:
        return _("Weakest criterion: “%(criterion)s”") % {"criterion": criterion}
    if kind == ProblemKindChoice.SELF_GAP and criterion:
        return _("Self-assessment far above the clients' view on “%(criterion)s”") % {
            "criterion": criterion
        }
    if kind == ProblemKindChoice.SELF_GAP:
        return _("Self-assessment far above the clients' view")
    if kind == ProblemKindChoice.DIVERGENT_CLIENT and client:
        return _("%(client)s sees the department very differently from other clients") % {
            "client": client
        }
    if kind == ProblemKindChoice.SIGNIFICANT_DROP:
        return _("Significant drop against the previous cycle")
    if kind in ProblemKindChoice.values:
        return str(ProblemKindChoice(kind).label)
    return ""


def suggested_title(kind: str, criterion: str = "", client: str = "") -> str:
    """A first wording of the action for a problem area; the head edits it."""
    if kind in (ProblemKindChoice.LOW_CELL, ProblemKindChoice.WEAKEST_CRITERION) and criterion:
        if kind == ProblemKindChoice.LOW_CELL and client:
            return _("Raise “%(criterion)s” for %(client)s") % {
                "criterion": criterion,
                "client": client,
            }
        return _("Raise “%(criterion)s”") % {"criterion": criterion}
    if kind == ProblemKindChoice.SIGNIFICANT_DROP:
        return _("Find and fix the causes of the drop")
    if kind == ProblemKindChoice.SELF_GAP and criterion:
        return _("Check “%(criterion)s” with our clients") % {"criterion": criterion}
    if kind == ProblemKindChoice.SELF_GAP:
        return _("Compare our view of our work with our clients' view")
    if kind == ProblemKindChoice.DIVERGENT_CLIENT and client:
        return _("Meet %(client)s and agree what to improve") % {"client": client}
    return ""


# --- the list page and the export -----------------------------------------------------------


@dataclass(frozen=True)
class ActionRow:
    id: int
    department_id: int
    department_code: str
    department_name: str
    title: str
    description: str
    problem: str
    cycle_id: int | None
    cycle_name: str
    owner_name: str
    due_date: date
    status: str
    status_label: str
    overdue: bool
    result_note: str
    created_at: datetime
    updated_at: datetime


def _problem(action: ActionPlan) -> str:
    return problem_text(
        action.problem_kind,
        action.criterion.name if action.criterion_id else "",
        action.client_department.name if action.client_department_id else "",
    )


def _related(queryset):
    return queryset.select_related("department", "owner", "cycle", "criterion", "client_department")


def action_rows(
    organization: Organization,
    *,
    scope_department_id: int | None = None,
    department_id: int | None = None,
    status: str = "",
    cycle_id: int | None = None,
    today: date | None = None,
) -> list[ActionRow]:
    """The actions a user sees with the filters applied; overdue ones flagged.

    ``scope_department_id`` limits a head to his department; ``status`` is a status, or
    "open" (planned or in progress), or "overdue" (open and past the due date)."""
    today = today or timezone.localdate()
    found = ActionPlan.objects.filter(organization=organization)
    if scope_department_id is not None:
        found = found.filter(department_id=scope_department_id)
    if department_id is not None:
        found = found.filter(department_id=department_id)
    if cycle_id is not None:
        found = found.filter(cycle_id=cycle_id)
    if status == STATUS_OPEN:
        found = found.filter(status__in=ActionPlan.OPEN_STATUSES)
    elif status == STATUS_OVERDUE:
        found = found.filter(status__in=ActionPlan.OPEN_STATUSES, due_date__lt=today)
    elif status in ActionPlan.Status.values:
        found = found.filter(status=status)
    rows = []
    for action in _related(found).order_by("due_date", "department__code", "id"):
        rows.append(
            ActionRow(
                id=action.pk,
                department_id=action.department_id,
                department_code=action.department.code,
                department_name=action.department.name,
                title=action.title,
                description=action.description,
                problem=_problem(action),
                cycle_id=action.cycle_id,
                cycle_name=action.cycle.name if action.cycle_id else "",
                owner_name=action.owner.full_name,
                due_date=action.due_date,
                status=action.status,
                status_label=str(action.get_status_display()),
                overdue=action.is_overdue(today),
                result_note=action.result_note,
                created_at=action.created_at,
                updated_at=action.updated_at,
            )
        )
    return rows


def filter_choices(organization: Organization, *, scope_department_id: int | None = None) -> dict:
    """Departments and published cycles for the list's filter."""
    departments = Department.objects.filter(organization=organization)
    if scope_department_id is not None:
        departments = departments.filter(pk=scope_department_id)
    else:
        departments = departments.filter(
            Q(is_active=True) | Q(action_plans__isnull=False)
        ).distinct()
    return {
        "departments": [(d.pk, f"{d.code} · {d.name}") for d in departments.order_by("code")],
        "cycles": published_cycles(organization),
        "statuses": [
            (STATUS_OPEN, _("Open (planned or in progress)")),
            (STATUS_OVERDUE, _("Overdue")),
            *ActionPlan.Status.choices,
        ],
    }


def published_cycles(organization: Organization) -> list[tuple[int, str]]:
    return list(
        Cycle.objects.filter(organization=organization, status=Cycle.Status.PUBLISHED)
        .order_by("-opened_at", "-created_at")
        .values_list("pk", "name")
    )


def owner_choices(organization: Organization, department_id: int | None) -> list[Person]:
    """People who may own an action of the department: its active people, head first."""
    if department_id is None:
        return []
    return list(
        Person.objects.filter(
            organization=organization, department_id=department_id, is_active=True
        ).order_by("-is_head", "full_name")
    )


# --- the prefill from a problem area --------------------------------------------------------


@dataclass(frozen=True)
class Prefill:
    cycle: Cycle | None
    department: Department | None
    problem_kind: str
    criterion: Criterion | None
    client_department: Department | None
    title: str
    problem: str


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def prefill_from_params(organization: Organization, params) -> Prefill:
    """What the create form starts from, given ``?cycle=&department=&kind=&criterion=&client=``.

    Ids that do not belong to the organization (or a criterion outside the cycle's set) are
    ignored, never trusted."""
    cycle = None
    if cycle_id := _int(params.get("cycle")):
        cycle = Cycle.objects.filter(
            organization=organization, pk=cycle_id, status=Cycle.Status.PUBLISHED
        ).first()
    department = None
    if department_id := _int(params.get("department")):
        department = Department.objects.filter(organization=organization, pk=department_id).first()
    kind = params.get("kind", "")
    kind = kind if kind in ProblemKindChoice.values else ""
    criterion = None
    if kind and (criterion_id := _int(params.get("criterion"))):
        criteria = Criterion.objects.filter(
            pk=criterion_id, criteria_set__organization=organization
        )
        if cycle is not None:
            criteria = criteria.filter(criteria_set_id=cycle.criteria_set_id)
        criterion = criteria.first()
    client = None
    if kind and (client_id := _int(params.get("client"))):
        client = Department.objects.filter(organization=organization, pk=client_id).first()
        if client is not None and department is not None and client.pk == department.pk:
            client = None
    criterion_name = criterion.name if criterion else ""
    client_name = client.name if client else ""
    # The description starts empty: it is shown to raters once the action is under way, and
    # the problem area itself is stored with the action (and shown to its department).
    problem = problem_text(kind, criterion_name, client_name)
    return Prefill(
        cycle=cycle,
        department=department,
        problem_kind=kind,
        criterion=criterion,
        client_department=client,
        title=suggested_title(kind, criterion_name, client_name),
        problem=problem,
    )


# --- the department card ----------------------------------------------------------------------


def _snapshot(cycle: Cycle) -> ResultSnapshot | None:
    return ResultSnapshot.objects.filter(cycle=cycle).order_by("-version").first()


def _index(snapshot: ResultSnapshot | None, department_id: int) -> tuple[float | None, int | None]:
    """The department's index in a snapshot and its code there (None, None when absent)."""
    if snapshot is None:
        return None, None
    try:
        code = snapshot.departments.index(department_id)
    except ValueError:
        return None, None
    providers = snapshot.payload.get("providers") or []
    if code >= len(providers):
        return None, code
    return providers[code].get("index"), code


def _change_since(
    earlier: Cycle,
    earlier_snapshot: ResultSnapshot | None,
    snapshot: ResultSnapshot | None,
    department_id: int,
) -> dict:
    """The change of the department's index from ``earlier`` to the card's cycle."""
    then, _code = _index(earlier_snapshot, department_id)
    now, code = _index(snapshot, department_id)
    delta = now - then if now is not None and then is not None else None
    significant = None
    payload = snapshot.payload if snapshot is not None else {}
    history = payload.get("history_cycles") or []
    previous = bool(history) and history[-1].get("id") == earlier.pk
    change = payload.get("change") or {}
    if previous and code is not None:
        # The card's cycle measured its change against exactly this cycle: use its test.
        deltas = change.get("delta") or []
        flags = change.get("significant") or []
        if code < len(deltas) and deltas[code] is not None:
            delta = deltas[code]
        if code < len(flags) and delta is not None:
            significant = bool(flags[code])
    return {
        "since_cycle_id": earlier.pk,
        "since_cycle": earlier.name,
        "index_then": then,
        "index_now": now,
        "delta": delta,
        "significant": significant,
        "against_previous": previous,
    }


def _when(cycle: Cycle) -> datetime:
    return cycle.published_at or cycle.opened_at or cycle.created_at


def actions_for_card(
    *, department_id: int, cycle: Cycle, snapshot: ResultSnapshot | None = None
) -> list[dict]:
    """The department's actions made from ``cycle`` and earlier published cycles (and those
    made by hand while one of them was the latest), for the department card.

    Each item: id, title, description, problem, status, status_label, owner_name, due_date,
    overdue, result_note, cycle_id, cycle_name (the cycle it came from, "" by hand),
    from_this_cycle, and ``change``: for an action from an earlier cycle, the change of the
    department's index from that cycle to ``cycle`` as the snapshots hold it (since_cycle,
    index_then, index_now, delta, significant — None when not tested or not shown,
    against_previous); None for actions of ``cycle`` itself. Earlier cycles' actions first
    (newest cycle first), then this cycle's; by due date within each."""
    started = cycle.opened_at or cycle.created_at
    earlier = [c for c in earlier_cycles(cycle) if c.pk != cycle.pk]
    by_id = {c.pk: c for c in [*earlier, cycle]}
    later = (
        Cycle.objects.filter(organization_id=cycle.organization_id, status=Cycle.Status.PUBLISHED)
        .exclude(pk=cycle.pk)
        .filter(Q(opened_at__gt=started) | Q(opened_at__isnull=True, created_at__gt=started))
        .order_by("opened_at", "created_at")
        .first()
    )
    by_hand = Q(cycle__isnull=True)
    if later is not None:
        by_hand &= Q(created_at__lt=later.opened_at or later.created_at)
    actions = list(
        _related(
            ActionPlan.objects.filter(department_id=department_id).filter(
                Q(cycle_id__in=list(by_id)) | by_hand
            )
        )
    )
    if not actions:
        return []
    today = timezone.localdate()
    # The card has the cycle's snapshot already (its payload is large): reuse it.
    snapshots: dict[int, ResultSnapshot | None] = {cycle.pk: snapshot} if snapshot else {}

    def snapshot_of(c: Cycle) -> ResultSnapshot | None:
        if c.pk not in snapshots:
            snapshots[c.pk] = _snapshot(c)
        return snapshots[c.pk]

    published_before = sorted(
        (c for c in earlier if c.published_at is not None), key=lambda c: c.published_at
    )
    items = []
    for action in actions:
        source = by_id.get(action.cycle_id) if action.cycle_id else None
        if source is None:
            # Made by hand: measured from the latest cycle published before it was made.
            source_for_change = next(
                (c for c in reversed(published_before) if c.published_at <= action.created_at),
                None,
            )
        else:
            source_for_change = source if source.pk != cycle.pk else None
        change = None
        if source_for_change is not None:
            change = _change_since(
                source_for_change,
                snapshot_of(source_for_change),
                snapshot_of(cycle),
                department_id,
            )
        items.append(
            {
                "id": action.pk,
                "title": action.title,
                "description": action.description,
                "problem": _problem(action),
                "status": action.status,
                "status_label": str(action.get_status_display()),
                "owner_name": action.owner.full_name,
                "due_date": action.due_date,
                "overdue": action.is_overdue(today),
                "result_note": action.result_note,
                "cycle_id": action.cycle_id,
                "cycle_name": action.cycle.name if action.cycle_id else "",
                "from_this_cycle": change is None,
                "change": change,
                "_order": (
                    change is None,
                    -(_when(source_for_change).timestamp() if change else 0),
                    action.due_date,
                    action.pk,
                ),
            }
        )
    items.sort(key=lambda item: item.pop("_order"))
    return items


# --- "What we changed", for raters ------------------------------------------------------------


def _previous_published(cycle: Cycle) -> Cycle | None:
    earlier = earlier_cycles(cycle)
    return earlier[-1] if earlier else None


def _public_actions(cycle: Cycle, provider_ids: list[int]):
    """Actions of the providers shown to raters: in progress or done, made from the previous
    published cycle or since its publication."""
    found = ActionPlan.objects.filter(
        organization_id=cycle.organization_id,
        department_id__in=provider_ids,
        status__in=ActionPlan.PUBLIC_STATUSES,
    )
    previous = _previous_published(cycle)
    if previous is not None:
        since = previous.published_at or previous.closed_at or previous.created_at
        found = found.filter(Q(cycle=previous) | Q(created_at__gte=since))
    return found


def changes_for_rater(*, cycle_id: int, providers: list[tuple[int, str]]) -> dict:
    """What the departments a rater rates did since the previous published cycle.

    ``providers``: (department id, name) in the order the questionnaire shows them. Returns
    ``{"previous_cycle": name or "", "departments": [{"id", "name", "actions": [...]}]}``
    with, per action, only what its department wrote for its clients: title, description,
    status, status_label, result_note, updated_on. Nothing about raters or owners."""
    cycle = Cycle.objects.filter(pk=cycle_id).first()
    if cycle is None:
        return {"previous_cycle": "", "departments": []}
    ids = [pk for pk, _name in providers]
    actions: dict[int, list[dict]] = {pk: [] for pk in ids}
    found = _public_actions(cycle, ids).order_by("status", "-updated_at", "id")
    for action in found.only(
        "department_id", "title", "description", "status", "result_note", "updated_at"
    ):
        actions[action.department_id].append(
            {
                "title": action.title,
                "description": action.description,
                "status": action.status,
                "status_label": str(action.get_status_display()),
                "result_note": action.result_note,
                "updated_on": timezone.localdate(action.updated_at),
            }
        )
    previous = _previous_published(cycle)
    seen = set()
    departments = []
    for pk, name in providers:
        if pk in seen:
            continue
        seen.add(pk)
        departments.append({"id": pk, "name": name, "actions": actions[pk]})
    departments.sort(key=lambda d: not d["actions"])  # stable: departments with actions first
    return {"previous_cycle": previous.name if previous else "", "departments": departments}
