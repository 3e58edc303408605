"""Invitations by email, against a real SMTP server on loopback (aiosmtpd)."""

import re
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.utils import timezone, translation

from innerclient.core.emails import render_email, send_email
from innerclient.surveys import notifications
from innerclient.surveys.models import Cycle, Invitation
from innerclient.surveys.tokens import token_is_valid
from tests.factories import PersonFactory
from tests.surveys.factories_emails import (
    T0,
    make_cycle,
    make_invitation,
    providers_for,
    smtp_server,  # noqa: F401 (the smtp fixture)
)

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://inner\.test(/r/[^\s\"<]+)")


def _link(text: str) -> str:
    return LINK.search(text).group(1)


def test_invitation_arrives_over_smtp_with_a_working_personal_link(smtp, client):
    cycle = make_cycle(name="2027 Q1")
    invitation = make_invitation(cycle, providers=providers_for(cycle, 2))
    invitation.person.language = "en"
    invitation.person.save()

    assert notifications.invitations_send(cycle_id=cycle.pk, now=T0) == 1

    [message] = smtp.messages
    assert message.to == invitation.person.email
    assert message.message["From"] == "Inner Client <noreply@inner.test>"
    assert message.subject == "2027 Q1: rate the departments you work with"
    assert "2 departments" in message.text
    assert "10–15 minutes" in message.text
    assert "anonymous" in message.text
    path = _link(message.text)
    assert path in message.html
    public_id, token = path.strip("/").split("/")[1:]
    assert public_id == str(invitation.public_id)
    assert token_is_valid(public_id, token)
    # The questionnaire accepts it: the start page redirects to the token-free pages.
    assert client.get(path).status_code in (200, 302)
    invitation.refresh_from_db()
    assert invitation.invited_at == T0
    assert invitation.claimed_by == ""
    assert invitation.claimed_until is None


def test_a_person_rating_five_providers_gets_one_email(smtp):
    cycle = make_cycle()
    invitation = make_invitation(cycle, providers=providers_for(cycle, 5))
    others = [make_invitation(cycle, providers=providers_for(cycle, 1)) for _ in range(2)]

    assert notifications.invitations_send(cycle_id=cycle.pk) == 3

    assert len(smtp.to(invitation.person.email)) == 1
    assert smtp.recipients == sorted(i.person.email for i in [invitation, *others])
    assert "5" in smtp.to(invitation.person.email)[0].text


def test_invitation_is_written_in_the_persons_language(smtp):
    cycle = make_cycle(name="2027 Q1")
    cycle.deadline = T0.date() + timedelta(days=14)  # 15 March 2027
    cycle.save()
    russian = make_invitation(
        cycle, person=PersonFactory(language="ru"), providers=providers_for(cycle, 1)
    )
    english = make_invitation(
        cycle, person=PersonFactory(language="en"), providers=providers_for(cycle, 1)
    )

    notifications.invitations_send(cycle_id=cycle.pk)

    [ru] = smtp.to(russian.person.email)
    [en] = smtp.to(english.person.email)
    assert ru.message["Content-Language"] == "ru"
    assert en.message["Content-Language"] == "en"
    assert "15 марта 2027" in ru.text
    assert "15 March 2027" in en.text
    with translation.override("ru"):
        expected = translation.gettext("%(cycle)s: rate the departments you work with") % {
            "cycle": "2027 Q1"
        }
    assert ru.subject == expected
    assert en.subject == "2027 Q1: rate the departments you work with"


def test_the_html_part_loads_nothing_from_outside():
    message = notifications_message()
    html = message.alternatives[0].content
    assert "<img" not in html
    assert "<link" not in html
    assert "url(" not in html
    assert 'name="viewport"' in html


CONTEXT = {
    "person_name": "Анна",
    "organization_name": "ООО «Ромашка»",
    "cycle_name": 'Q1 "test"',
    "deadline": None,
    "departments": 3,
    "rates_own_department": True,
    "anonymity_threshold": 5,
    "link": "https://inner.test/r/x/y/",
}


def notifications_message():
    return render_email(template="invitation", to="a@example.test", context=CONTEXT, language="en")


def test_text_part_is_not_html_escaped():
    message = notifications_message()
    assert 'Q1 "test"' in message.body
    assert "ООО «Ромашка»" in message.body
    assert "&quot;" not in message.body
    assert "self-assessment" in message.body


def test_send_email_sends_one_multipart_message(smtp):
    send_email(
        template="invitation",
        to="someone@example.test",
        context={**CONTEXT, "link": "https://inner.test/r/a/b/"},
        language="en",
    )
    [message] = smtp.messages
    assert message.message.get_content_type() == "multipart/alternative"
    assert "https://inner.test/r/a/b/" in message.html


