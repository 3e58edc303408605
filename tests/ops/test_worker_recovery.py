"""A worker killed mid-task: its task is failed and retried, its job says so, nothing strands.

The first tests drive ``innerclient.ops.worker`` in-process against tasks claimed the way
db_worker claims them; the last one SIGKILLs a real ``manage.py run_worker`` in the middle of a
large import and lets a second one recover it (its own scratch database, SQLite or, with a
PostgreSQL DATABASE_URL, a database beside the test database).
"""

import datetime
import importlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from django.tasks import Task
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from innerclient.core.models import AuditEntry, Job
from innerclient.ops import worker
from innerclient.ops.models import TaskRecovery, WorkerHeartbeat
from innerclient.ops.selectors import organization_failed_tasks, organization_jobs
from innerclient.org.importing import pipeline
from innerclient.org.models import DataImport, Person
from tests.data.builders import csv_bytes, departments_rows, people_rows
from tests.data.flows import upload_and_apply
from tests.ops.helpers import ROOT, production_env, run_python
from tests.surveys.factories_emails import make_cycle

DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DEPARTMENTS = [("HQ", "Office", ""), ("OPS", "Operations", "HQ")]


def _people(count: int) -> bytes:
    items = [
        (f"Person Number {i}", f"person.{i}@example.com", "OPS", "Clerk", "") for i in range(count)
    ]
    return csv_bytes(people_rows(items))


def _heartbeat(worker_id: str, *, age: float) -> None:
    seen = timezone.now() - datetime.timedelta(seconds=age)
    WorkerHeartbeat.objects.create(
        worker_id=worker_id, hostname="node-1", pid=4242, started_at=seen, last_seen=seen
    )


def _claim(result: DBTaskResult, worker_id: str, *, ago: float = 0) -> None:
    """What db_worker does when it takes a task, and what job_run does when the work starts."""
    result.claim(worker_id)
    started = timezone.now() - datetime.timedelta(seconds=ago)
    DBTaskResult.objects.filter(pk=result.pk).update(started_at=started)


@pytest.fixture
def background_apply(org, coordinator, settings, django_capture_on_commit_callbacks):
    """A people import handed to the worker (a job, status "applying", one queued task),
    claimed by a worker that is now running it."""
    settings.TASKS = DB_BACKEND
    settings.IMPORT_INLINE_MAX_ROWS = 3
    upload_and_apply(
        org, coordinator, "departments", csv_bytes(departments_rows(DEPARTMENTS)), "d.csv"
    )
    content = _people(5)
    table = pipeline.read_upload(content=content, filename="people.csv")
    data_import = pipeline.data_import_create(
        actor=coordinator,
        organization=org,
        kind="people",
        filename="people.csv",
        content=content,
        table=table,
    )
    data_import = pipeline.data_import_validate(data_import_id=data_import.pk)
    assert data_import.status == DataImport.Status.PREVIEW
    with django_capture_on_commit_callbacks(execute=True):
        data_import = pipeline.data_import_start_apply(
            actor=coordinator, data_import=data_import, options={}
        )
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    _claim(task, "node-1-111-dead", ago=90)
    Job.objects.filter(pk=data_import.job_id).update(status=Job.Status.RUNNING)
    return data_import


def test_a_task_of_a_dead_worker_is_failed_retried_and_its_job_queued(org, background_apply):
    _heartbeat("node-1-111-dead", age=75)  # INNERCLIENT_WORKER_LOST_AFTER: 60 s
    stranded = DBTaskResult.objects.get(status=TaskResultStatus.RUNNING)

    recovered = worker.tasks_recover()

    assert [r.task_id for r in recovered] == [stranded.pk]
    stranded.refresh_from_db()
    assert stranded.status == TaskResultStatus.FAILED
    assert stranded.exception_class_path == "innerclient.ops.worker.WorkerLost"
    assert "node-1-111-dead on node-1 (pid 4242)" in stranded.traceback
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.task_path == "innerclient.org.tasks.import_apply"
    assert retry.args_kwargs == stranded.args_kwargs
    record = TaskRecovery.objects.get()
    assert (record.attempt, record.outcome, record.retry_task_id) == (1, "retried", retry.pk)
    job = Job.objects.get(pk=background_apply.job_id)
    assert job.status == Job.Status.QUEUED
    assert job.messages == ["The worker stopped; retrying (attempt 2 of 3)."]
    background_apply.refresh_from_db()
    assert background_apply.status == DataImport.Status.APPLYING
    audit = AuditEntry.objects.get(organization=org, action="task.worker_lost")
    assert audit.object_id == str(job.pk)
    assert audit.changes["outcome"] == "retried"

    # The retry, run as the worker runs it, does the whole import once.
    retry.task.call(*retry.args_kwargs["args"], **retry.args_kwargs["kwargs"])
    job.refresh_from_db()
    background_apply.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert background_apply.status == DataImport.Status.APPLIED
    assert Person.objects.filter(organization=org).count() == 5


