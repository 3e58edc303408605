"""Worker liveness, and the recovery of tasks that a dead worker left behind (docs/worker.md).

django_tasks_db marks a task RUNNING when a worker claims it, and SUCCESSFUL or FAILED when
the worker is done with it. A worker that dies in between (SIGKILL, the kernel's OOM killer, a
lost machine) leaves the row RUNNING, and django_tasks_db never looks at it again: the task is
never retried, and the ``core.Job`` a page polls stays "running".

So ``manage.py run_worker`` (db_worker with a heartbeat) keeps a ``WorkerHeartbeat`` row fresh
from a thread of its own, and ``tasks_recover`` — run by every worker when it starts and then
every so often — takes a RUNNING task as stranded when the worker that claimed it (the last of
its ``worker_ids``) has not been seen for ``INNERCLIENT_WORKER_LOST_AFTER`` seconds. A task
claimed by a worker that never published a heartbeat (plain ``db_worker``, or rows from before
run_worker) is stranded once it has been running that long.

A stranded task is marked FAILED with the reason, and enqueued again with the same arguments:
every task of the project may run twice (each one looks at its row's status first and does
nothing if another run finished the work), except the few in ``NOT_RETRIED``. Each retry is
recorded in ``TaskRecovery``, which is how the attempts of one piece of work are counted;
after ``MAX_ATTEMPTS`` the work is abandoned. The task's ``Job`` (a large import, a card
archive) goes back to "queued" with a message saying so, or to "failed" when abandoned, which
the coordinator sees on the import's page and the background jobs page; an abandoned import
is marked failed too. An import's apply runs in one transaction, so a killed apply left
nothing behind and its retry starts from a clean slate.

A worker that is merely slow keeps its heartbeat (the thread does not wait for the task), so
only a dead process, or one whose database connection has been failing for that long, is taken
for lost. If such a worker comes back, its task runs twice, which the tasks allow.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from innerclient.core.audit import audit_record
from innerclient.core.models import Job
from innerclient.ops.models import TaskRecovery, WorkerHeartbeat
from innerclient.ops.selectors import ORGANIZATION_KEYS

logger = logging.getLogger(__name__)

# Attempts of one piece of work, the first run included: a task that kills its worker every
# time (say, by running out of memory) must not be retried for ever.
MAX_ATTEMPTS = 3
# Heartbeat rows of workers gone this long are deleted: their tasks were recovered long ago.
FORGET_AFTER = timedelta(days=1)
# What a stranded task's result names as its exception (the failed-jobs page shows the text).
WORKER_LOST = "innerclient.ops.worker.WorkerLost"

# Tasks that must not run twice: they send emails without a per-recipient record of what was
# sent, so a second run after a crash mid-batch could send some of them again. They are marked
# failed with the reason (the coordinator sees it on the background jobs page) and not retried.
# Invitations and reminders are not here: their claims make a second run send only what the
# first did not.
NOT_RETRIED = frozenset(
    {
        "innerclient.appeals.notifications.appeal_filed_task",
        "innerclient.appeals.notifications.appeal_decided_task",
        "innerclient.reports.notifications.notify_publication_task",
    }
)


class WorkerLost(Exception):
    """Named as the exception of a task whose worker died while running it (never raised)."""


# --- settings ----------------------------------------------------------------------------------


def lost_after() -> timedelta:
    return timedelta(seconds=float(settings.INNERCLIENT_WORKER_LOST_AFTER))


def heartbeat_every() -> float:
    """Seconds between heartbeats: several per ``lost_after``, so one slow write is no death."""
    return max(0.2, min(5.0, lost_after().total_seconds() / 6))


def recover_every() -> float:
    """Seconds between two recovery passes of one worker (a scan of the RUNNING tasks)."""
    return max(heartbeat_every(), min(30.0, lost_after().total_seconds() / 2))


# --- heartbeats --------------------------------------------------------------------------------


def worker_id_new() -> str:
    """Unique across the pool, and telling the operator where the process runs."""
    host = socket.gethostname().split(".")[0][:30]
    return f"{host}-{os.getpid()}-{get_random_string(8)}"


def heartbeat_publish(*, worker_id: str) -> None:
    """Say that this worker is alive (creating its row if it has none, or lost it)."""
    now = timezone.now()
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(last_seen=now):
        WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"last_seen": now},
            create_defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": now,
                "last_seen": now,
            },
        )


def heartbeat_remove(*, worker_id: str) -> None:
    """A worker that stops cleanly has finished or failed its task itself: forget it."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def heartbeats_prune(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = WorkerHeartbeat.objects.filter(last_seen__lt=now - FORGET_AFTER).delete()
    return deleted


