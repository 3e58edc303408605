"""Reads for the coordinator's background jobs page: plain data, a fixed number of queries.

Two sources: ``core.Job`` rows (work a page follows with a progress bar: large imports, card
archives), and failed ``django_tasks_db`` task results (every background task: invitation
emails, reminders, notifications, imports). A task result does not name its organization;
it is linked to one through the id it was given (``cycle_id``, ``appeal_id``, …), looked up
in the model the key names. A task with none of these keys belongs to no organization and
is not shown here (the operator sees it in the logs and the health check).
"""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from innerclient.core.models import Job, Organization
from innerclient.ops.models import TaskRecovery

# Task keyword → the model whose row gives the organization (and, when it has one, the job
# whose page already shows the failure).
ORGANIZATION_KEYS = {
    "cycle_id": "surveys.Cycle",
    "data_import_id": "org.DataImport",
    "appeal_id": "appeals.Appeal",
    "archive_id": "regulation.CardArchive",
}

JOB_LABELS = {
    "import.validate": _("Checking an imported file"),
    "import.apply": _("Applying an import"),
    "regulation.card_archive": _("Archive of department cards"),
}

TASK_LABELS = {
    "innerclient.org.tasks.import_validate": _("Checking an imported file"),
    "innerclient.org.tasks.import_apply": _("Applying an import"),
    "innerclient.regulation.tasks.card_archive_build": _("Archive of department cards"),
    "innerclient.surveys.notifications.invitations_send_task": _("Sending invitations"),
    "innerclient.surveys.notifications.reminders_send_task": _("Sending reminders"),
    "innerclient.appeals.notifications.appeal_filed_task": _("Notice of a filed appeal"),
    "innerclient.appeals.notifications.appeal_decided_task": _("Notice of an appeal decision"),
    "innerclient.reports.notifications.notify_publication_task": _("Notice of published results"),
}

RECENT_JOBS = 100
# Failed tasks older than this are history; prune_db_task_results removes them anyway.
FAILED_TASKS_DAYS = 30
FAILED_TASKS_SCANNED = 500


@dataclass(frozen=True)
class JobRow:
    pk: int
    label: str
    status: str
    status_label: str
    percent: int
    messages: list[str]
    created_by: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None


@dataclass(frozen=True)
class FailedTask:
    label: str
    enqueued_at: datetime.datetime
    finished_at: datetime.datetime | None
    error: str


def organization_jobs(
    organization: Organization, *, failed_only: bool = False, limit: int = RECENT_JOBS
) -> list[JobRow]:
    jobs = Job.objects.filter(organization=organization).select_related("created_by")
    if failed_only:
        jobs = jobs.filter(status=Job.Status.FAILED)
    return [
        JobRow(
            pk=job.pk,
            label=str(JOB_LABELS.get(job.kind, job.kind)),
            status=job.status,
            status_label=job.get_status_display(),
            percent=job.percent,
            messages=[str(message) for message in job.messages or []],
            created_by=str(job.created_by) if job.created_by else "",
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )
        for job in jobs.order_by("-created_at", "-pk")[:limit]
    ]


def error_line(exception_class_path: str, traceback: str) -> str:
    """The last line of a traceback (``ValueError: …``): what went wrong, without the frames,
    which tell a coordinator nothing and an outsider too much."""
    lines = [line for line in traceback.strip().splitlines() if line.strip()]
    line = lines[-1].strip() if lines else exception_class_path.rsplit(".", 1)[-1]
    return line[:300]


def _owners(results: list[DBTaskResult]) -> dict[str, dict[int, tuple[int, int | None]]]:
    """For each key, {object id: (organization id, job id or None)}: one query per key."""
    wanted: dict[str, set[int]] = {key: set() for key in ORGANIZATION_KEYS}
    for result in results:
        kwargs = (result.args_kwargs or {}).get("kwargs") or {}
        for key in ORGANIZATION_KEYS:
            if isinstance(kwargs.get(key), int):
                wanted[key].add(kwargs[key])
    owners: dict[str, dict[int, tuple[int, int | None]]] = {}
    for key, ids in wanted.items():
        if not ids:
            continue
        model = apps.get_model(ORGANIZATION_KEYS[key])
        has_job = any(field.name == "job" for field in model._meta.concrete_fields)
        fields = ["pk", "organization_id"] + (["job_id", "job__status"] if has_job else [])
        owners[key] = {
            row["pk"]: (
                row["organization_id"],
                row["job_id"] if has_job and row["job__status"] == Job.Status.FAILED else None,
            )
            for row in model.objects.filter(pk__in=ids).values(*fields)
        }
    return owners


def organization_failed_tasks(organization: Organization) -> list[FailedTask]:
    since = timezone.now() - datetime.timedelta(days=FAILED_TASKS_DAYS)
    results = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, enqueued_at__gte=since)
        # A run cut short by a dead worker and retried is not a failure to show: the retry
        # is a task of its own, listed if it fails.
        .exclude(
            pk__in=TaskRecovery.objects.filter(outcome=TaskRecovery.Outcome.RETRIED).values(
                "task_id"
            )
        )
        .order_by("-enqueued_at")
        .only(
            "task_path",
            "args_kwargs",
            "enqueued_at",
            "finished_at",
            "exception_class_path",
            "traceback",
        )[:FAILED_TASKS_SCANNED]
    )
    owners = _owners(results)
    failed = []
    for result in results:
        kwargs = (result.args_kwargs or {}).get("kwargs") or {}
        owner = next(
            (
                owners[key][kwargs[key]]
                for key in ORGANIZATION_KEYS
                if kwargs.get(key) in owners.get(key, {})
            ),
            None,
        )
        # A failed job's row already shows this failure with its message.
        if owner is None or owner[0] != organization.pk or owner[1] is not None:
            continue
        failed.append(
            FailedTask(
                label=str(TASK_LABELS.get(result.task_path, result.task_path.rsplit(".", 1)[-1])),
                enqueued_at=result.enqueued_at,
                finished_at=result.finished_at,
                error=error_line(result.exception_class_path, result.traceback),
            )
        )
    return failed
