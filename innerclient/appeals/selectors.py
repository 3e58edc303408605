"""Read side of appeals and bonuses: settings, windows, who may do what, the targets a
department may dispute (from the current result snapshot), and bonus rows from snapshots.

Figures come from stored snapshots only. Comments are read only for a provider whose
snapshot says ``comments_shown`` and only once the cycle is published.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from innerclient.appeals import bonus
from innerclient.appeals.models import Appeal, AppealSettings, BonusScheme
from innerclient.core.models import Membership, Organization, Role
from innerclient.org.models import Department, Person
from innerclient.results.models import ResultSnapshot
from innerclient.results.selectors import earlier_cycles, snapshot_current
from innerclient.surveys.models import Answer, Cycle, OpenAnswer, Response, ResponseKind
from innerclient.surveys.selectors import cycle_results_visible

# --- settings, windows, roles ----------------------------------------------------------------


def appeal_settings(organization: Organization) -> AppealSettings:
    """The organization's settings, or the defaults (unsaved) when never changed."""
    found = AppealSettings.objects.filter(organization=organization).first()
    return found or AppealSettings(organization=organization)


def committee_ids(settings: AppealSettings) -> set[int]:
    if settings.pk is None:
        return set()
    return set(settings.committee.values_list("pk", flat=True))


def appeal_last_day(cycle: Cycle, settings: AppealSettings) -> date | None:
    """The last day on which an appeal may be filed (inclusive), in local time."""
    if cycle.status != Cycle.Status.PUBLISHED or cycle.published_at is None:
        return None
    published = timezone.localdate(cycle.published_at)
    return published + timedelta(days=settings.window_days)


def appeal_window_open(cycle: Cycle, settings: AppealSettings, now: datetime | None = None) -> bool:
    last = appeal_last_day(cycle, settings)
    if last is None:
        return False
    end = datetime.combine(
        last + timedelta(days=1), time(0, 0), tzinfo=timezone.get_current_timezone()
    )
    return (now or timezone.now()) < end


def can_decide(membership: Membership | None, settings: AppealSettings) -> bool:
    """Committee members decide; when nobody is named, the coordinators do."""
    if membership is None:
        return False
    named = committee_ids(settings)
    if named:
        return membership.user_id in named
    return membership.role == Role.COORDINATOR


def sees_all_appeals(membership: Membership, settings: AppealSettings) -> bool:
    return membership.role == Role.COORDINATOR or can_decide(membership, settings)


def can_file_for(membership: Membership, department: Department) -> bool:
    """A head files for his own department; a coordinator for any, on its behalf."""
    if membership.organization_id != department.organization_id:
        return False
    if membership.role == Role.COORDINATOR:
        return True
    return membership.role == Role.HEAD and membership.department_id == department.pk


def heads_own_department(membership: Membership | None, department_id: int) -> bool:
    return (
        membership is not None
        and membership.role == Role.HEAD
        and membership.department_id == department_id
    )


def appeals_visible_to(membership: Membership, settings: AppealSettings):
    appeals = Appeal.objects.filter(organization_id=membership.organization_id).select_related(
        "cycle", "department", "client_department", "filed_by", "decided_by"
    )
    if sees_all_appeals(membership, settings):
        return appeals
    if membership.role == Role.HEAD and membership.department_id:
        return appeals.filter(department_id=membership.department_id)
    return appeals.none()


def may_see_appeal(membership: Membership, settings: AppealSettings, appeal: Appeal) -> bool:
    return sees_all_appeals(membership, settings) or heads_own_department(
        membership, appeal.department_id
    )


def member_language(organization: Organization, user) -> str:
    """The language of the person with the user's email in the organization (default ru)."""
    email = (user.email or "").lower()
    if email:
        person = Person.objects.filter(organization=organization, email=email).first()
        if person is not None:
            return person.language
    return Person.Language.RU


def committee_users(organization: Organization, settings: AppealSettings) -> list:
    User = get_user_model()
    named = committee_ids(settings)
    if named:
        users = User.objects.filter(
            pk__in=named, memberships__organization=organization, is_active=True
        )
    else:
        users = User.objects.filter(
            memberships__organization=organization,
            memberships__role=Role.COORDINATOR,
            is_active=True,
        )
    return list(users.distinct().order_by("pk"))


