"""Who has finished: invitation status derived in a batch, never in the submit transaction.

A response carries no link to its invitation (docs/anonymity.md), so the server can tell that
a person has finished only by recomputing his rater key in memory from his invitation's public
id (``link_token`` → ``rater_key``) and looking for his responses. That is done here, for a
whole cycle at once, by the reminder job, the response-rate page (throttled) and cycle close.

Side door closed on purpose: when anything changed, *every* invitation of the cycle is
rewritten in the same transaction, so all of them share one transaction id (PostgreSQL's
``xmin``) and one physical position in time; the database cannot tell which invitation
became "completed" together with which freshly written responses. ``completed_on`` is a date.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation

from innerclient.surveys.models import Cycle, Invitation, Response
from innerclient.surveys.tokens import link_token, rater_key

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
        mine = answered.get(rater_key(link_token(str(public_id))), {})
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
    """Bring every invitation's status and completed_on up to date; return how many changed."""
    progress = invitation_progress(cycle=cycle)
    today = timezone.localdate()
    with transaction.atomic():
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


# --- response rates (counts only) ---------------------------------------------------------

REFRESH_EVERY_SECONDS = 60


@dataclass(frozen=True)
class RateRow:
    department_id: int | None
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
    departments: list[RateRow]
    not_yet_invited: int
    refreshed_at: datetime | None


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


def response_rates(*, cycle: Cycle) -> ResponseRates:
    """Invited, started and completed raters per rater's department and overall."""
    refreshed_at = _refresh_throttled(cycle)
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
    english = (translation.get_language() or "ru").startswith("en")
    departments = []
    not_yet_invited = 0
    for row in rows:
        name = row["person__department__name_ru"]
        if english and row["person__department__name_en"]:
            name = row["person__department__name_en"]
        departments.append(
            RateRow(
                department_id=row["person__department_id"],
                department_name=name,
                invited=row["invited"],
                started=row["started"],
                completed=row["completed"],
            )
        )
        not_yet_invited += row["not_invited"]
    # By name, not by rate: rows that jump around while the page refreshes are hard to watch.
    departments.sort(key=lambda r: r.department_name)
    overall = RateRow(
        department_id=None,
        department_name="",
        invited=sum(r.invited for r in departments),
        started=sum(r.started for r in departments),
        completed=sum(r.completed for r in departments),
    )
    return ResponseRates(
        overall=overall,
        departments=departments,
        not_yet_invited=not_yet_invited,
        refreshed_at=refreshed_at,
    )