def test_the_messages_follow_the_language_the_import_was_started_in(background_apply):
    DataImport.objects.filter(pk=background_apply.pk).update(options={"lang": "ru"})
    _heartbeat("node-1-111-dead", age=75)
    worker.tasks_recover()
    with translation.override("ru"):
        expected = gettext("The worker stopped; retrying (attempt %(attempt)d of %(attempts)d).")
    assert Job.objects.get(pk=background_apply.job_id).messages == [
        expected % {"attempt": 2, "attempts": 3}
    ]


def test_a_task_of_a_worker_with_a_fresh_heartbeat_is_left_alone(background_apply):
    # Running for 90 s is no sign of death while the worker keeps beating.
    _heartbeat("node-1-111-dead", age=5)
    assert worker.tasks_recover() == []
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
    assert Job.objects.get(pk=background_apply.job_id).status == Job.Status.RUNNING
    assert not TaskRecovery.objects.exists()


def test_a_task_claimed_without_heartbeat_is_judged_by_how_long_it_runs(background_apply):
    """Rows claimed by plain db_worker (before run_worker): no heartbeat row at all."""
    running = DBTaskResult.objects.get()
    DBTaskResult.objects.filter(pk=running.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=20)
    )
    assert worker.tasks_recover() == []
    DBTaskResult.objects.filter(pk=running.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=61)
    )
    assert [r.task_id for r in worker.tasks_recover()] == [running.pk]
    assert DBTaskResult.objects.get(pk=running.pk).status == TaskResultStatus.FAILED


def test_a_lost_worker_is_a_setting(background_apply, settings):
    _heartbeat("node-1-111-dead", age=20)
    assert worker.tasks_recover() == []
    settings.INNERCLIENT_WORKER_LOST_AFTER = 10
    assert len(worker.tasks_recover()) == 1


def test_two_recoveries_at_once_retry_the_task_once(background_apply):
    _heartbeat("node-1-111-dead", age=75)
    stranded = DBTaskResult.objects.get()
    first = worker.task_recover(task_result_id=stranded.pk)
    second = worker.task_recover(task_result_id=stranded.pk)
    assert first is not None and second is None
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    assert TaskRecovery.objects.count() == 1


def test_after_the_last_attempt_the_job_and_the_import_fail_visibly(org, background_apply):
    _heartbeat("node-1-111-dead", age=75)
    for attempt in range(1, worker.MAX_ATTEMPTS + 1):
        if attempt > 1:  # the retry is claimed by the next worker, which dies too
            retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
            _claim(retry, "node-1-111-dead", ago=1)
        (recovery,) = worker.tasks_recover()
        assert recovery.attempt == attempt

    assert recovery.outcome == "gave_up" and recovery.retry_task_id is None
    assert not DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).exists()
    first = DBTaskResult.objects.order_by("enqueued_at").first()
    assert set(TaskRecovery.objects.values_list("first_task_id", flat=True)) == {first.pk}
    job = Job.objects.get(pk=background_apply.job_id)
    assert job.status == Job.Status.FAILED and job.finished_at is not None
    background_apply.refresh_from_db()
    assert background_apply.status == DataImport.Status.FAILED
    assert "3 attempts" in background_apply.summary["error"]
    # The coordinator's failed-jobs page: the job, with the reason, once.
    (row,) = organization_jobs(org, failed_only=True)
    assert row.label == "Applying an import"
    assert row.messages[0].startswith("The worker stopped during each of 3 attempts")
    assert organization_failed_tasks(org) == []  # the job's row already says it
    assert Person.objects.filter(organization=org).count() == 0