def test_invitations_are_sent_once_however_often_the_job_runs(smtp):
    cycle = make_cycle()
    for _ in range(3):
        make_invitation(cycle, providers=providers_for(cycle, 1))

    assert notifications.invitations_send(cycle_id=cycle.pk) == 3
    assert notifications.invitations_send(cycle_id=cycle.pk) == 0
    call_command("send_reminders")

    assert len(smtp.messages) == 3
    assert not Invitation.objects.filter(invited_at__isnull=True).exists()


def test_opening_enqueues_the_invitations_on_commit(smtp, django_capture_on_commit_callbacks):
    cycle = make_cycle()
    make_invitation(cycle, providers=providers_for(cycle, 2))

    with django_capture_on_commit_callbacks(execute=True):
        notifications.invitations_enqueue(cycle_id=cycle.pk)
        assert smtp.messages == []  # nothing before the commit

    assert len(smtp.messages) == 1


def test_no_invitation_for_a_draft_cycle_or_a_deactivated_person(smtp):
    draft = make_cycle(status=Cycle.Status.DRAFT)
    make_invitation(draft, providers=providers_for(draft, 1))
    cycle = make_cycle()
    gone = make_invitation(cycle, providers=providers_for(cycle, 1))
    gone.person.is_active = False
    gone.person.save()

    assert notifications.invitations_send(cycle_id=draft.pk) == 0
    assert notifications.invitations_send(cycle_id=cycle.pk) == 0
    assert smtp.messages == []


def test_the_send_reminders_command_sends_pending_invitations_of_open_cycles(smtp):
    cycle = make_cycle()
    invitation = make_invitation(cycle, providers=providers_for(cycle, 1))

    call_command("send_reminders")

    assert smtp.recipients == [invitation.person.email]


# --- two senders ------------------------------------------------------------------------------


def test_a_claimed_row_cannot_be_claimed_by_another_worker():
    cycle = make_cycle()
    invitation = make_invitation(cycle, providers=providers_for(cycle, 1))
    condition = Q(cycle=cycle, invited_at__isnull=True)

    assert notifications._claim([invitation.pk], condition=condition, worker="a") == [invitation.pk]
    assert notifications._claim([invitation.pk], condition=condition, worker="b") == []

    # A crashed worker's claim expires and the row is free again.
    expired = timezone.now() - timedelta(seconds=1)
    Invitation.objects.filter(pk=invitation.pk).update(claimed_until=expired)
    assert notifications._claim([invitation.pk], condition=condition, worker="b") == [invitation.pk]


def test_a_sender_with_a_stale_list_does_not_resend(smtp):
    """Worker B listed the rows before worker A sent them: B's claim re-checks and skips."""
    cycle = make_cycle()
    for _ in range(4):
        make_invitation(cycle, providers=providers_for(cycle, 1))
    condition = Q(cycle=cycle, invited_at__isnull=True)
    stale = list(Invitation.objects.filter(condition).values_list("pk", flat=True))

    assert notifications.invitations_send(cycle_id=cycle.pk) == 4
    again = notifications._send(
        cycle=cycle, pks=stale, condition=condition, template="invitation", record={}
    )

    assert again == 0
    assert len(smtp.messages) == 4


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_never_send_the_same_invitation_twice(smtp):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # The in-memory test database shares one cache between threads and answers a
        # concurrent write with "table is locked" instead of waiting (the file database
        # in WAL mode with busy_timeout waits); the claim itself is tested above.
        pytest.skip("needs a database that lets two threads write concurrently")
    cycle = make_cycle()
    invitations = [make_invitation(cycle, providers=providers_for(cycle, 1)) for _ in range(12)]
    smtp.delay = 0.02
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(notifications.invitations_send(cycle_id=cycle.pk))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(results) == 12
    assert smtp.recipients == sorted(i.person.email for i in invitations)


def test_opening_a_cycle_emails_each_invited_person_once(
    smtp, coordinator, django_capture_on_commit_callbacks
):
    from innerclient.surveys.models import Criterion
    from innerclient.surveys.services.cycles import cycle_open

    cycle = make_cycle(
        status=Cycle.Status.DRAFT, organization=coordinator.memberships.get().organization
    )
    Criterion.objects.create(criteria_set=cycle.criteria_set, code="overall", name_ru="Общая")
    busy = make_invitation(cycle, providers=providers_for(cycle, 5))
    other = make_invitation(cycle, providers=providers_for(cycle, 1))

    with django_capture_on_commit_callbacks(execute=True):
        cycle_open(actor=coordinator, cycle=cycle)

    assert smtp.recipients == sorted([busy.person.email, other.person.email])
    assert not Invitation.objects.filter(invited_at__isnull=True).exists()


def test_russian_names_are_addressed_by_name_and_patronymic():
    assert notifications.greeting_name("Иванов Иван Петрович") == "Иван Петрович"
    assert notifications.greeting_name("Mary Ann Smith") == "Mary Ann Smith"
    assert notifications.greeting_name("Иванов Иван") == "Иванов Иван"
