"""Every shown department's card PDF of a cycle in one zip, built by a background job.

``card_archive_start`` (a service: atomic, audited) creates the archive row and its ``Job``
and enqueues ``regulation.tasks.card_archive_build`` on commit; ``card_archive_build`` renders
the cards one by one, reporting progress on the job, and stores the zip. Running it twice
does nothing the second time.
"""

import io
import zipfile

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from innerclient.core.audit import audit_record
from innerclient.core.models import Job, Role
from innerclient.org.importing.pipeline import job_run
from innerclient.regulation.models import CardArchive
from innerclient.regulation.printing import card_pdf, safe_filename
from innerclient.results.models import ResultSnapshot
from innerclient.surveys.models import Cycle
from innerclient.surveys.selectors import cycle_results_visible

KIND = "regulation.card_archive"


def shown_departments(snapshot: ResultSnapshot) -> list[int]:
    """Ids of the departments whose figures the snapshot shows, in code order."""
    return [snapshot.departments[p["code"]] for p in snapshot.payload["providers"] if p["shown"]]


@transaction.atomic
def card_archive_start(*, actor, cycle: Cycle, language: str) -> CardArchive:
    if not cycle_results_visible(cycle):
        raise ValidationError(_("The cycle's results are not published."), code="status")
    snapshot = ResultSnapshot.objects.filter(cycle=cycle).order_by("-version").first()
    if snapshot is None:
        raise ValidationError(_("The cycle has no stored results."), code="no_results")
    departments = shown_departments(snapshot)
    creator = actor if getattr(actor, "is_authenticated", False) else None
    job = Job.objects.create(
        organization_id=cycle.organization_id,
        kind=KIND,
        progress_total=len(departments),
        created_by=creator,
    )
    archive = CardArchive.objects.create(
        organization_id=cycle.organization_id,
        cycle=cycle,
        snapshot_version=snapshot.version,
        language=language,
        job=job,
        created_by=creator,
    )
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="cards.archive",
        obj=cycle,
        changes={"version": snapshot.version, "cards": len(departments), "language": language},
    )
    from innerclient.regulation.tasks import card_archive_build

    pk = archive.pk
    transaction.on_commit(lambda: card_archive_build.enqueue(archive_id=pk))
    return archive


def card_archive_build(*, archive_id: int) -> None:
    archive = (
        CardArchive.objects.select_related("job", "cycle__organization")
        .filter(pk=archive_id)
        .first()
    )
    if archive is None or archive.job.status != Job.Status.QUEUED:
        return
    cycle = archive.cycle
    snapshot = ResultSnapshot.objects.get(cycle=cycle, version=archive.snapshot_version)
    snapshot.cycle = cycle

    def work(progress):
        departments = shown_departments(snapshot)
        buffer = io.BytesIO()
        names = set()
        with translation.override(archive.language), zipfile.ZipFile(buffer, "w") as bundle:
            for done, department_id in enumerate(departments, start=1):
                data = card_pdf(
                    snapshot,
                    department_id,
                    organization=cycle.organization,
                    viewer_role=Role.ANALYST,
                )
                name = _entry_name(snapshot, department_id, names)
                bundle.writestr(name, data)
                progress(done, len(departments))
            filename = (
                f"{safe_filename(cycle.name)} v{snapshot.version} "
                + _("cards")
                + f" {archive.language}.zip"
            )
        archive.content = buffer.getvalue()
        archive.filename = filename
        archive.cards = len(departments)
        archive.save(update_fields=["content", "filename", "cards"])
        count = len(departments)
        return [ngettext("%(n)d card", "%(n)d cards", count) % {"n": count}]

    job_run(job_id=archive.job_id, work=work)


def _entry_name(snapshot: ResultSnapshot, department_id: int, taken: set[str]) -> str:
    from innerclient.org.models import Department

    department = Department.objects.only("code", "name_ru", "name_en").get(pk=department_id)
    base = safe_filename(f"{department.code} {department.name}")
    name = f"{base}.pdf"
    counter = 2
    while name in taken:
        name = f"{base} ({counter}).pdf"
        counter += 1
    taken.add(name)
    return name