@dataclass(frozen=True)
class WorkersState:
    alive: int
    last_seen: datetime | None


def workers_state(*, now: datetime | None = None) -> WorkersState:
    """How many workers have published a heartbeat within ``lost_after``, and the latest."""
    now = now or timezone.now()
    fresh = WorkerHeartbeat.objects.filter(last_seen__gte=now - lost_after()).count()
    last = WorkerHeartbeat.objects.aggregate(last=Max("last_seen"))["last"]
    return WorkersState(alive=fresh, last_seen=last)


class Heartbeat:
    """The thread that keeps one worker's heartbeat fresh and runs the periodic recovery.

    It has its own database connection and never waits for the task the worker runs, so a
    long import does not look like a dead worker."""

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"heartbeat-{worker_id}", daemon=True
        )

    def start(self) -> None:
        # The row exists before the worker claims anything, so none of its tasks ever looks
        # like a legacy one.
        heartbeat_publish(worker_id=self.worker_id)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        try:
            heartbeat_remove(worker_id=self.worker_id)
        except Exception:
            logger.exception("worker %s: could not remove its heartbeat", self.worker_id)

    def _run(self) -> None:
        next_recovery = 0.0  # at once: the tasks of a worker that died before this one started
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    close_old_connections()
                    heartbeat_publish(worker_id=self.worker_id)
                    if started >= next_recovery:
                        tasks_recover()
                        heartbeats_prune()
                        next_recovery = started + recover_every()
                except Exception:
                    # A database that is away for a while: keep trying, the next beat may pass.
                    logger.exception("worker %s: heartbeat or recovery failed", self.worker_id)
                    connections.close_all()
                if self._stop.wait(heartbeat_every()):
                    break
        finally:
            connections.close_all()


# --- recovery ----------------------------------------------------------------------------------


def stranded_task_ids(*, now: datetime | None = None) -> list[uuid.UUID]:
    """RUNNING tasks whose worker is lost, oldest first."""
    now = now or timezone.now()
    cutoff = now - lost_after()
    seen = dict(WorkerHeartbeat.objects.values_list("worker_id", "last_seen"))
    running = (
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        .order_by("started_at")
        .values_list("pk", "worker_ids", "started_at", "enqueued_at")
    )
    stranded = []
    for pk, worker_ids, started_at, enqueued_at in running:
        claimer = worker_ids[-1] if worker_ids else ""
        # A worker that never published a heartbeat is judged by how long its task has run.
        last_sign = seen.get(claimer) or started_at or enqueued_at
        if last_sign < cutoff:
            stranded.append(pk)
    return stranded


def tasks_recover(*, now: datetime | None = None) -> list[TaskRecovery]:
    """Recover every stranded task; safe to run in several workers at once."""
    recovered = []
    for pk in stranded_task_ids(now=now):
        recovery = task_recover(task_result_id=pk)
        if recovery is not None:
            recovered.append(recovery)
    return recovered


def _owner(result: DBTaskResult):
    """The row the task works on (an import, a card archive, a cycle, an appeal), if any."""
    kwargs = (result.args_kwargs or {}).get("kwargs") or {}
    for key, label in ORGANIZATION_KEYS.items():
        if isinstance(kwargs.get(key), int):
            model = apps.get_model(label)
            return model.objects.select_related("organization").filter(pk=kwargs[key]).first()
    return None


def _language(owner) -> str:
    """The language the work was asked in, for the messages about it."""
    options = getattr(owner, "options", None)
    language = (options or {}).get("lang") if isinstance(options, dict) else None
    return language or getattr(owner, "language", "") or settings.LANGUAGE_CODE


def _retriable_task(result: DBTaskResult):
    """The task to enqueue again, or None when it cannot or must not run twice."""
    if result.task_path in NOT_RETRIED:
        return None
    try:
        return result.task.using(run_after=None)
    except Exception:  # the code moved, or its backend is gone: nothing to enqueue
        logger.exception("stranded task %s (%s) cannot be retried", result.pk, result.task_path)
        return None


def _message(outcome: str, attempt: int, task_path: str) -> str:
    if outcome == TaskRecovery.Outcome.RETRIED:
        return _("The worker stopped; retrying (attempt %(attempt)d of %(attempts)d).") % {
            "attempt": attempt + 1,
            "attempts": MAX_ATTEMPTS,
        }
    if outcome == TaskRecovery.Outcome.GAVE_UP:
        return _(
            "The worker stopped during each of %(attempts)d attempts, so the work was abandoned. "
            "Start it again; if it fails the same way, ask the administrator to look at the "
            "worker's logs and memory."
        ) % {"attempts": MAX_ATTEMPTS}
    if task_path in NOT_RETRIED:
        return _(
            "The worker stopped while sending. Not retried automatically: some emails may "
            "already have gone out."
        )
    return _("The worker stopped, and this task can no longer be run; it was not retried.")


