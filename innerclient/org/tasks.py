"""Background work for imports too large to check or apply inside a request.

Tasks take ids, never objects, and are safe to run twice: each one first looks at the
import's status and does nothing if another run already finished the work. That is what lets
the worker's recovery (innerclient/ops/worker.py) run one again when the worker running it
died: the apply is one transaction, so a killed run left nothing of the file behind, and the
import is still "applying" (or "checking") for the retry to pick up.
"""

from django.tasks import task

from innerclient.org.importing import pipeline
from innerclient.org.models import DataImport

Status = DataImport.Status


@task
def import_validate(data_import_id: int) -> None:
    data_import = DataImport.objects.filter(pk=data_import_id).first()
    if data_import is None or data_import.status != Status.VALIDATING:
        return

    def work(progress):
        try:
            done = pipeline.data_import_validate(data_import_id=data_import_id, progress=progress)
        except Exception:
            DataImport.objects.filter(pk=data_import_id).update(status=Status.FAILED)
            raise
        return [done.status]

    pipeline.job_run(job_id=data_import.job_id, work=work)


@task
def import_apply(data_import_id: int, actor_id: int | None = None) -> None:
    data_import = DataImport.objects.filter(pk=data_import_id).first()
    if data_import is None or data_import.status != Status.APPLYING:
        return

    def work(progress):
        # The apply runs in one transaction, so progress written inside it would stay
        # invisible until the end; the page shows the job as running instead.
        done = pipeline.data_import_apply(data_import_id=data_import_id, actor_id=actor_id)
        messages = [done.status]
        if done.summary.get("error"):
            messages.append(done.summary["error"])
        return messages

    pipeline.job_run(job_id=data_import.job_id, work=work)
