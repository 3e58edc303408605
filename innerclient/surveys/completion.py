"""Who has finished: invitation status derived in a batch, never in the submit transaction;
and, once the cycle closes, only counts.

A response carries no link to its invitation (docs/anonymity.md), so the server can tell that
a person has finished only by recomputing his rater keys in memory from his invitation's public
id (``link_token`` → ``rater_key`` and ``self_rater_key``) and looking for his responses. That
is done here, for a whole open cycle at once, by the reminder job, the response-rate page
(throttled) and cycle close.

Side door closed on purpose: when anything changed, *every* invitation of the cycle is
rewritten in the same transaction, so all of them share one transaction id (PostgreSQL's
``xmin``) and one physical position in time; the database cannot tell which invitation
became "completed" together with which freshly written responses. ``completed_on`` is a date.

At close (``cycle_counts_keep``) the per-invitation detail goes: the counts per rater
department are kept in ``CycleDepartmentCount``, the rater list is deleted and every
invitation's status, completion date, reminders and claims are erased. A closed cycle's
response rates are read from the counts.

Response rates of a department with fewer than k people invited are the coordinator's only
(for reminding): everyone else sees them folded into one "other departments" row
(``fold_small_departments``).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from innerclient.surveys.models import (
    Assignment,
    Cycle,
    CycleDepartmentCount,
    Invitation,
    RaterKind,
    Response,
)
from innerclient.surveys.tokens import link_token, rater_key, self_rater_key

Status = Invitation.Status


@dataclass(frozen=True)
class InvitationProgress:
    status: str
    done: int  # providers answered (submitted; "did not interact" counts once submitted)
    total: int  # providers assigned


def invitation_progress(*, cycle: Cycle) -> dict[int, InvitationProgress]:
    """Per invitation id: how many of its providers are answered. Reads, writes nothing."""
    answered: dict[str, dict[int, bool]] = defaultdict(dict)
    # A draft is not an answer, even with "did not interact" ticked: the rater has not
    # pressed submit yet, so he must not be counted as finished nor skipped by reminders.
    for key, provider_id, status in Response.objects.filter(cycle=cycle).values_list(
        "rater_key", "provider_id", "status"
    ):
        answered[key][provider_id] = status == Response.Status.SUBMITTED

    providers: dict[int, list[int]] = defaultdict(list)
    for invitation_id, provider_id in (
        Invitation.objects.filter(cycle=cycle)
        .filter(assignments__isnull=False)
        .values_list("pk", "assignments__provider_id")
    ):
        providers[invitation_id].append(provider_id)

    result = {}
    for invitation_id, public_id in Invitation.objects.filter(cycle=cycle).values_list(
        "pk", "public_id"
    ):
        token = link_token(str(public_id))
        # The self-assessment is answered under a key of its own (surveys.tokens).
        mine = {**answered.get(rater_key(token), {}), **answered.get(self_rater_key(token), {})}
        assigned = providers.get(invitation_id, [])
        done = sum(1 for provider_id in assigned if mine.get(provider_id))
        if assigned and done == len(assigned):
            status = Status.COMPLETED
        elif mine:
            status = Status.STARTED
        else:
            status = Status.PENDING
        result[invitation_id] = InvitationProgress(status=status, done=done, total=len(assigned))
    return result


def invitation_status_refresh(*, cycle: Cycle) -> int:
    """Bring every invitation's status and completed_on up to date; return how many changed.

    Only while the cycle is open: the cycle's row is locked first, so a refresh that started
    before ``cycle_close`` waits for it and then writes nothing (a closed cycle's invitations
    must not get their statuses back)."""
    progress = invitation_progress(cycle=cycle)
    today = timezone.localdate()
    with transaction.atomic():
        still_open = (
            Cycle.objects.select_for_update()
            .filter(pk=cycle.pk, status=Cycle.Status.OPEN)
            .values_list("pk")
        )
        if not still_open:
            return 0
        current = {
            pk: (status, completed_on)
            for pk, status, completed_on in Invitation.objects.select_for_update()
            .filter(cycle=cycle)
            .order_by("pk")  # one lock order for every refresh: no deadlock between two
            .values_list("pk", "status", "completed_on")
        }
        target = {}
        for pk, (status, completed_on) in current.items():
            new_status = progress[pk].status if pk in progress else status
            completed = new_status == Status.COMPLETED
            target[pk] = (new_status, (completed_on or today) if completed else None)
        changed = sum(1 for pk in current if current[pk] != target[pk])
        if changed:
            # Rewrite all of them, not only the changed ones (see the module docstring).
            groups: dict[tuple, list[int]] = defaultdict(list)
            for pk, value in target.items():
                groups[value].append(pk)
            for (status, completed_on), pks in groups.items():
                for start in range(0, len(pks), 500):
                    Invitation.objects.filter(pk__in=pks[start : start + 500]).update(
                        status=status, completed_on=completed_on
                    )
    return changed


# --- at close: counts, and nothing per person ------------------------------------------------


def cycle_counts_keep(*, cycle: Cycle) -> list[CycleDepartmentCount]:
    """Keep per rater department how many were invited, started and finished, and what they
    were asked to rate; then delete the cycle's rater list and erase every invitation's
    status, completion date, reminders and claims. Called by ``cycle_close`` after the last
    refresh (and by the demo for its past cycles). Idempotent."""
    with transaction.atomic():
        kept = list(CycleDepartmentCount.objects.filter(cycle=cycle))
        if not kept:
            counts: dict[int, CycleDepartmentCount] = {}

            def row(department_id: int) -> CycleDepartmentCount:
                if department_id not in counts:
                    counts[department_id] = CycleDepartmentCount(
                        cycle=cycle, department_id=department_id, providers={}
                    )
                return counts[department_id]

            for department_id, status in Invitation.objects.filter(cycle=cycle).values_list(
                "person__department_id", "status"
            ):
                found = row(department_id)
                found.invited += 1
                if status == Invitation.Status.STARTED:
                    found.started += 1
                elif status == Invitation.Status.COMPLETED:
                    found.completed += 1
            providers: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
            for department_id, provider_id, kind in Assignment.objects.filter(
                invitation__cycle=cycle
            ).values_list("invitation__person__department_id", "provider_id", "kind"):
                found = row(department_id)
                if kind == RaterKind.SELF:
                    found.self_assessments += 1
                else:
                    found.ratings += 1
                    providers[department_id][provider_id] += 1
            for department_id, found in counts.items():
                found.providers = {str(p): n for p, n in sorted(providers[department_id].items())}
            kept = CycleDepartmentCount.objects.bulk_create(
                [counts[pk] for pk in sorted(counts)], batch_size=500
            )
        Assignment.objects.filter(invitation__cycle=cycle).delete()
        Invitation.objects.filter(cycle=cycle).exclude(
            status=Invitation.Status.CLOSED,
            completed_on=None,
            reminders_sent=0,
            last_reminded_at=None,
            claimed_by="",
            claimed_until=None,
        ).update(
            status=Invitation.Status.CLOSED,
            completed_on=None,
            reminders_sent=0,
            last_reminded_at=None,
            claimed_by="",
            claimed_until=None,
        )
    return kept


# --- response rates (counts only) ---------------------------------------------------------

REFRESH_EVERY_SECONDS = 60


@dataclass(frozen=True)
class RateRow:
    department_id: int | None  # None: the "other departments" row
    department_name: str
    invited: int
    started: int
    completed: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.invited) if self.invited else 0

    @property
    def started_percent(self) -> int:
        return round(100 * self.started / self.invited) if self.invited else 0


@dataclass(frozen=True)
class ResponseRates:
    overall: RateRow
    departments: list[RateRow]  # by name; without the folded ones
    not_yet_invited: int
    refreshed_at: datetime | None
    other: RateRow | None = None  # the folded departments together
    folded: int = 0  # how many departments ``other`` counts
    threshold: int = 0  # the cycle's anonymity threshold


def fold_small_departments(
    rows: list[RateRow], *, k: int
) -> tuple[list[RateRow], RateRow | None, int]:
    """Departments with fewer than ``k`` people invited, counted together in one row.

    A tiny department's count tells its head who has not answered ("1 of 3"). The folded row
    rests on at least ``k`` invited too (the smallest other departments join it when needed),
    since the overall total minus the shown rows would give it away. Whether a department is
    folded depends only on how many it invited, which is fixed once the cycle opens, so every
    page and every moment folds the same ones. Returns (shown rows, the other row, folded)."""
    small = [r for r in rows if r.invited < k]
    if not small:
        return list(rows), None, 0
    shown = sorted(
        (r for r in rows if r.invited >= k), key=lambda r: (r.invited, r.department_name)
    )
    while sum(r.invited for r in small) < k and shown:
        small.append(shown.pop(0))
    other = RateRow(
        department_id=None,
        department_name=_("Other departments"),
        invited=sum(r.invited for r in small),
        started=sum(r.started for r in small),
        completed=sum(r.completed for r in small),
    )
    shown.sort(key=lambda r: r.department_name)
    return shown, other, len(small)


def _refresh_throttled(cycle: Cycle) -> datetime | None:
    """Refresh at most once per ``REFRESH_EVERY_SECONDS`` per cycle (per cache), since each
    refresh reads every response of the cycle; the page polls far more often than that."""
    if cycle.status != Cycle.Status.OPEN:
        return None
    key = f"surveys:completion-refreshed:{cycle.pk}"
    now = timezone.now()
    every = getattr(settings, "INNERCLIENT_PROGRESS_REFRESH_SECONDS", REFRESH_EVERY_SECONDS)
    if cache.add(key, now, timeout=every):
        invitation_status_refresh(cycle=cycle)
        return now
    return cache.get(key, now)


def _name(name_ru: str, name_en: str, english: bool) -> str:
    return name_en if english and name_en else name_ru


def _live_rows(cycle: Cycle, english: bool) -> tuple[list[RateRow], int]:
    rows = (
        Invitation.objects.filter(cycle=cycle)
        .values(
            "person__department_id", "person__department__name_ru", "person__department__name_en"
        )
        .annotate(
            invited=Count("pk"),
            started=Count("pk", filter=Q(status=Status.STARTED)),
            completed=Count("pk", filter=Q(status=Status.COMPLETED)),
            not_invited=Count("pk", filter=Q(invited_at__isnull=True)),
        )
    )
    departments = []
    not_yet_invited = 0
    for row in rows:
        departments.append(
            RateRow(
                department_id=row["person__department_id"],
                department_name=_name(
                    row["person__department__name_ru"],
                    row["person__department__name_en"],
                    english,
                ),
                invited=row["invited"],
                started=row["started"],
                completed=row["completed"],
            )
        )
        not_yet_invited += row["not_invited"]
    return departments, not_yet_invited


def _kept_rows(cycle: Cycle, english: bool) -> list[RateRow]:
    return [
        RateRow(
            department_id=department_id,
            department_name=_name(name_ru, name_en, english),
            invited=invited,
            started=started,
            completed=completed,
        )
        for department_id, name_ru, name_en, invited, started, completed in (
            CycleDepartmentCount.objects.filter(cycle=cycle).values_list(
                "department_id",
                "department__name_ru",
                "department__name_en",
                "invited",
                "started",
                "completed",
            )
        )
    ]


def response_rates(*, cycle: Cycle, every_department: bool = False) -> ResponseRates:
    """Invited, started and completed raters per rater's department and overall.

    Open (and draft) cycles are counted from their invitations, closed and published ones
    from the counts kept at close. Departments with fewer than the cycle's anonymity
    threshold invited are folded into ``other`` unless ``every_department`` (the coordinator,
    who reminds people, sees each department)."""
    english = (translation.get_language() or "ru").startswith("en")
    if cycle.status in (Cycle.Status.CLOSED, Cycle.Status.PUBLISHED):
        refreshed_at, not_yet_invited = None, 0
        departments = _kept_rows(cycle, english)
    else:
        refreshed_at = _refresh_throttled(cycle)
        departments, not_yet_invited = _live_rows(cycle, english)
    overall = RateRow(
        department_id=None,
        department_name="",
        invited=sum(r.invited for r in departments),
        started=sum(r.started for r in departments),
        completed=sum(r.completed for r in departments),
    )
    other, folded = None, 0
    if not every_department:
        departments, other, folded = fold_small_departments(
            departments, k=cycle.anonymity_threshold
        )
    # By name, not by rate: rows that jump around while the page refreshes are hard to watch.
    departments.sort(key=lambda r: r.department_name)
    return ResponseRates(
        overall=overall,
        departments=departments,
        not_yet_invited=not_yet_invited,
        refreshed_at=refreshed_at,
        other=other,
        folded=folded,
        threshold=cycle.anonymity_threshold,
    )
