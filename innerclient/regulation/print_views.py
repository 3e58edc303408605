"""PDFs of results (namespace ``org``, under /o/<slug>/): a department's card, the company
report, and the zip of every shown department's card built by a background job.

Access follows the pages they print: a card for coordinators and analysts (any department)
and for the head of that department; the company report and the zip for coordinators and
analysts. Before publication there is nothing to print: 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRefresh

from innerclient.core.models import Role
from innerclient.core.permissions import Capability, org_access
from innerclient.org.models import Department
from innerclient.regulation import archives, printing
from innerclient.regulation.models import CardArchive
from innerclient.results.models import ResultSnapshot
from innerclient.results.selectors import snapshot_for_reader
from innerclient.surveys.models import Cycle
from innerclient.surveys.selectors import cycle_results_visible


def _cycle(access, pk: int) -> Cycle:
    return get_object_or_404(
        Cycle.objects.select_related("organization"), organization=access.organization, pk=pk
    )


def _published_snapshot(request, cycle: Cycle, role: str) -> ResultSnapshot:
    """The requested version (``?version=``) or the latest, if ``role`` may read it; 404
    before publication."""
    if not cycle_results_visible(cycle):
        raise Http404
    snapshot = snapshot_for_reader(cycle, role, request.GET.get("version", ""))
    if snapshot is None:
        raise Http404
    snapshot.cycle = cycle
    return snapshot


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@login_required
def card_pdf(request, org_slug, pk, department_pk):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    cycle = _cycle(access, pk)
    department = get_object_or_404(
        Department.objects.only("id", "code"), organization=access.organization, pk=department_pk
    )
    own = access.role == Role.HEAD and access.membership.department_id == department.pk
    if not (access.can(Capability.VIEW_RESULTS) or own):
        raise PermissionDenied
    snapshot = _published_snapshot(request, cycle, access.role)
    try:
        data = printing.card_pdf(
            snapshot, department.pk, organization=access.organization, viewer_role=access.role
        )
    except LookupError:
        raise Http404 from None
    name = printing.safe_filename(f"card {department.code} {cycle.name} v{snapshot.version}")
    return _pdf_response(data, f"{name}.pdf".replace(" ", "-"))


@login_required
def company_pdf(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.VIEW_RESULTS)
    cycle = _cycle(access, pk)
    snapshot = _published_snapshot(request, cycle, access.role)
    data = printing.company_pdf(
        snapshot,
        organization=access.organization,
        viewer_role=access.role,
        division=_int(request.GET.get("division")),
        criterion=_int(request.GET.get("criterion")),
    )
    name = printing.safe_filename(f"report {cycle.name} v{snapshot.version}")
    return _pdf_response(data, f"{name}.pdf".replace(" ", "-"))


# --- All cards in one zip ------------------------------------------------------------------


def _archive(access, cycle: Cycle, archive_pk: int) -> CardArchive:
    return get_object_or_404(
        CardArchive.objects.select_related("job").defer("content"),
        organization=access.organization,
        cycle=cycle,
        pk=archive_pk,
    )


@login_required
def cards_bulk(request, org_slug, pk):
    """GET: the cycle's card archives with their progress; POST: build a new one."""
    access = org_access(request, org_slug, Capability.VIEW_RESULTS)
    cycle = _cycle(access, pk)
    if request.method == "POST":
        try:
            archives.card_archive_start(actor=request.user, cycle=cycle, language=get_language())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The cards are being printed. You can leave this page; the work continues."),
            )
        return redirect("org:cards_bulk", access.organization.slug, cycle.pk)
    published = cycle_results_visible(cycle)
    snapshot = (
        ResultSnapshot.objects.filter(cycle=cycle).order_by("-version").first()
        if published
        else None
    )
    found = list(
        CardArchive.objects.filter(organization=access.organization, cycle=cycle)
        .select_related("job", "created_by")
        .defer("content")[:10]
    )
    context = {
        "access": access,
        "org": access.organization,
        "nav": "cycles",
        "cycle": cycle,
        "published": published,
        "snapshot": snapshot,
        "shown": len(archives.shown_departments(snapshot)) if snapshot else 0,
        "archives": found,
    }
    return render(request, "regulation/cards_bulk.html", context)


@login_required
def cards_bulk_status(request, org_slug, pk, archive_pk):
    """The progress fragment the page polls; once the job ends, the page reloads."""
    access = org_access(request, org_slug, Capability.VIEW_RESULTS)
    cycle = _cycle(access, pk)
    archive = _archive(access, cycle, archive_pk)
    if not request.htmx:
        return redirect("org:cards_bulk", access.organization.slug, cycle.pk)
    if archive.job.is_finished:
        return HttpResponseClientRefresh()
    context = {"access": access, "org": access.organization, "cycle": cycle, "archive": archive}
    return render(request, "regulation/_archive_progress.html", context)


@login_required
def cards_bulk_download(request, org_slug, pk, archive_pk):
    access = org_access(request, org_slug, Capability.VIEW_RESULTS)
    cycle = _cycle(access, pk)
    archive = get_object_or_404(
        CardArchive.objects.select_related("job"),
        organization=access.organization,
        cycle=cycle,
        pk=archive_pk,
    )
    if archive.job.status != archive.job.Status.DONE or not archive.content:
        raise Http404
    response = HttpResponse(bytes(archive.content), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(
        True, archive.filename or "cards.zip"
    )
    return response
