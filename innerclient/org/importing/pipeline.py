"""The life of an import: upload → (mapping) → validation → preview → apply, as services.

Views, tasks, commands and the benchmark call these functions and nothing else. Files above
``settings.IMPORT_INLINE_MAX_ROWS`` rows are validated and applied by a background task
(``innerclient.org.tasks``) that a ``Job`` row reports on; smaller ones in the request.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from innerclient.core.audit import audit_record
from innerclient.core.models import Job, Organization
from innerclient.org.importing import request_log as log_import
from innerclient.org.importing.apply import APPLIERS, change_sample
from innerclient.org.importing.fields import (
    FIELDS,
    REQUEST_LOG,
    clean_mapping,
    guess_mapping,
    missing_required,
)
from innerclient.org.importing.snapshot import fetch_snapshot
from innerclient.org.importing.tabular import Table, TabularError, read_table
from innerclient.org.importing.validate import PLANNERS, Plan, Progress, records
from innerclient.org.models import DataImport
from innerclient.org.services.interaction_map import map_apply, map_diff

logger = logging.getLogger(__name__)

Status = DataImport.Status
PREVIEW_SAMPLE = 30
MAX_STORED_ISSUES = 1000


class ImportBlocked(Exception):
    """The file no longer passes the checks at apply time (the structure changed meanwhile)."""

    def __init__(self, preview: dict):
        super().__init__("import blocked by validation errors")
        self.preview = preview


# Upload ----------------------------------------------------------------------------------------


def read_upload(*, content: bytes, filename: str) -> Table:
    """The table in an uploaded file, or ``TabularError`` with a message for the user."""
    if len(content) > settings.IMPORT_MAX_UPLOAD_BYTES:
        raise TabularError(
            _("The file is too large: the limit is %(mb)s MB.")
            % {"mb": settings.IMPORT_MAX_UPLOAD_BYTES // 2**20 or 1}
        )
    table = read_table(content, filename)
    if len(table.headers) < 2:
        raise TabularError(
            _("Only one column found. Is this a table? For CSV, separate columns with “;” or “,”.")
        )
    if not table.rows:
        raise TabularError(_("The file has a header row but no data rows."))
    return table


@transaction.atomic
def data_import_create(
    *,
    actor: Any,
    organization: Organization,
    kind: str,
    filename: str,
    content: bytes,
    table: Table,
) -> DataImport:
    """Store an uploaded file; nothing in the structure changes until it is applied."""
    mapping = guess_mapping(kind, table.headers)
    status = Status.NEEDS_MAPPING if missing_required(kind, mapping) else Status.UPLOADED
    return DataImport.objects.create(
        organization=organization,
        kind=kind,
        status=status,
        filename=filename[:255],
        content=content,
        column_mapping=mapping,
        options={"lang": translation.get_language() or settings.LANGUAGE_CODE},
        row_count=table.row_count,
        created_by=actor,
    )


def data_import_headers(data_import: DataImport) -> list[str]:
    return read_table(bytes(data_import.content), data_import.filename).headers


@transaction.atomic
def data_import_set_mapping(
    *, actor: Any, data_import: DataImport, mapping: dict[str, str]
) -> DataImport:
    """Save the user's column mapping; every required field once, no field twice."""
    if data_import.status not in (
        Status.NEEDS_MAPPING,
        Status.UPLOADED,
        Status.INVALID,
        Status.PREVIEW,
    ):
        raise ValidationError(_("This import can no longer be changed."))
    headers = data_import_headers(data_import)
    mapping = clean_mapping(data_import.kind, headers, {h: f for h, f in mapping.items() if f})
    fields = list(mapping.values())
    twice = sorted({f for f in fields if fields.count(f) > 1})
    labels = {spec.name: str(spec.label) for spec in FIELDS[data_import.kind]}
    problems = [
        _("“%(field)s” is chosen for more than one column.") % {"field": labels[f]} for f in twice
    ]
    problems += [
        _("Choose a column for “%(field)s”.") % {"field": spec.label}
        for spec in missing_required(data_import.kind, mapping)
    ]
    if problems:
        raise ValidationError(problems)
    data_import.column_mapping = mapping
    data_import.status = Status.UPLOADED
    data_import.save(update_fields=["column_mapping", "status"])
    return data_import


# Validation ------------------------------------------------------------------------------------


def _is_large(data_import: DataImport) -> bool:
    return data_import.row_count > settings.IMPORT_INLINE_MAX_ROWS


