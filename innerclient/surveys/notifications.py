"""Invitations and reminders by email.

One email per person per occasion, even when he rates many providers (one ``Invitation`` per
person per cycle). Sending is at-least-once but never concurrent: a sender claims each row
with a conditional UPDATE that also re-checks that the row still needs the message
(``claimed_until`` free *and* not yet invited / not yet reminded for this due point), so two
workers — the db_worker, ``manage.py send_reminders``, a coordinator's "send reminder now" —
never send the same message twice. A claim expires after ``INNERCLIENT_EMAIL_CLAIM_SECONDS``
(default 300), so a crashed worker's rows are picked up by the next pass; rows are claimed in
small chunks so a slow SMTP server cannot outlive the claim.

Reminder cadence (per cycle): ``reminder_days_after_open`` days after opening, and
``reminder_days_before_deadline`` days before the deadline (at 09:00 local time); at most
``max_reminders`` in all; never after the deadline day; never to someone who finished
(completion is refreshed first, see ``completion.py``); one reminder per due point: a pass
that runs late sends the latest missed point once, not each missed point.
"""

import logging
import os
import re
import socket
import uuid
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.tasks import task
from django.urls import NoReverseMatch
from django.utils import timezone

from innerclient.core.audit import audit_record
from innerclient.core.emails import open_mailer
from innerclient.surveys import completion
from innerclient.surveys.models import Cycle, Invitation, RaterKind
from innerclient.surveys.tokens import link_token

logger = logging.getLogger(__name__)

CHUNK = 25
# "Send reminder now" skips whoever got an invitation or a reminder this recently: a double
# click, or two coordinators pressing the button, must not mean two emails.
REMIND_NOW_COOLDOWN = timedelta(hours=1)
REMINDER_HOUR = time(9, 0)
DEFAULT_SITE_URL = "http://127.0.0.1:8000"


# --- links --------------------------------------------------------------------------------


def invitation_link(invitation: Invitation) -> str:
    """The absolute personal link: site URL + the questionnaire's start path."""
    site = getattr(settings, "INNERCLIENT_SITE_URL", "") or DEFAULT_SITE_URL
    return site.rstrip("/") + _invitation_path(invitation)


def _invitation_path(invitation: Invitation) -> str:
    try:
        from innerclient.surveys.questionnaire import invitation_url

        return invitation_url(invitation)
    except (ImportError, NoReverseMatch):  # the questionnaire is not wired in yet
        public_id = str(invitation.public_id)
        return f"/r/{public_id}/{link_token(public_id)}/"


# --- enqueueing -----------------------------------------------------------------------------


def invitations_enqueue(*, cycle_id: int) -> None:
    """Send the cycle's invitations in the background once the current transaction commits."""
    transaction.on_commit(lambda: invitations_send_task.enqueue(cycle_id=cycle_id))


@task
def invitations_send_task(cycle_id: int) -> None:
    invitations_send(cycle_id=cycle_id)


@task
def reminders_send_task(cycle_id: int, force: bool = False) -> None:
    reminders_send(cycle_id=cycle_id, force=force)


def reminders_request(*, actor, cycle: Cycle) -> int:
    """The coordinator's "send reminder now": audit it, send in the background on commit.

    Returns how many people are expected to get one (the count shown for confirmation)."""
    expected = reminders_now_count(cycle=cycle)
    with transaction.atomic():
        audit_record(
            organization=cycle.organization,
            actor=actor,
            action="cycle.remind_now",
            obj=cycle,
            changes={"recipients": [None, expected]},
        )
        cycle_id = cycle.pk
        transaction.on_commit(lambda: reminders_send_task.enqueue(cycle_id=cycle_id, force=True))
    return expected


# --- who gets what --------------------------------------------------------------------------


def _deadline_end(cycle: Cycle) -> datetime | None:
    if cycle.deadline is None:
        return None
    next_day = cycle.deadline + timedelta(days=1)
    return datetime.combine(next_day, time(0, 0), tzinfo=timezone.get_default_timezone())


