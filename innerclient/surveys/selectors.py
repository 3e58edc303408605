"""Read-side queries for cycles and criteria: plain data for pages and commands.

Each selector runs a constant number of queries, whatever the number of raters.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Q

from innerclient.core.models import Organization
from innerclient.org.models import Department, Person
from innerclient.surveys.models import (
    Assignment,
    CriteriaSet,
    Criterion,
    Cycle,
    Invitation,
    OpenQuestion,
    RaterKind,
)


def cycle_results_visible(cycle: Cycle) -> bool:
    """Results (scores, comments, rankings) are shown to nobody before publication."""
    return cycle.status == Cycle.Status.PUBLISHED


def _earlier_published(cycle: Cycle):
    started = cycle.opened_at or cycle.created_at
    return (
        Cycle.objects.filter(organization_id=cycle.organization_id, status=Cycle.Status.PUBLISHED)
        .exclude(pk=cycle.pk)
        .filter(Q(opened_at__lt=started) | Q(opened_at__isnull=True, created_at__lt=started))
    )


def earlier_cycles(cycle: Cycle) -> list[Cycle]:
    """Published cycles of the organization that opened before this one, oldest first."""
    return list(_earlier_published(cycle).order_by("opened_at", "created_at"))


def earlier_cycle_published(*, cycle_id: int) -> bool:
    """Whether a cycle of the organization that opened before ``cycle_id`` is published: then
    its results may have led to actions, and the questionnaire links to "What we changed"."""
    cycle = (
        Cycle.objects.filter(pk=cycle_id).only("organization_id", "opened_at", "created_at").first()
    )
    return cycle is not None and _earlier_published(cycle).exists()


def cycle_find(organization: Organization, ref: str) -> Cycle | None:
    """A cycle by id or by exact name (for commands)."""
    cycles = Cycle.objects.filter(organization=organization).select_related("criteria_set")
    if ref.isdigit():
        found = cycles.filter(pk=int(ref)).first()
        if found is not None:
            return found
    return cycles.filter(name=ref).first()


# --- Cycles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleRow:
    id: int
    name: str
    status: str
    status_label: str
    scale_label: str
    criteria_set: str
    deadline: date | None
    created_at: datetime
    people: int
    ratings: int


def cycle_list(organization: Organization) -> list[CycleRow]:
    cycles = (
        Cycle.objects.filter(organization=organization)
        .select_related("criteria_set")
        .annotate(
            people=Count("invitations", distinct=True),
            ratings=Count("invitations__assignments", distinct=True),
        )
        .order_by("-created_at", "-pk")
    )
    return [
        CycleRow(
            id=c.pk,
            name=c.name,
            status=c.status,
            status_label=c.get_status_display(),
            scale_label=c.get_scale_display(),
            criteria_set=str(c.criteria_set),
            deadline=c.deadline,
            created_at=c.created_at,
            people=c.people,
            ratings=c.ratings,
        )
        for c in cycles
    ]


@dataclass(frozen=True)
class AssignmentCounts:
    people: int = 0
    ratings: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)  # rater kind -> ratings
    client_departments: int = 0
    rated_departments: int = 0
    self_assessments: int = 0

    @property
    def client_ratings(self) -> int:
        return self.ratings - self.self_assessments


def assignment_counts(cycle: Cycle) -> AssignmentCounts:
    assignments = Assignment.objects.filter(invitation__cycle=cycle)
    by_kind = dict(assignments.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    totals = assignments.aggregate(
        ratings=Count("pk"),
        rated=Count("provider", distinct=True, filter=~Q(kind=RaterKind.SELF)),
        clients=Count(
            "invitation__person__department", distinct=True, filter=~Q(kind=RaterKind.SELF)
        ),
    )
    return AssignmentCounts(
        people=Invitation.objects.filter(cycle=cycle).count(),
        ratings=totals["ratings"],
        by_kind=by_kind,
        client_departments=totals["clients"],
        rated_departments=totals["rated"],
        self_assessments=by_kind.get(RaterKind.SELF, 0),
    )


# --- The rater list, grouped by client department ---------------------------------------------


@dataclass(frozen=True)
class DepartmentBrief:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class AssignmentItem:
    id: int
    provider: DepartmentBrief
    kind: str
    kind_label: str


@dataclass
class RaterItem:
    invitation_id: int
    person_id: int
    full_name: str
    position: str
    is_head: bool
    assignments: list[AssignmentItem] = field(default_factory=list)


def _brief(department: Department) -> DepartmentBrief:
    return DepartmentBrief(id=department.pk, code=department.code, name=department.name)


@dataclass(frozen=True)
class GroupSummary:
    """One client department on the rater list: counts and the providers its raters rate."""

    department: DepartmentBrief
    people: int
    people_active: int
    ratings: int
    # (provider, number of listed raters of this department who rate it); self excluded
    providers: list[tuple[DepartmentBrief, int]]


def assignment_summary(cycle: Cycle) -> list[GroupSummary]:
    """The rater list by the raters' department, ordered by department code."""
    rows = (
        Assignment.objects.filter(invitation__cycle=cycle)
        .values_list("invitation__person__department_id", "provider_id", "kind")
        .order_by()
    )
    people = dict(
        Invitation.objects.filter(cycle=cycle)
        .values_list("person__department_id")
        .annotate(n=Count("pk"))
        .values_list("person__department_id", "n")
    )
    per_provider: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    ratings: dict[int, int] = defaultdict(int)
    for department_id, provider_id, kind in rows:
        ratings[department_id] += 1
        if kind != RaterKind.SELF:
            per_provider[department_id][provider_id] += 1
    ids = set(people) | {p for providers in per_provider.values() for p in providers}
    departments = {d.pk: _brief(d) for d in Department.objects.filter(pk__in=ids)}
    active_people = dict(
        Person.objects.filter(department_id__in=people, is_active=True)
        .values_list("department_id")
        .annotate(n=Count("pk"))
        .values_list("department_id", "n")
    )
    return [
        GroupSummary(
            department=departments[department_id],
            people=people[department_id],
            people_active=active_people.get(department_id, 0),
            ratings=ratings[department_id],
            providers=sorted(
                ((departments[p], n) for p, n in per_provider[department_id].items()),
                key=lambda item: item[0].code,
            ),
        )
        for department_id in sorted(people, key=lambda pk: departments[pk].code)
    ]


