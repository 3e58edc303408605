"""/healthz: the database and the task queue, ok / degraded / down, and nothing to leak."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from tests.ops.helpers import production_env, run_python

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    """Ages are measured against one fixed moment: a slow first request (URLconf import on a
    loaded machine) must not age the tasks."""
    moment = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def _task(*, status=TaskResultStatus.READY, enqueued_ago=0, started_ago=None):
    now = timezone.now()
    result = DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {"cycle_id": 1}},
        task_path="innerclient.surveys.notifications.invitations_send_task",
        backend_name="default",
        run_after=get_date_max(),
        started_at=now - datetime.timedelta(seconds=started_ago) if started_ago else None,
    )
    # enqueued_at is auto_now_add: set the past afterwards.
    DBTaskResult.objects.filter(pk=result.pk).update(
        enqueued_at=now - datetime.timedelta(seconds=enqueued_ago)
    )
    return result


def test_health_is_ok_for_an_anonymous_monitor(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["queue"] == {
        "status": "ok",
        "oldest_ready_seconds": None,
        "last_started_seconds": None,
        "max_wait_seconds": 300,
        "workers_alive": 0,
        "last_heartbeat_seconds": None,
    }
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_health_url_is_healthz():
    assert reverse("health") == "/healthz"


def test_a_task_waiting_briefly_is_ok(client):
    _task(enqueued_ago=30)
    body = client.get(reverse("health")).json()
    assert body["status"] == "ok"
    assert body["checks"]["queue"]["oldest_ready_seconds"] == 30


def test_queue_is_degraded_when_tasks_wait_and_no_worker_picks_any_up(client):
    _task(enqueued_ago=900)
    _task(status=TaskResultStatus.SUCCESSFUL, enqueued_ago=4000, started_ago=3990)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    queue = body["checks"]["queue"]
    assert queue["status"] == "degraded"
    assert queue["oldest_ready_seconds"] == 900
    assert queue["last_started_seconds"] == 3990
    assert body["checks"]["database"]["status"] == "ok"


def test_queue_that_never_ran_anything_is_degraded_once_a_task_waits_too_long(client):
    _task(enqueued_ago=301)
    assert client.get(reverse("health")).json()["checks"]["queue"]["status"] == "degraded"


def test_a_worker_that_started_a_task_recently_keeps_the_queue_ok(client):
    _task(enqueued_ago=900)
    _task(status=TaskResultStatus.RUNNING, enqueued_ago=950, started_ago=20)
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["checks"]["queue"]["last_started_seconds"] == 20


def test_the_wait_limit_is_a_setting(client, settings):
    settings.INNERCLIENT_HEALTH_QUEUE_MAX_WAIT = 60
    _task(enqueued_ago=120)
    assert client.get(reverse("health")).status_code == 503


def test_tasks_scheduled_for_later_do_not_count():
    later = _task(enqueued_ago=900)
    DBTaskResult.objects.filter(pk=later.pk).update(
        run_after=timezone.now() + datetime.timedelta(hours=1)
    )
    from innerclient.ops.health import check_queue

    assert check_queue().status == "ok"


def test_health_reveals_no_counts_or_task_names(client):
    for _ in range(7):
        _task(enqueued_ago=900)
    response = client.get(reverse("health"))
    body = response.json()
    assert set(body["checks"]["database"]) == {"status", "duration_ms"}
    assert body["checks"]["queue"] == {
        "status": "degraded",
        "oldest_ready_seconds": 900,
        "last_started_seconds": None,
        "max_wait_seconds": 300,
        "workers_alive": 0,
        "last_heartbeat_seconds": None,
    }
    text = response.content.decode()
    assert "invitation" not in text and "cycle" not in text


def test_health_counts_the_workers_with_a_fresh_heartbeat(client, frozen_now):
    from innerclient.ops.models import WorkerHeartbeat

    for name, age in [("a", 2), ("b", 30), ("gone", 600)]:
        WorkerHeartbeat.objects.create(
            worker_id=name,
            hostname="host",
            pid=1,
            started_at=frozen_now - datetime.timedelta(hours=1),
            last_seen=frozen_now - datetime.timedelta(seconds=age),
        )
    queue = client.get(reverse("health")).json()["checks"]["queue"]
    assert queue["status"] == "ok"
    assert queue["workers_alive"] == 2  # INNERCLIENT_WORKER_LOST_AFTER: 60 s
    assert queue["last_heartbeat_seconds"] == 2
    assert "host" not in json.dumps(queue)


def test_health_answers_503_when_the_database_is_down(tmp_path):
    """A real unreachable server (nothing listens on port 1), in a child process."""
    env = production_env(
        tmp_path,
        DATABASE_URL="postgres://secretuser:secretpass@127.0.0.1:1/nowhere",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_COOKIES="0",
        INNERCLIENT_LOG_FORMAT="json",
    )
    code = (
        "import django, json; django.setup()\n"
        "from django.test import Client\n"
        "response = Client().get('/healthz')\n"
        "print(json.dumps({'code': response.status_code, 'body': response.json()}))\n"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["code"] == 503
    assert outcome["body"]["status"] == "error"
    assert outcome["body"]["checks"]["database"] == {"status": "error", "error": "unavailable"}
    assert outcome["body"]["checks"]["queue"]["status"] == "error"
    assert "secret" not in result.stdout
    # The operator learns why from the log, one JSON object per line, with the request id.
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    failure = next(entry for entry in logged if entry["logger"] == "innerclient.ops.health")
    assert failure["level"] == "ERROR" and failure["path"] == "/healthz"
    assert failure["request_id"] and "exception" in failure