def reminder_points(cycle: Cycle) -> list[datetime]:
    """When scheduled reminders fall due, in order. Points less than a day apart merge."""
    points = []
    if cycle.opened_at and cycle.reminder_days_after_open:
        points.append(cycle.opened_at + timedelta(days=cycle.reminder_days_after_open))
    if cycle.deadline and cycle.reminder_days_before_deadline:
        day = cycle.deadline - timedelta(days=cycle.reminder_days_before_deadline)
        points.append(datetime.combine(day, REMINDER_HOUR, tzinfo=timezone.get_default_timezone()))
    end = _deadline_end(cycle)
    kept: list[datetime] = []
    for point in sorted(points):
        if end is not None and point >= end:
            continue
        if cycle.opened_at and point <= cycle.opened_at:
            continue
        if kept and point - kept[-1] < timedelta(days=1):
            continue
        kept.append(point)
    return kept


def _current_point(cycle: Cycle, now: datetime) -> datetime | None:
    end = _deadline_end(cycle)
    if end is not None and now >= end:
        return None
    passed = [point for point in reminder_points(cycle) if point <= now]
    return passed[-1] if passed else None


# Claim conditions name only the invitation's own columns: PostgreSQL re-checks such a WHERE
# on the latest row version when two UPDATEs race, which it cannot do through a join.
ACTIVE = Q(person__is_active=True)


def _unfinished(cycle: Cycle) -> Q:
    # Not "not completed": a closed cycle's invitations are neither, and a sender that started
    # before the close must claim none of them (their reminders are erased at close).
    return (
        Q(cycle=cycle, invited_at__isnull=False)
        & Q(status__in=[Invitation.Status.PENDING, Invitation.Status.STARTED])
        & Q(reminders_sent__lt=cycle.max_reminders)
    )


def _scheduled_q(cycle: Cycle, point: datetime) -> Q:
    """Due for the reminder at ``point``: invited before it and not reminded since."""
    return (
        _unfinished(cycle)
        & Q(invited_at__lt=point)
        & (Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=point))
    )


def _now_q(cycle: Cycle, now: datetime) -> Q:
    recent = now - REMIND_NOW_COOLDOWN
    return (
        _unfinished(cycle)
        & Q(invited_at__lt=recent)
        & (Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=recent))
    )