def _stranded_cycle_task(cycle, task_path: str) -> DBTaskResult:
    """A task about the cycle, claimed ten minutes ago by a worker with no heartbeat."""
    stranded = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {"cycle_id": cycle.pk}},
        task_path=task_path,
        backend_name="default",
        run_after=timezone.now(),
    )
    _claim(stranded, "node-1-111-dead", ago=600)
    return stranded


def test_an_email_task_that_must_not_run_twice_is_failed_not_retried(org, settings):
    settings.LANGUAGE_CODE = "en"  # a cycle's task has no language of its own: the site's
    cycle = make_cycle(organization=org, status="published")
    _stranded_cycle_task(cycle, "innerclient.reports.notifications.notify_publication_task")

    (recovery,) = worker.tasks_recover()

    assert recovery.outcome == "not_retried"
    assert DBTaskResult.objects.count() == 1
    (failed,) = organization_failed_tasks(org)
    assert failed.label == "Notice of published results"
    assert failed.error.startswith("WorkerLost: The worker stopped while sending.")
    assert AuditEntry.objects.filter(organization=org, action="task.worker_lost").count() == 1


def test_a_retried_email_task_is_not_listed_as_failed(org, settings):
    settings.TASKS = DB_BACKEND
    cycle = make_cycle(organization=org, status="open")
    _stranded_cycle_task(cycle, "innerclient.surveys.notifications.invitations_send_task")

    (recovery,) = worker.tasks_recover()

    assert recovery.outcome == "retried"
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
    assert organization_failed_tasks(org) == []
    # When the retry fails as well, that failure is shown.
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
        status=TaskResultStatus.FAILED,
        exception_class_path="smtplib.SMTPServerDisconnected",
        traceback="smtplib.SMTPServerDisconnected: Connection unexpectedly closed\n",
    )
    (failed,) = organization_failed_tasks(org)
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in failed.error


def test_every_task_of_the_project_is_either_retried_or_listed_as_not(settings):
    """A new task must be safe to run twice, or be added to worker.NOT_RETRIED: decide."""
    retried = {
        "innerclient.org.tasks.import_validate",
        "innerclient.org.tasks.import_apply",
        "innerclient.regulation.tasks.card_archive_build",
        "innerclient.surveys.notifications.invitations_send_task",
        "innerclient.surveys.notifications.reminders_send_task",
    }
    found = set()
    for path in sorted((ROOT / "innerclient").rglob("*.py")):
        if "migrations" in path.parts or "@task" not in path.read_text(encoding="utf-8"):
            continue
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found |= {v.module_path for v in vars(module).values() if isinstance(v, Task)}
    assert found == retried | worker.NOT_RETRIED
    assert not retried & worker.NOT_RETRIED


def test_heartbeats_of_long_gone_workers_are_forgotten(db):
    _heartbeat("gone", age=2 * 86400)
    _heartbeat("recent", age=100)
    assert worker.heartbeats_prune() == 1
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recent"]


# --- a real worker, really killed -----------------------------------------------------------------

PEOPLE = 15000  # an apply of a few seconds on 2 cores: long enough to be killed inside

SETUP = """
import json
import django
django.setup()
from django.contrib.auth.models import User
from django.core.management import call_command
from innerclient.core.models import Organization
from innerclient.org.importing import pipeline
from tests.data.builders import csv_bytes, departments_rows
from tests.data.flows import upload_and_apply
from tests.ops.test_worker_recovery import DEPARTMENTS, _people

call_command("migrate", verbosity=0)
org = Organization.objects.create(name="Worker test", slug="worker-test")
actor = User.objects.create_user("coordinator@example.com", password="x" * 12)
upload_and_apply(org, actor, "departments", csv_bytes(departments_rows(DEPARTMENTS)), "d.csv")
content = _people({people})
table = pipeline.read_upload(content=content, filename="people.csv")
data_import = pipeline.data_import_create(
    actor=actor, organization=org, kind="people", filename="people.csv", content=content,
    table=table,
)
pipeline.data_import_validate(data_import_id=data_import.pk)
data_import.refresh_from_db()
data_import = pipeline.data_import_start_apply(actor=actor, data_import=data_import, options={{}})
print(json.dumps({{"org": org.pk, "job": data_import.job_id, "import": data_import.pk}}))
"""


