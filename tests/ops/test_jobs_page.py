"""The coordinator's background jobs page: failed jobs and failed tasks, with messages."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from innerclient.core.models import Job
from innerclient.ops.selectors import error_line
from innerclient.org.models import DataImport
from tests.factories import OrganizationFactory
from tests.surveys.factories_emails import make_cycle

pytestmark = pytest.mark.django_db

TRACEBACK = """Traceback (most recent call last):
  File "/srv/innerclient/innerclient/core/emails.py", line 40, in send
    connection.send_messages(messages)
smtplib.SMTPAuthenticationError: (535, b'5.7.8 Authentication credentials invalid')
"""


def _failed_task(task_path: str, **kwargs) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=TaskResultStatus.FAILED,
        args_kwargs={"args": [], "kwargs": kwargs},
        task_path=task_path,
        backend_name="default",
        run_after=get_date_max(),
        started_at=now,
        finished_at=now,
        exception_class_path="smtplib.SMTPAuthenticationError",
        traceback=TRACEBACK,
    )


def _url(org, **query):
    url = reverse("org:jobs", kwargs={"org_slug": org.slug})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_coordinator_sees_a_failed_job_with_its_message(coordinator_client, org):
    Job.objects.create(
        organization=org,
        kind="import.apply",
        status=Job.Status.FAILED,
        messages=["IntegrityError: duplicate department code OPS-1"],
        finished_at=timezone.now(),
    )
    Job.objects.create(organization=org, kind="import.validate", status=Job.Status.DONE)
    page = coordinator_client.get(_url(org))
    assert page.status_code == 200
    assert "Background jobs" in page.text
    assert "Applying an import" in page.text and "Checking an imported file" in page.text
    assert "IntegrityError: duplicate department code OPS-1" in page.text
    assert 'class="badge badge-danger">Failed' in page.text


def test_failed_only_filter(coordinator_client, org):
    Job.objects.create(organization=org, kind="import.apply", status=Job.Status.FAILED)
    Job.objects.create(organization=org, kind="import.validate", status=Job.Status.DONE)
    page = coordinator_client.get(_url(org, status="failed"))
    assert "Applying an import" in page.text
    assert "Checking an imported file" not in page.text


def test_failed_email_task_of_the_organization_is_shown_without_its_traceback(
    coordinator_client, org
):
    cycle = make_cycle(organization=org)
    _failed_task("innerclient.surveys.notifications.invitations_send_task", cycle_id=cycle.pk)
    page = coordinator_client.get(_url(org))
    assert "Failed background tasks" in page.text
    assert "Sending invitations" in page.text
    assert "SMTPAuthenticationError: (535" in page.text
    assert "/srv/innerclient" not in page.text and "Traceback" not in page.text


def test_another_organizations_failures_are_not_shown(coordinator_client, org):
    other = OrganizationFactory()
    Job.objects.create(
        organization=other, kind="import.apply", status=Job.Status.FAILED, messages=["theirs"]
    )
    _failed_task(
        "innerclient.surveys.notifications.reminders_send_task",
        cycle_id=make_cycle(organization=other).pk,
    )
    _failed_task("some.unlinked.task", user_id=5)
    page = coordinator_client.get(_url(org))
    assert "theirs" not in page.text
    assert "Sending reminders" not in page.text and "unlinked" not in page.text
    assert "No background jobs yet." in page.text


def test_a_failed_import_task_is_shown_once_through_its_job(coordinator_client, org):
    job = Job.objects.create(
        organization=org,
        kind="import.validate",
        status=Job.Status.FAILED,
        messages=["ValueError: broken file"],
    )
    data_import = DataImport.objects.create(
        organization=org,
        kind=DataImport.Kind.DEPARTMENTS,
        filename="departments.csv",
        content=b"",
        job=job,
    )
    _failed_task("innerclient.org.tasks.import_validate", data_import_id=data_import.pk)
    page = coordinator_client.get(_url(org))
    assert page.text.count("Checking an imported file") == 1
    assert "Failed background tasks" not in page.text


def test_old_failed_tasks_are_history(coordinator_client, org):
    task = _failed_task(
        "innerclient.surveys.notifications.invitations_send_task",
        cycle_id=make_cycle(organization=org).pk,
    )
    DBTaskResult.objects.filter(pk=task.pk).update(
        enqueued_at=timezone.now() - datetime.timedelta(days=45)
    )
    assert "Sending invitations" not in coordinator_client.get(_url(org)).text


def test_page_queries_do_not_grow_with_rows(coordinator_client, org, django_assert_max_num_queries):
    cycle = make_cycle(organization=org)
    for _ in range(15):
        Job.objects.create(organization=org, kind="import.apply", status=Job.Status.FAILED)
        _failed_task("innerclient.surveys.notifications.invitations_send_task", cycle_id=cycle.pk)
    with django_assert_max_num_queries(12):
        assert coordinator_client.get(_url(org)).status_code == 200


def test_error_line_is_the_last_line_of_the_traceback():
    assert error_line("x.Y", TRACEBACK).startswith("smtplib.SMTPAuthenticationError: (535")
    assert error_line("pkg.mod.Boom", "") == "Boom"
    assert len(error_line("x.Y", "E: " + "z" * 1000)) == 300


def test_analyst_is_refused(client, org, make_member):
    client.force_login(make_member(org, "analyst"))
    assert client.get(_url(org)).status_code == 403