def task_recover(*, task_result_id: uuid.UUID) -> TaskRecovery | None:
    """Fail one stranded task and retry it, or abandon it; None if another worker did first.

    The claim is a conditional UPDATE (RUNNING → FAILED): of several workers recovering at
    once, one changes the row and the others find it no longer RUNNING."""
    result = DBTaskResult.objects.filter(pk=task_result_id, status=TaskResultStatus.RUNNING).first()
    if result is None:
        return None
    claimer = result.worker_ids[-1] if result.worker_ids else ""
    previous = TaskRecovery.objects.filter(retry_task_id=result.pk).first()
    attempt = previous.attempt + 1 if previous else 1
    task = _retriable_task(result)
    if task is None:
        outcome = TaskRecovery.Outcome.NOT_RETRIED
    elif attempt >= MAX_ATTEMPTS:
        outcome = TaskRecovery.Outcome.GAVE_UP
    else:
        outcome = TaskRecovery.Outcome.RETRIED
    owner = _owner(result)
    with translation.override(_language(owner)):
        message = _message(outcome, attempt, result.task_path)
    seen = WorkerHeartbeat.objects.filter(worker_id=claimer).first()
    where = f"worker {claimer or '?'}" + (
        f" on {seen.hostname} (pid {seen.pid}), last seen {seen.last_seen.isoformat()}"
        if seen
        else " (no heartbeat)"
    )
    now = timezone.now()
    with transaction.atomic():
        taken = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=WORKER_LOST,
            # The failed-jobs page shows the last line; the first is for the operator.
            traceback=f"Lost {where}.\nWorkerLost: {message}",
        )
        if not taken:
            return None
        retry_id = None
        if outcome == TaskRecovery.Outcome.RETRIED:
            args_kwargs = result.args_kwargs or {}
            retry = task.enqueue(*args_kwargs.get("args", []), **args_kwargs.get("kwargs", {}))
            retry_id = uuid.UUID(str(retry.id))
        recovery = TaskRecovery.objects.create(
            task_id=result.pk,
            first_task_id=previous.first_task_id if previous else result.pk,
            task_path=result.task_path,
            attempt=attempt,
            worker_id=claimer[:64],
            outcome=outcome,
            retry_task_id=retry_id,
        )
        job = _job_update(owner, outcome=outcome, message=message, now=now)
        _import_abandon(owner, outcome=outcome, message=message)
        if owner is not None and getattr(owner, "organization", None) is not None:
            audit_record(
                organization=owner.organization,
                actor=None,
                action="task.worker_lost",
                obj=job or owner,
                changes={
                    "task": result.task_path.rsplit(".", 1)[-1],
                    "attempt": attempt,
                    "outcome": outcome,
                    "retry_task": str(retry_id) if retry_id else None,
                },
            )
    logger.warning(
        "task %s (%s) stranded: lost %s; attempt %d of %d, %s%s",
        result.pk,
        result.task_path,
        where,
        attempt,
        MAX_ATTEMPTS,
        outcome,
        f" as task {retry_id}" if retry_id else "",
    )
    return recovery


def _job_update(owner, *, outcome: str, message: str, now: datetime) -> Job | None:
    """Back to queued for a retry, or failed; a job already finished is left as it is."""
    job_id = getattr(owner, "job_id", None)
    if job_id is None:
        return None
    unfinished = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    if outcome == TaskRecovery.Outcome.RETRIED:
        # card_archive_build starts only from "queued"; the imports look at their own status.
        unfinished.update(
            status=Job.Status.QUEUED,
            progress_done=0,
            started_at=None,
            finished_at=None,
            messages=[message],
        )
    else:
        unfinished.update(status=Job.Status.FAILED, finished_at=now, messages=[message])
    return Job.objects.filter(pk=job_id).first()


def _import_abandon(owner, *, outcome: str, message: str) -> None:
    """An abandoned import leaves "checking"/"applying" for "failed", which the page explains."""
    from innerclient.org.models import DataImport

    if outcome == TaskRecovery.Outcome.RETRIED or not isinstance(owner, DataImport):
        return
    DataImport.objects.filter(
        pk=owner.pk, status__in=[DataImport.Status.VALIDATING, DataImport.Status.APPLYING]
    ).update(status=DataImport.Status.FAILED, summary={"error": message})
