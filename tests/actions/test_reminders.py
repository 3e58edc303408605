"""Reminders to owners over real SMTP: one email per owner with his actions due within three
days or overdue, at most once per action a day, even with two workers."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from innerclient.actions.models import ActionPlan
from innerclient.actions.notifications import action_reminders_send
from tests.actions.factories import make_action
from tests.factories import DepartmentFactory, OrganizationFactory, PersonFactory
from tests.surveys.factories_emails import smtp_server  # noqa: F401 (the smtp fixture)

pytestmark = pytest.mark.django_db

MSK = timezone.get_fixed_timezone(180)
NOW = datetime.datetime(2027, 3, 10, 9, 0, tzinfo=MSK)
TODAY = NOW.date()


def _day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


@pytest.fixture
def owners():
    organization = OrganizationFactory(name="Demo Ltd")
    department = DepartmentFactory(organization=organization, name_en="IT support", name_ru="ИТ")
    anna = PersonFactory(department=department, language="en", full_name="Anna Smith")
    boris = PersonFactory(department=department, language="ru", full_name="Петров Борис Иванович")
    return department, anna, boris


def test_one_email_per_owner_with_his_due_and_overdue_actions(smtp, owners):
    department, anna, boris = owners
    make_action(department=department, owner=anna, title="Late action", due_date=_day(-2))
    make_action(department=department, owner=anna, title="Due in three days", due_date=_day(3))
    make_action(department=department, owner=anna, title="Due later", due_date=_day(4))
    make_action(
        department=department,
        owner=anna,
        title="Done already",
        due_date=_day(-5),
        status=ActionPlan.Status.DONE,
        result_note="Done.",
    )
    make_action(department=department, owner=boris, title="Срок сегодня", due_date=_day(0))

    assert action_reminders_send(now=NOW) == 2

    assert smtp.recipients == sorted([anna.email, boris.email])
    [to_anna] = smtp.to(anna.email)
    assert to_anna.subject == "Action plan: 1 action is overdue"
    assert "Hello, Anna Smith!" in to_anna.text
    assert "Late action" in to_anna.text and "Due in three days" in to_anna.text
    assert "Due later" not in to_anna.text and "Done already" not in to_anna.text
    assert "was due 8 March 2027 (2 days ago)" in to_anna.text
    assert "IT support" in to_anna.text
    assert "https://inner.test/o/" in to_anna.text and "/actions/" in to_anna.text
    assert "Late action" in to_anna.html and "#fdecea" in to_anna.html
    assert to_anna.message["Content-Language"] == "en"
    [to_boris] = smtp.to(boris.email)
    assert to_boris.message["Content-Language"] == "ru"
    assert "Борис Иванович" in to_boris.text  # greeted by name and patronymic
    assert "ИТ" in to_boris.text  # the department in the owner's language


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_again(smtp, owners):
    department, anna, _boris = owners
    action = make_action(department=department, owner=anna, due_date=_day(-1))

    assert action_reminders_send(now=NOW) == 1
    assert action_reminders_send(now=NOW + datetime.timedelta(hours=5)) == 0
    assert len(smtp.messages) == 1
    action.refresh_from_db()
    assert action.last_reminded_on == TODAY

    assert action_reminders_send(now=NOW + datetime.timedelta(days=1)) == 1
    assert len(smtp.messages) == 2


def test_a_new_action_the_same_day_is_reminded_alone(smtp, owners):
    department, anna, _boris = owners
    make_action(department=department, owner=anna, title="First", due_date=_day(1))
    assert action_reminders_send(now=NOW) == 1
    make_action(department=department, owner=anna, title="Second", due_date=_day(1))
    assert action_reminders_send(now=NOW) == 1
    second = smtp.messages[-1]
    assert "Second" in second.text and "First" not in second.text


def test_inactive_owners_and_updated_timestamps(smtp, owners):
    department, anna, boris = owners
    boris.is_active = False
    boris.save()
    make_action(department=department, owner=boris, due_date=_day(0))
    action = make_action(department=department, owner=anna, due_date=_day(0))
    before = action.updated_at
    assert action_reminders_send(now=NOW) == 1
    assert smtp.recipients == [anna.email]
    action.refresh_from_db()
    assert action.updated_at == before  # a reminder is not an edit of the action


def test_a_failed_send_gives_the_claim_back(settings, owners):
    department, anna, _boris = owners
    action = make_action(department=department, owner=anna, due_date=_day(0))
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens
        }
    }
    with pytest.raises(OSError):
        action_reminders_send(now=NOW)
    action.refresh_from_db()
    assert action.last_reminded_on is None


def test_the_command_sends_one_pass(smtp, owners, capsys):
    department, anna, _boris = owners
    make_action(department=department, owner=anna, due_date=timezone.localdate())
    call_command("send_action_reminders")
    assert smtp.recipients == [anna.email]
    assert "1 action reminders sent" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_never_send_the_same_reminder_twice(smtp):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # The in-memory test database answers a concurrent write with "table is locked"
        # instead of waiting; the claim itself is tested by the same-day runs above.
        pytest.skip("needs a database that lets two threads write concurrently")
    department = DepartmentFactory()
    people = [PersonFactory(department=department, language="en") for _ in range(8)]
    for person in people:
        for offset in (-1, 0, 2):
            make_action(department=department, owner=person, due_date=_day(offset))
    smtp.delay = 0.02
    barrier = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            barrier.wait()
            results.append(action_reminders_send(now=NOW))
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
    assert sum(results) == 8
    assert smtp.recipients == sorted(p.email for p in people)
    assert all("3 actions" in m.text for m in smtp.messages)