def reminders_due(cycle: Cycle, now: datetime) -> list[int]:
    """Ids of the invitations whose scheduled reminder is due at ``now`` (status refreshed)."""
    if cycle.status != Cycle.Status.OPEN:
        return []
    point = _current_point(cycle, now)
    if point is None:
        return []
    completion.invitation_status_refresh(cycle=cycle)
    return list(
        Invitation.objects.filter(_scheduled_q(cycle, point), ACTIVE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def reminders_now_count(*, cycle: Cycle, now: datetime | None = None) -> int:
    """How many people "send reminder now" would reach (status refreshed first)."""
    if cycle.status != Cycle.Status.OPEN:
        return 0
    completion.invitation_status_refresh(cycle=cycle)
    return Invitation.objects.filter(_now_q(cycle, now or timezone.now()), ACTIVE).count()


# --- sending --------------------------------------------------------------------------------


def _worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def claim_duration() -> timedelta:
    return timedelta(seconds=float(settings.INNERCLIENT_EMAIL_CLAIM_SECONDS))


def _claim(pks: list[int], *, condition: Q, worker: str) -> list[int]:
    """Claim each row with one conditional UPDATE; return the ones this worker got."""
    clock = timezone.now()  # claims use the real clock even when ``now`` is simulated
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=clock)
    until = clock + claim_duration()
    claimed = []
    for pk in pks:
        if Invitation.objects.filter(free, condition, pk=pk).update(
            claimed_by=worker, claimed_until=until
        ):
            claimed.append(pk)
    return claimed


def _release(pks: list[int], *, worker: str) -> None:
    Invitation.objects.filter(pk__in=pks, claimed_by=worker).update(
        claimed_by="", claimed_until=None
    )


def greeting_name(full_name: str) -> str:
    """Russians by name and patronymic: «Иванов Иван Петрович» → «Иван Петрович»."""
    words = full_name.split()
    if len(words) == 3 and all(re.fullmatch(r"[А-Яа-яЁё-]+", word) for word in words):
        return " ".join(words[1:])
    return full_name.strip()


def _base_context(invitation: Invitation, cycle: Cycle) -> dict:
    return {
        "person_name": greeting_name(invitation.person.full_name),
        "organization_name": cycle.organization.name,
        "cycle_name": cycle.name,
        "deadline": cycle.deadline,
        "departments": invitation.n_providers,
        "rates_own_department": invitation.n_self > 0,
        "anonymity_threshold": cycle.anonymity_threshold,
        "link": invitation_link(invitation),
    }


def _send(
    *,
    cycle: Cycle,
    pks: list[int],
    condition: Q,
    template: str,
    record: dict,
    extra_context=None,
) -> int:
    """Claim, send and record in chunks; return how many messages went out."""
    if not pks:
        return 0
    worker = _worker_id()
    sent = 0
    with open_mailer() as mailer:
        for start in range(0, len(pks), CHUNK):
            claimed = _claim(pks[start : start + CHUNK], condition=condition, worker=worker)
            if not claimed:
                continue
            try:
                invitations = (
                    Invitation.objects.filter(pk__in=claimed)
                    .select_related("person")
                    .annotate(
                        n_providers=Count("assignments"),
                        n_self=Count("assignments", filter=Q(assignments__kind=RaterKind.SELF)),
                    )
                    .order_by("pk")
                )
                for invitation in invitations:
                    context = _base_context(invitation, cycle)
                    if extra_context is not None:
                        context.update(extra_context(invitation))
                    mailer.send(
                        template=template,
                        to=invitation.person.email,
                        context=context,
                        language=invitation.person.language,
                    )
                    Invitation.objects.filter(pk=invitation.pk, claimed_by=worker).update(
                        claimed_by="", claimed_until=None, **record
                    )
                    sent += 1
            finally:
                _release(claimed, worker=worker)
    return sent


def _open_cycle(cycle_id: int) -> Cycle | None:
    return (
        Cycle.objects.select_related("organization")
        .filter(pk=cycle_id, status=Cycle.Status.OPEN)
        .first()
    )


def invitations_send(*, cycle_id: int, now: datetime | None = None) -> int:
    """Invite everyone of an open cycle who has not been invited yet. Idempotent."""
    cycle = _open_cycle(cycle_id)
    if cycle is None:
        return 0
    now = now or timezone.now()
    condition = Q(cycle=cycle, invited_at__isnull=True)
    pks = list(
        Invitation.objects.filter(condition, ACTIVE).order_by("pk").values_list("pk", flat=True)
    )
    sent = _send(
        cycle=cycle,
        pks=pks,
        condition=condition,
        template="invitation",
        record={"invited_at": now},
    )
    if sent:
        logger.info("cycle %s: %s invitations sent", cycle_id, sent)
    return sent


def reminders_send(*, cycle_id: int, force: bool = False, now: datetime | None = None) -> int:
    """Send the reminders due now (``force``: to every unfinished rater, "send now")."""
    cycle = _open_cycle(cycle_id)
    if cycle is None:
        return 0
    now = now or timezone.now()
    if force:
        completion.invitation_status_refresh(cycle=cycle)
        condition = _now_q(cycle, now)
    else:
        point = _current_point(cycle, now)
        if point is None:
            return 0
        completion.invitation_status_refresh(cycle=cycle)
        condition = _scheduled_q(cycle, point)
    pks = list(
        Invitation.objects.filter(condition, ACTIVE).order_by("pk").values_list("pk", flat=True)
    )
    if not pks:
        return 0
    progress = completion.invitation_progress(cycle=cycle)

    def remaining(invitation: Invitation) -> dict:
        mine = progress.get(invitation.pk)
        done = mine.done if mine else 0
        return {"done": done, "left": max(invitation.n_providers - done, 0)}

    sent = _send(
        cycle=cycle,
        pks=pks,
        condition=condition,
        template="reminder",
        record={"reminders_sent": F("reminders_sent") + 1, "last_reminded_at": now},
        extra_context=remaining,
    )
    if sent:
        logger.info("cycle %s: %s reminders sent", cycle_id, sent)
    return sent


def notifications_pass(*, now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """One pass over every open cycle: invitations not sent yet, then reminders due.

    Returns ``{cycle_id: (invitations sent, reminders sent)}``."""
    result = {}
    for cycle_id in Cycle.objects.filter(status=Cycle.Status.OPEN).values_list("pk", flat=True):
        result[cycle_id] = (
            invitations_send(cycle_id=cycle_id, now=now),
            reminders_send(cycle_id=cycle_id, now=now),
        )
    return result
