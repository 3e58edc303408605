"""Reminders: cadence, only to unfinished raters, at most ``max_reminders``, over real SMTP.

"Now" is passed in, so the cadence is tested at fixed instants. The cycle opened at T0
(1 March 2027, 10:00 Moscow), deadline 15 March: reminders fall due 3 days after opening
(4 March, 10:00) and 1 day before the deadline (14 March, 09:00).
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from innerclient.surveys import notifications
from innerclient.surveys.models import Invitation, Response
from tests.surveys.factories_emails import (
    T0,
    answer,
    finish,
    make_cycle,
    make_invitation,
    providers_for,
    smtp_server,  # noqa: F401 (the smtp fixture)
)

pytestmark = pytest.mark.django_db

MSK = timezone.get_fixed_timezone(180)
FIRST = datetime(2027, 3, 4, 10, 0, tzinfo=MSK)
SECOND = datetime(2027, 3, 14, 9, 0, tzinfo=MSK)
AFTER_DEADLINE = datetime(2027, 3, 16, 0, 1, tzinfo=MSK)


@pytest.fixture
def cycle():
    return make_cycle(name="2027 Q1")


@pytest.fixture
def raters(cycle):
    """A rater who finished, one halfway through, one who has not started."""
    providers = providers_for(cycle, 2)
    finished, halfway, idle = (
        make_invitation(cycle, providers=providers, invited_at=T0) for _ in range(3)
    )
    finish(finished)
    answer(halfway, providers[0])
    answer(halfway, providers[1], status=Response.Status.DRAFT)
    for invitation in (finished, halfway, idle):
        invitation.person.language = "en"
        invitation.person.save()
    return finished, halfway, idle


def test_reminder_points_follow_the_cycle_settings(cycle):
    assert notifications.reminder_points(cycle) == [FIRST, SECOND]
    cycle.reminder_days_after_open = 0
    assert notifications.reminder_points(cycle) == [SECOND]


def test_reminders_go_only_to_raters_who_have_not_finished(smtp, cycle, raters):
    finished, halfway, idle = raters

    sent = notifications.reminders_send(cycle_id=cycle.pk, now=FIRST + timedelta(minutes=5))

    assert sent == 2
    assert smtp.recipients == sorted([halfway.person.email, idle.person.email])
    assert smtp.to(finished.person.email) == []
    [half] = smtp.to(halfway.person.email)
    assert "1 department is left" in half.text
    assert "Continue the questionnaire" in half.html
    [fresh] = smtp.to(idle.person.email)
    assert "2 departments to rate" in fresh.text
    assert fresh.subject.startswith("Reminder: 2027 Q1")
    # The reminder carries the same personal link as the invitation.
    assert notifications.invitation_link(idle) in fresh.text
    idle.refresh_from_db()
    assert idle.reminders_sent == 1
    assert idle.claimed_by == ""


def test_a_finished_rater_gets_no_reminder_even_when_sent_by_hand(smtp, cycle, raters):
    finished, _halfway, _idle = raters

    notifications.reminders_send(cycle_id=cycle.pk, force=True, now=FIRST)

    assert smtp.to(finished.person.email) == []
    finished.refresh_from_db()
    assert finished.status == Invitation.Status.COMPLETED
    assert finished.reminders_sent == 0


def test_submitted_did_not_interact_counts_as_answered(smtp, cycle):
    providers = providers_for(cycle, 2)
    invitation = make_invitation(cycle, providers=providers, invited_at=T0)
    answer(invitation, providers[0])
    answer(invitation, providers[1], did_not_interact=True)

    assert notifications.reminders_send(cycle_id=cycle.pk, now=FIRST) == 0
    assert smtp.messages == []


def test_a_draft_with_did_not_interact_is_not_finished(smtp, cycle):
    providers = providers_for(cycle, 2)
    invitation = make_invitation(cycle, providers=providers, invited_at=T0)
    answer(invitation, providers[0])
    answer(invitation, providers[1], status=Response.Status.DRAFT, did_not_interact=True)

    assert notifications.reminders_send(cycle_id=cycle.pk, now=FIRST) == 1
    assert len(smtp.messages) == 1


def test_nothing_is_due_before_the_first_point(smtp, cycle, raters):
    assert notifications.reminders_due(cycle, FIRST - timedelta(minutes=1)) == []
    assert notifications.reminders_send(cycle_id=cycle.pk, now=FIRST - timedelta(hours=1)) == 0
    assert smtp.messages == []


def test_cadence_sends_once_per_due_point(smtp, cycle, raters):
    _finished, halfway, idle = raters
    expected = sorted([halfway.pk, idle.pk])

    assert sorted(notifications.reminders_due(cycle, FIRST)) == expected
    assert notifications.reminders_send(cycle_id=cycle.pk, now=FIRST) == 2
    # The job runs every few minutes: the same due point is never sent twice.
    for later in (FIRST + timedelta(minutes=5), FIRST + timedelta(days=3)):
        assert notifications.reminders_due(cycle, later) == []
        assert notifications.reminders_send(cycle_id=cycle.pk, now=later) == 0
    # The day before the deadline: the second reminder.
    assert sorted(notifications.reminders_due(cycle, SECOND)) == expected
    assert notifications.reminders_send(cycle_id=cycle.pk, now=SECOND) == 2
    assert notifications.reminders_send(cycle_id=cycle.pk, now=SECOND + timedelta(hours=1)) == 0
    # After the deadline day: nothing more.
    assert notifications.reminders_send(cycle_id=cycle.pk, now=AFTER_DEADLINE) == 0

    assert len(smtp.messages) == 4
    assert {i.reminders_sent for i in Invitation.objects.filter(pk__in=expected)} == {2}


def test_a_late_pass_sends_one_reminder_for_all_missed_points(smtp, cycle, raters):
    notifications.reminders_send(cycle_id=cycle.pk, now=SECOND + timedelta(hours=2))

    assert len(smtp.messages) == 2
    assert notifications.reminders_send(cycle_id=cycle.pk, now=SECOND + timedelta(hours=3)) == 0


def test_someone_invited_after_a_due_point_waits_for_the_next(smtp, cycle):
    late = make_invitation(
        cycle, providers=providers_for(cycle, 1), invited_at=FIRST + timedelta(days=1)
    )

    assert notifications.reminders_due(cycle, FIRST + timedelta(days=2)) == []
    assert notifications.reminders_due(cycle, SECOND) == [late.pk]


def test_max_reminders_is_respected(smtp, cycle, raters):
    cycle.max_reminders = 1
    cycle.save()

    notifications.reminders_send(cycle_id=cycle.pk, now=FIRST)
    notifications.reminders_send(cycle_id=cycle.pk, now=SECOND)
    notifications.reminders_send(cycle_id=cycle.pk, force=True, now=SECOND + timedelta(days=1))

    assert len(smtp.messages) == 2  # one each for the two unfinished raters
    assert set(Invitation.objects.values_list("reminders_sent", flat=True)) == {0, 1}


def test_send_now_reaches_every_unfinished_rater_but_not_twice_in_a_row(smtp, cycle, raters):
    _finished, halfway, idle = raters
    now = T0 + timedelta(days=1)  # no scheduled reminder is due yet

    assert notifications.reminders_now_count(cycle=cycle, now=now) == 2
    assert notifications.reminders_send(cycle_id=cycle.pk, force=True, now=now) == 2
    # A double click: the cooldown keeps it to one email.
    assert notifications.reminders_now_count(cycle=cycle, now=now) == 0
    assert notifications.reminders_send(cycle_id=cycle.pk, force=True, now=now) == 0
    assert smtp.recipients == sorted([halfway.person.email, idle.person.email])
    # A reminder sent by hand before a due point does not replace the scheduled one.
    assert notifications.reminders_send(cycle_id=cycle.pk, now=FIRST) == 2
    assert notifications.reminders_send(cycle_id=cycle.pk, now=FIRST + timedelta(hours=1)) == 0


def test_no_reminder_to_someone_not_invited_yet_or_deactivated(smtp, cycle):
    make_invitation(cycle, providers=providers_for(cycle, 1))  # invitation not sent yet
    gone = make_invitation(cycle, providers=providers_for(cycle, 1), invited_at=T0)
    gone.person.is_active = False
    gone.person.save()

    assert notifications.reminders_send(cycle_id=cycle.pk, now=FIRST) == 0
    assert notifications.reminders_send(cycle_id=cycle.pk, force=True, now=FIRST) == 0


def test_a_claimed_reminder_is_not_sent_by_a_second_worker(smtp, cycle, raters):
    _finished, halfway, idle = raters
    Invitation.objects.filter(pk=halfway.pk).update(
        claimed_by="other-worker", claimed_until=timezone.now() + timedelta(minutes=5)
    )

    assert notifications.reminders_send(cycle_id=cycle.pk, now=FIRST) == 1
    assert smtp.recipients == [idle.person.email]
