"""What ``/healthz`` checks: the database answers, and the task queue is moving.

The queue is *degraded* when a task has been ready to run for longer than
``INNERCLIENT_HEALTH_QUEUE_MAX_WAIT`` seconds (default 300) **and** no worker has started
any task within that time: tasks are waiting and nobody is taking them, so ``db_worker`` is
down or stuck. A worker busy with one long task while others wait is degraded too after
that time, which is worth knowing. An idle queue (nothing ready) is healthy however long
ago the last task ran.

Only ages are reported, never counts of tasks or task names: the page is public, and the
number of invitation emails or imports says something about an organization. About the workers
(``manage.py run_worker``, innerclient/ops/worker.py) it reports how many published a heartbeat
within ``INNERCLIENT_WORKER_LOST_AFTER`` seconds (``workers_alive``) and the age of the latest
heartbeat, which say nothing about any organization; they do not change the status, which
judges the queue by what it does.
"""

import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from innerclient.ops.worker import workers_state

logger = logging.getLogger(__name__)

OK, DEGRADED, ERROR = "ok", "degraded", "error"


@dataclass
class Check:
    status: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"status": self.status, **self.details}


def check_database() -> Check:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        # The exception names the host and user: logged for the operator, not shown.
        logger.exception("health check: database unavailable")
        return Check(ERROR, {"error": "unavailable"})
    return Check(OK, {"duration_ms": round((time.perf_counter() - started) * 1000, 1)})


def _seconds_since(moment) -> int:
    return max(0, int((timezone.now() - moment).total_seconds()))


def check_queue() -> Check:
    max_wait = settings.INNERCLIENT_HEALTH_QUEUE_MAX_WAIT
    details: dict = {
        "oldest_ready_seconds": None,
        "last_started_seconds": None,
        "max_wait_seconds": max_wait,
        "workers_alive": 0,
        "last_heartbeat_seconds": None,
    }
    try:
        workers = workers_state()
        details["workers_alive"] = workers.alive
        if workers.last_seen is not None:
            details["last_heartbeat_seconds"] = _seconds_since(workers.last_seen)
        oldest = (
            DBTaskResult.objects.ready().order_by("enqueued_at").values("enqueued_at", "run_after")
        ).first()
        if oldest is None:
            return Check(OK, details)
        due = oldest["enqueued_at"]
        if oldest["run_after"] != get_date_max():
            due = max(due, oldest["run_after"])
        details["oldest_ready_seconds"] = _seconds_since(due)
        if details["oldest_ready_seconds"] <= max_wait:
            return Check(OK, details)
        # Only now is the last pick-up worth a query (started_at has no index).
        last = DBTaskResult.objects.aggregate(last=Max("started_at"))["last"]
        details["last_started_seconds"] = _seconds_since(last) if last else None
    except Exception:
        logger.exception("health check: task queue unreadable")
        return Check(ERROR, {"error": "unreadable"})
    if details["last_started_seconds"] is not None and details["last_started_seconds"] <= max_wait:
        return Check(OK, details)
    return Check(DEGRADED, details)


def overall(checks: dict[str, Check]) -> str:
    statuses = {check.status for check in checks.values()}
    if ERROR in statuses:
        return ERROR
    return DEGRADED if DEGRADED in statuses else OK


def run_checks() -> tuple[str, dict[str, Check]]:
    checks = {"database": check_database()}
    if checks["database"].status == OK:
        checks["queue"] = check_queue()
    else:
        checks["queue"] = Check(ERROR, {"error": "database unavailable"})
    return overall(checks), checks