def _start_job(data_import: DataImport, *, actor: Any, kind: str) -> Job:
    job = Job.objects.create(
        organization=data_import.organization,
        kind=kind,
        progress_total=data_import.row_count,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    data_import.job = job
    return job


@transaction.atomic
def data_import_start_validation(*, actor: Any, data_import: DataImport) -> DataImport:
    """Validate now, or hand a large file to the worker and let the page poll its job."""
    if not _is_large(data_import):
        return data_import_validate(data_import_id=data_import.pk)
    from innerclient.org.tasks import import_validate

    _start_job(data_import, actor=actor, kind="import.validate")
    data_import.status = Status.VALIDATING
    data_import.save(update_fields=["job", "status"])
    pk = data_import.pk
    transaction.on_commit(lambda: import_validate.enqueue(data_import_id=pk))
    return data_import


def data_import_validate(*, data_import_id: int, progress: Progress | None = None) -> DataImport:
    """Check the file against the current structure and store the preview. Writes nothing else."""
    data_import = DataImport.objects.select_related("organization").get(pk=data_import_id)
    with translation.override(data_import.options.get("lang") or settings.LANGUAGE_CODE):
        try:
            preview = build_preview(data_import, progress=progress)
        except TabularError as error:
            preview = {"errors": [{"row": None, "field": "", "message": str(error)}]}
    data_import.preview = preview
    data_import.status = Status.INVALID if preview.get("errors") else Status.PREVIEW
    data_import.save(update_fields=["preview", "status"])
    return data_import


def _rows(data_import: DataImport):
    table = read_table(bytes(data_import.content), data_import.filename)
    return records(table, data_import.column_mapping)


def _plan(data_import: DataImport, progress: Progress | None = None) -> Plan:
    snapshot = fetch_snapshot(data_import.organization)
    return PLANNERS[data_import.kind](_rows(data_import), snapshot, progress=progress)


def build_preview(data_import: DataImport, *, progress: Progress | None = None) -> dict:
    if data_import.kind == REQUEST_LOG:
        return _log_preview(data_import, progress=progress)
    return plan_preview(_plan(data_import, progress))


def plan_preview(plan: Plan) -> dict:
    def issues(items):
        return [
            {"row": i.row, "field": i.field, "message": i.message}
            for i in items[:MAX_STORED_ISSUES]
        ]

    return {
        "kind": plan.kind,
        "row_count": plan.row_count,
        "errors": issues(plan.errors),
        "error_count": len(plan.errors),
        "warnings": issues(plan.warnings),
        "warning_count": len(plan.warnings),
        "counts": {
            "create": len(plan.creates),
            "update": len(plan.updates),
            "unchanged": plan.unchanged,
            "deactivate": len(plan.deactivations),
            "heads": len(plan.head_changes),
        },
        # Updates first: a change to what exists deserves more attention than a new row.
        "sample": change_sample(plan.updates + plan.head_changes + plan.creates, PREVIEW_SAMPLE)
        if not plan.errors
        else [],
        "deactivate_sample": change_sample(plan.deactivations, 20),
    }


def _log_preview(data_import: DataImport, *, progress: Progress | None = None) -> dict:
    index, names = log_import.department_index(data_import.organization)
    parsed = log_import.parse_log(_rows(data_import), index, progress=progress)
    options = log_import.LogOptions.from_dict(data_import.options, parsed)
    preview = log_import.log_preview(
        organization=data_import.organization,
        parsed=parsed,
        options=options,
        names=names,
    )
    if not parsed.entries:
        preview["errors"] = [
            {
                "row": None,
                "field": "",
                "message": _(
                    "No usable rows: every row has an unknown department or an unreadable date."
                ),
            }
        ]
    return preview


@transaction.atomic
def data_import_set_log_options(
    *, actor: Any, data_import: DataImport, date_from: str, date_to: str, min_count: int
) -> DataImport:
    """Change the window and threshold of a request-log import and recompute its preview."""
    if data_import.kind != REQUEST_LOG or data_import.status not in (
        Status.PREVIEW,
        Status.INVALID,
    ):
        raise ValidationError(_("This import can no longer be changed."))
    data_import.options = {
        **data_import.options,
        "date_from": date_from,
        "date_to": date_to,
        "min_count": min_count,
    }
    data_import.save(update_fields=["options"])
    return data_import_start_validation(actor=actor, data_import=data_import)


# Apply -----------------------------------------------------------------------------------------


@transaction.atomic
def data_import_start_apply(
    *, actor: Any, data_import: DataImport, options: dict[str, bool]
) -> DataImport:
    if data_import.status != Status.PREVIEW:
        raise ValidationError(_("Only an import without errors can be applied."))
    data_import.options = {**data_import.options, **options}
    if not _is_large(data_import):
        data_import.save(update_fields=["options"])
        return data_import_apply(data_import_id=data_import.pk, actor_id=_actor_id(actor))
    from innerclient.org.tasks import import_apply

    _start_job(data_import, actor=actor, kind="import.apply")
    data_import.status = Status.APPLYING
    data_import.save(update_fields=["options", "job", "status"])
    pk, actor_id = data_import.pk, _actor_id(actor)
    transaction.on_commit(lambda: import_apply.enqueue(data_import_id=pk, actor_id=actor_id))
    return data_import


def _actor_id(actor: Any) -> int | None:
    return actor.pk if getattr(actor, "is_authenticated", False) else None


def data_import_apply(*, data_import_id: int, actor_id: int | None) -> DataImport:
    """Apply the file in one transaction, or nothing at all.

    Idempotent: an applied import is left alone, and a file equal to the structure writes
    no rows and no audit entries. A failure rolls everything back and marks the import
    failed; the exception is logged, not raised, so the page can say what happened.
    """
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        with transaction.atomic():
            data_import = (
                DataImport.objects.select_for_update()
                .select_related("organization")
                .get(pk=data_import_id)
            )
            if data_import.status not in (Status.PREVIEW, Status.APPLYING):
                return data_import
            # One import at a time per organization: the plan must not go stale mid-write.
            Organization.objects.select_for_update().filter(pk=data_import.organization_id).first()
            language = data_import.options.get("lang") or settings.LANGUAGE_CODE
            with translation.override(language):
                summary = _apply(data_import, actor)
            data_import.status = Status.APPLIED
            data_import.summary = summary
            data_import.applied_at = timezone.now()
            data_import.save(update_fields=["status", "summary", "applied_at"])
            return data_import
    except ImportBlocked as blocked:
        DataImport.objects.filter(pk=data_import_id).update(
            status=Status.INVALID, preview=blocked.preview
        )
    except Exception as error:
        logger.exception("import %s failed", data_import_id)
        DataImport.objects.filter(pk=data_import_id).update(
            status=Status.FAILED, summary={"error": f"{type(error).__name__}: {error}"[:500]}
        )
    return DataImport.objects.get(pk=data_import_id)


def _apply(data_import: DataImport, actor: Any) -> dict:
    organization = data_import.organization
    if data_import.kind == REQUEST_LOG:
        return _apply_log(data_import, actor)
    plan = _plan(data_import)
    if not plan.is_valid:
        raise ImportBlocked(plan_preview(plan))
    deactivate = bool(data_import.options.get("deactivate_missing"))
    result = APPLIERS[data_import.kind](
        organization=organization, actor=actor, plan=plan, deactivate_missing=deactivate
    )
    summary = result.as_dict()
    if plan.change_count(deactivate_missing=deactivate):
        audit_record(
            organization=organization,
            actor=actor,
            action="import.apply",
            obj=data_import,
            changes={"kind": data_import.kind, "filename": data_import.filename, **summary},
        )
    return summary


def _apply_log(data_import: DataImport, actor: Any) -> dict:
    organization = data_import.organization
    index, _names = log_import.department_index(organization)
    parsed = log_import.parse_log(_rows(data_import), index)
    if not parsed.entries:
        raise ImportBlocked(_log_preview(data_import))
    options = log_import.LogOptions.from_dict(data_import.options, parsed)
    proposed, _counts = log_import.derive_links(parsed, options)
    diff = map_diff(
        organization=organization, proposed=proposed, remove_missing=options.remove_missing
    )
    summary = {
        "added": len(diff.added),
        "changed": len(diff.changed),
        "removed": len(diff.removed),
        "unchanged": diff.unchanged,
        "date_from": log_import._iso(options.date_from),
        "date_to": log_import._iso(options.date_to),
        "min_count": options.min_count,
    }
    if diff.is_empty:  # nothing to write: no map.apply and no audit rows
        return summary
    map_apply(
        actor=actor,
        organization=organization,
        proposed=proposed,
        remove_missing=options.remove_missing,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="import.apply",
        obj=data_import,
        changes={"kind": data_import.kind, "filename": data_import.filename, **summary},
    )
    return summary


@transaction.atomic
def data_import_cancel(*, actor: Any, data_import: DataImport) -> DataImport:
    """Drop an import that will not be applied; the stored file goes with it."""
    if data_import.status in (Status.APPLIED, Status.APPLYING, Status.CANCELLED):
        raise ValidationError(_("This import can no longer be cancelled."))
    data_import.status = Status.CANCELLED
    data_import.content = b""
    data_import.save(update_fields=["status", "content"])
    return data_import


# Background jobs -------------------------------------------------------------------------------


def job_progress(job_id: int) -> Progress:
    def report(done: int, total: int) -> None:
        Job.objects.filter(pk=job_id).update(progress_done=done, progress_total=total)

    return report


def job_run(*, job_id: int, work) -> None:
    """Run ``work(progress)`` for a job row, recording start, finish and failure."""
    Job.objects.filter(pk=job_id).update(status=Job.Status.RUNNING, started_at=timezone.now())
    try:
        messages = work(job_progress(job_id)) or []
    except Exception as error:
        logger.exception("job %s failed", job_id)
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            messages=[f"{type(error).__name__}: {error}"[:500]],
        )
        raise
    job = Job.objects.get(pk=job_id)
    job.status = Job.Status.DONE
    job.progress_done = job.progress_total
    job.finished_at = timezone.now()
    job.messages = messages
    job.save(update_fields=["status", "progress_done", "finished_at", "messages"])