class ScratchDatabase:
    """A database the child processes share, read here with plain SQL."""

    def __init__(self, tmp_path):
        url = os.environ.get("DATABASE_URL", "")
        self.postgres = url.startswith(("postgres://", "postgresql://"))
        if self.postgres:
            parts = urlsplit(url)
            xdist = os.environ.get("PYTEST_XDIST_WORKER", "")
            self.name = f"{parts.path.strip('/') or 'postgres'}_worker_recovery{xdist}"
            self.admin = parts._replace(path="/postgres").geturl()
            self.url = parts._replace(path=f"/{self.name}").geturl()
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
            self._admin(f"CREATE DATABASE {self.name}")
        else:
            self.path = tmp_path / "worker.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(sql)

    def value(self, sql: str):
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as connection:
                row = connection.execute(sql).fetchone()
        else:
            connection = sqlite3.connect(self.path, timeout=30)
            try:
                row = connection.execute(sql).fetchone()
            finally:
                connection.close()
        return row[0] if row else None

    def drop(self) -> None:
        if self.postgres:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture
def scratch(tmp_path):
    database = ScratchDatabase(tmp_path)
    yield database
    database.drop()


def _start_worker(env: dict, log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--no-startup-delay", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # its own process group, killed by its id
    )


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_worker_killed_mid_import_is_recovered_by_the_next_one(tmp_path, scratch):
    env = production_env(
        tmp_path,
        DATABASE_URL=scratch.url,
        DJANGO_LOG_LEVEL="INFO",
        INNERCLIENT_LOG_FORMAT="text",
        INNERCLIENT_IMPORT_INLINE_MAX_ROWS="100",
        INNERCLIENT_WORKER_LOST_AFTER="3",
    )
    made = run_python(SETUP.format(people=PEOPLE), env)
    assert made.returncode == 0, made.stderr[-3000:]
    ids = json.loads(made.stdout.strip().splitlines()[-1])
    job, data_import, org = ids["job"], ids["import"], ids["org"]
    status = f"SELECT status FROM core_job WHERE id = {job}"
    people = f"SELECT count(*) FROM org_person WHERE organization_id = {org}"
    task_status = "SELECT status FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at"
    log = (tmp_path / "workers.log").open("ab")
    first = _start_worker(env, log)
    second = None
    try:
        _wait(lambda: scratch.value(status) == "running", 120, "the worker to start the apply")
        time.sleep(1.0)  # inside the apply's transaction, past the re-check, writing rows
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        assert scratch.value(f"SELECT status FROM org_dataimport WHERE id = {data_import}") == (
            "applying"
        ), "the apply finished before the kill: make the file larger"
        assert scratch.value(people) == 0  # all or nothing: nothing
        assert scratch.value(task_status) == "RUNNING"

        second = _start_worker(env, log)
        _wait(lambda: scratch.value(status) in ("done", "failed"), 180, "the retried import")
        assert scratch.value(status) == "done"
        assert scratch.value(people) == PEOPLE
        distinct = "SELECT count(DISTINCT email) FROM org_person WHERE organization_id = "
        assert scratch.value(f"{distinct}{org}") == PEOPLE
        assert scratch.value(f"SELECT status FROM org_dataimport WHERE id = {data_import}") == (
            "applied"
        )
        recovery = "SELECT outcome || ' ' || attempt FROM ops_taskrecovery"
        assert scratch.value(recovery) == "retried 1"
        lost = "SELECT exception_class_path FROM django_tasks_database_dbtaskresult "
        assert scratch.value(lost + "WHERE status = 'FAILED'") == worker.WORKER_LOST
        running = "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status = "
        assert scratch.value(running + "'RUNNING'") == 0
        assert scratch.value(running + "'SUCCESSFUL'") == 1
        assert scratch.value("SELECT count(*) FROM ops_workerheartbeat") == 2  # one is stale
        _stop(second)
        # A worker that stops cleanly takes its heartbeat with it; the killed one's stays.
        assert scratch.value("SELECT count(*) FROM ops_workerheartbeat") == 1
    finally:
        for process in (first, second):
            if process is not None:
                _stop(process)
        log.close()
        print((tmp_path / "workers.log").read_text(errors="replace")[-4000:])