@dataclass(frozen=True)
class GroupDetail:
    department: DepartmentBrief
    raters: list[RaterItem]
    providers: list[tuple[DepartmentBrief, int]]
    # Active people of the department not on the list (to add one).
    not_listed: list[tuple[int, str]]


def assignment_group_detail(cycle: Cycle, department: Department) -> GroupDetail:
    kinds = dict(Assignment._meta.get_field("kind").choices)
    invitations = {
        inv.pk: inv
        for inv in Invitation.objects.filter(cycle=cycle, person__department=department)
        .select_related("person")
        .order_by("person__full_name")
    }
    items = {
        pk: RaterItem(
            invitation_id=pk,
            person_id=inv.person_id,
            full_name=inv.person.full_name,
            position=inv.person.position,
            is_head=inv.person.is_head or department.head_id == inv.person_id,
        )
        for pk, inv in invitations.items()
    }
    per_provider: dict[int, int] = defaultdict(int)
    providers: dict[int, DepartmentBrief] = {}
    for a in (
        Assignment.objects.filter(invitation_id__in=invitations)
        .select_related("provider")
        .order_by("provider__code")
    ):
        brief = providers.setdefault(a.provider_id, _brief(a.provider))
        items[a.invitation_id].assignments.append(
            AssignmentItem(id=a.pk, provider=brief, kind=a.kind, kind_label=kinds[a.kind])
        )
        if a.kind != RaterKind.SELF:
            per_provider[a.provider_id] += 1
    listed = {inv.person_id for inv in invitations.values()}
    not_listed = [
        (pk, name)
        for pk, name in Person.objects.filter(department=department, is_active=True)
        .order_by("full_name")
        .values_list("pk", "full_name")
        if pk not in listed
    ]
    return GroupDetail(
        department=_brief(department),
        raters=list(items.values()),
        providers=sorted(
            ((providers[p], n) for p, n in per_provider.items()), key=lambda i: i[0].code
        ),
        not_listed=not_listed,
    )


def department_choices(organization: Organization) -> list[tuple[int, str]]:
    """Active departments as (id, "CODE Name") for the add-a-provider selects."""
    return [
        (d.pk, f"{d.code} {d.name}")
        for d in Department.objects.filter(organization=organization, is_active=True).order_by(
            "code"
        )
    ]


# --- Criteria sets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CriteriaVersion:
    id: int
    version: int
    is_frozen: bool
    criteria: int
    questions: int
    cycles: list[str]
    created_at: datetime


@dataclass(frozen=True)
class CriteriaFamily:
    name: str
    latest: CriteriaVersion
    versions: list[CriteriaVersion]


def criteria_families(organization: Organization) -> list[CriteriaFamily]:
    """Criteria sets grouped by name, newest version first, with the cycles using each."""
    sets = (
        CriteriaSet.objects.filter(organization=organization)
        .annotate(
            n_criteria=Count("criteria", distinct=True),
            n_questions=Count("open_questions", distinct=True),
        )
        .order_by("name", "-version")
    )
    cycles: dict[int, list[str]] = defaultdict(list)
    for set_id, name in Cycle.objects.filter(organization=organization).values_list(
        "criteria_set_id", "name"
    ):
        cycles[set_id].append(name)
    families: dict[str, list[CriteriaVersion]] = defaultdict(list)
    for s in sets:
        families[s.name].append(
            CriteriaVersion(
                id=s.pk,
                version=s.version,
                is_frozen=s.is_frozen,
                criteria=s.n_criteria,
                questions=s.n_questions,
                cycles=sorted(cycles.get(s.pk, [])),
                created_at=s.created_at,
            )
        )
    return [
        CriteriaFamily(name=name, latest=versions[0], versions=versions)
        for name, versions in families.items()
    ]


@dataclass(frozen=True)
class CriteriaSetDetail:
    criteria_set: CriteriaSet
    criteria: list[Criterion]
    questions: list[OpenQuestion]
    versions: list[CriteriaVersion]
    is_latest: bool


def criteria_set_detail(criteria_set: CriteriaSet) -> CriteriaSetDetail:
    family = next(
        f for f in criteria_families(criteria_set.organization) if f.name == criteria_set.name
    )
    return CriteriaSetDetail(
        criteria_set=criteria_set,
        criteria=list(criteria_set.criteria.all()),
        questions=list(criteria_set.open_questions.all()),
        versions=family.versions,
        is_latest=family.latest.id == criteria_set.pk,
    )


def criteria_set_choices(organization: Organization) -> list[tuple[int, str]]:
    """The newest version of every set, for a cycle's settings form."""
    return [
        (f.latest.id, f"{f.name} (v{f.latest.version})") for f in criteria_families(organization)
    ]
