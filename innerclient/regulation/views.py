"""The Regulation's pages (namespace ``org``, under /o/<slug>/): the current version, any
earlier one, its PDF, publishing a new version (coordinator) and acknowledging it (heads).

Every member may read the Regulation. Before the first version is published, the page shows
a draft generated from the settings in force.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innerclient.core.models import Role
from innerclient.core.permissions import Capability, org_access
from innerclient.regulation import selectors, services
from innerclient.regulation.models import RegulationVersion
from innerclient.regulation.pdf import render_pdf
from innerclient.surveys.models import Cycle


def _version(access, number: int) -> RegulationVersion:
    return get_object_or_404(
        RegulationVersion.objects.select_related("cycle", "created_by"),
        organization=access.organization,
        version=number,
    )


def _page(request, access, version: RegulationVersion | None):
    organization = access.organization
    current = selectors.current_version(organization)
    snapshot = version.settings if version else selectors.regulation_settings(organization)
    is_coordinator = access.can(Capability.MANAGE_ORGANIZATION)
    is_head = access.role == Role.HEAD
    context = {
        **selectors.document_context(snapshot, organization=organization),
        "access": access,
        "nav": "regulation",
        "version": version,
        "current": current,
        "is_current": version is not None and current is not None and version.pk == current.pk,
        "versions": selectors.version_list(organization),
        "is_coordinator": is_coordinator,
        "is_head": is_head,
    }
    if is_head and context["is_current"]:
        context["my_acknowledgment"] = selectors.acknowledged_at(version, request.user)
    if is_coordinator:
        cycles = list(Cycle.objects.filter(organization=organization).order_by("-created_at"))
        context["cycles"] = cycles
        context["default_cycle"] = (
            version.cycle_id if version and version.cycle_id else (cycles[0].pk if cycles else None)
        )
        context["next_version"] = (current.version if current else 0) + 1
        if context["is_current"]:
            status = selectors.acknowledgment_status(version)
            context["heads"] = status
            context["heads_done"] = sum(1 for row in status if row.acknowledged_at)
    return render(request, "regulation/regulation.html", context)


@login_required
def regulation(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    return _page(request, access, selectors.current_version(access.organization))


@login_required
def regulation_version(request, org_slug, version):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    return _page(request, access, _version(access, version))


@login_required
def regulation_pdf(request, org_slug, version):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    found = _version(access, version)
    context = {
        **selectors.document_context(found.settings, organization=access.organization),
        "version": found,
        "document_title": _("Regulation on the Internal Client system"),
    }
    data = render_pdf("pdf/regulation.html", context, request=request)
    response = HttpResponse(data, content_type="application/pdf")
    filename = f"regulation-{access.organization.slug}-v{found.version}-{get_language()}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


@login_required
@require_POST
def regulation_publish(request, org_slug):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    cycle = None
    cycle_id = request.POST.get("cycle", "")
    if cycle_id.isdigit():
        cycle = get_object_or_404(Cycle, organization=access.organization, pk=int(cycle_id))
    version = services.regulation_publish(
        actor=request.user, organization=access.organization, cycle=cycle
    )
    messages.success(
        request,
        _(
            "Version %(version)d of the Regulation is published. Department heads are asked "
            "to acknowledge it."
        )
        % {"version": version.version},
    )
    return redirect("org:regulation", access.organization.slug)


@login_required
@require_POST
def regulation_acknowledge(request, org_slug, version):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    if access.role != Role.HEAD:
        raise PermissionDenied
    found = _version(access, version)
    try:
        services.regulation_acknowledge(actor=request.user, version=found)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank you: your acknowledgment is recorded."))
    return redirect("org:regulation", access.organization.slug)