def department_heads(department: Department) -> list:
    User = get_user_model()
    return list(
        User.objects.filter(
            memberships__organization_id=department.organization_id,
            memberships__role=Role.HEAD,
            memberships__department=department,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def published_cycles(organization: Organization) -> list[Cycle]:
    return list(
        Cycle.objects.filter(organization=organization, status=Cycle.Status.PUBLISHED).order_by(
            "-published_at", "-pk"
        )
    )


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientViewTarget:
    department_id: int
    name: str
    n_raters: int

    @property
    def value(self) -> str:
        return f"view:{self.department_id}"


@dataclass(frozen=True)
class CommentTarget:
    kind: str  # Appeal.CommentKind
    id: str
    topic: str  # the criterion or the open question
    text: str

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.id}"


def _provider(snapshot: ResultSnapshot, department_id: int) -> dict | None:
    if department_id not in snapshot.departments:
        return None
    return snapshot.payload["providers"][snapshot.departments.index(department_id)]


def shown_client_views(snapshot: ResultSnapshot | None, department: Department) -> list:
    """Client departments whose view of ``department`` the snapshot shows."""
    if snapshot is None:
        return []
    provider = _provider(snapshot, department.pk)
    if provider is None or not provider["shown"]:
        return []
    ids = {snapshot.departments[view["client"]]: view["n_raters"] for view in provider["clients"]}
    names = {d.pk: d.name for d in Department.objects.filter(pk__in=ids)}
    views = [ClientViewTarget(pk, names.get(pk, "?"), n) for pk, n in ids.items()]
    return sorted(views, key=lambda v: v.name)


def hidden_comment_ids(cycle: Cycle) -> set[tuple[str, str]]:
    """(kind, comment id) of the comments the coordinator hid (innerclient.reports)."""
    from innerclient.reports.models import CommentModeration

    return {
        (kind, str(pk))
        for kind, pk in CommentModeration.objects.filter(cycle=cycle, is_active=True).values_list(
            "kind", "comment_id"
        )
    }


def _comment_responses(cycle: Cycle, department: Department, snapshot: ResultSnapshot) -> Q:
    """Submitted client responses about the department (no self-assessment), minus the client
    views an upheld appeal excluded: the same comments the department's card shows."""
    condition = Q(
        response__cycle=cycle,
        response__provider=department,
        response__status=Response.Status.SUBMITTED,
    ) & ~Q(response__rater_kind=ResponseKind.SELF)
    excluded = [
        client
        for provider, client in snapshot.payload.get("exclusions") or []
        if provider == department.pk
    ]
    if excluded:
        condition &= ~Q(response__rater_department_id__in=excluded)
    return condition


def shown_comments(
    cycle: Cycle, snapshot: ResultSnapshot | None, department: Department
) -> list[CommentTarget]:
    """The comments the department's card shows: clients' comments on scores and answers to
    open questions, only where the snapshot lets comments through, without hidden ones.
    Ordered by topic and text, never by anything that follows the rater."""
    if snapshot is None or not cycle_results_visible(cycle):
        return []
    provider = _provider(snapshot, department.pk)
    if provider is None or not provider["shown"] or not provider.get("comments_shown"):
        return []
    hidden = hidden_comment_ids(cycle)
    responses = _comment_responses(cycle, department, snapshot)
    found = []
    answers = (
        Answer.objects.filter(responses)
        .exclude(comment="")
        .select_related("criterion")
        .order_by("criterion__position", "criterion_id")
    )
    for answer in sorted(
        answers, key=lambda a: (a.criterion.position, a.criterion_id, _key(a.comment))
    ):
        if (Appeal.CommentKind.ANSWER, str(answer.pk)) not in hidden and answer.comment.strip():
            found.append(
                CommentTarget(
                    Appeal.CommentKind.ANSWER,
                    str(answer.pk),
                    answer.criterion.name,
                    answer.comment.strip(),
                )
            )
    opens = OpenAnswer.objects.filter(responses).exclude(text="").select_related("question")
    for item in sorted(opens, key=lambda o: (o.question.position, o.question_id, _key(o.text))):
        if (Appeal.CommentKind.OPEN, str(item.pk)) not in hidden and item.text.strip():
            found.append(
                CommentTarget(
                    Appeal.CommentKind.OPEN, str(item.pk), item.question.text, item.text.strip()
                )
            )
    return found


def _key(text: str) -> str:
    return text.strip().casefold()


def comment_target(appeal: Appeal) -> CommentTarget | None:
    """The disputed comment, for the appeal's page (whatever its moderation state)."""
    if appeal.kind != Appeal.Kind.COMMENT:
        return None
    if appeal.comment_kind == Appeal.CommentKind.ANSWER:
        answer = Answer.objects.select_related("criterion").filter(pk=appeal.comment_id).first()
        if answer is not None:
            return CommentTarget(
                appeal.comment_kind, str(answer.pk), answer.criterion.name, answer.comment
            )
    else:
        item = OpenAnswer.objects.select_related("question").filter(pk=appeal.comment_id).first()
        if item is not None:
            return CommentTarget(appeal.comment_kind, str(item.pk), item.question.text, item.text)
    return None


def department_figure(snapshot: ResultSnapshot | None, department_id: int) -> dict | None:
    """The department's index, interval and rank in one version (None where hidden)."""
    if snapshot is None:
        return None
    provider = _provider(snapshot, department_id)
    if provider is None:
        return None
    return {
        "version": snapshot.version,
        "shown": provider["shown"],
        "index": provider["index"],
        "ci_low": provider["ci_low"],
        "ci_high": provider["ci_high"],
        "adjusted": provider["adjusted"],
        "rank": provider["rank"] if provider["shown"] else None,
    }


def snapshot_version(cycle: Cycle, version: int | None) -> ResultSnapshot | None:
    if version is None:
        return None
    return ResultSnapshot.objects.filter(cycle=cycle, version=version).first()


# --- bonus -----------------------------------------------------------------------------------


def bonus_scheme(organization: Organization) -> BonusScheme:
    found = BonusScheme.objects.filter(organization=organization).first()
    return found or BonusScheme(organization=organization)


def scheme_for(stored: BonusScheme) -> bonus.Scheme:
    return bonus.Scheme(
        mode=stored.mode,
        bands=bonus.parse_bands(stored.bands),
        slope=float(stored.slope),
        cap=float(stored.cap),
        min_raters=stored.min_raters,
        max_half_width=float(stored.max_ci_half_width),
    )


@dataclass(frozen=True)
class BonusRow:
    department_id: int
    code: str
    name: str
    index: float | None
    n_raters: int | None
    half_width: float | None
    previous_index: float | None
    outcome: bonus.Outcome


@dataclass(frozen=True)
class BonusTable:
    cycle: Cycle
    snapshot: ResultSnapshot
    official: str  # "raw" or "adjusted"
    previous_cycle: Cycle | None
    rows: list[BonusRow]


def _figure_key(official: str) -> str:
    return "adjusted" if official == "adjusted" else "index"


def bonus_table(cycle: Cycle, stored: BonusScheme) -> BonusTable | None:
    """Multipliers for every rated department of the cycle's current result version.

    The index is the one the methodology of that version made official. Its interval is the
    raw index's (the snapshot stores no separate interval for the adjusted one). The
    improvement formula compares with the previous published cycle's current version."""
    snapshot = snapshot_current(cycle)
    if snapshot is None or not cycle_results_visible(cycle):
        return None
    official = snapshot.payload["methodology"].get("official", "raw")
    key = _figure_key(official)
    previous_cycle = None
    previous: dict[int, float | None] = {}
    earlier = earlier_cycles(cycle)
    if earlier:
        previous_cycle = earlier[-1]
        before = snapshot_current(previous_cycle)
        if before is not None:
            for provider in before.payload["providers"]:
                if provider["shown"]:
                    previous[before.departments[provider["code"]]] = provider[key]
    scheme = scheme_for(stored)
    names = {d.pk: (d.code, d.name) for d in Department.objects.filter(pk__in=snapshot.departments)}
    rows = []
    # Every department of the cycle gets a row, shown or not: one rated by fewer than k
    # raters is stored as not rated (docs/anonymity.md), so its row says "no figure" just
    # like the row of a department nobody rated.
    for provider in snapshot.payload["providers"]:
        pk = snapshot.departments[provider["code"]]
        shown = bool(provider["shown"])
        figure = bonus.Figure(
            index=provider[key] if shown else None,
            ci_low=provider["ci_low"] if shown else None,
            ci_high=provider["ci_high"] if shown else None,
            n_raters=provider["n_raters"] if shown else 0,
            shown=shown,
            previous_index=previous.get(pk),
        )
        outcome = bonus.multiplier_for(scheme, figure)
        code, name = names.get(pk, ("?", "?"))
        rows.append(
            BonusRow(
                department_id=pk,
                code=code,
                name=name,
                index=figure.index,
                n_raters=figure.n_raters if shown else None,
                half_width=outcome.half_width if shown else None,
                previous_index=figure.previous_index,
                outcome=outcome,
            )
        )
    rows.sort(key=lambda r: (r.index is None, r.code))  # departments with a figure first
    return BonusTable(cycle, snapshot, official, previous_cycle, rows)
