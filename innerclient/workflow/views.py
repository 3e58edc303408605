"""The "Publish" step of the cycle page: the surveys' confirmation page, publication's service."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_http_methods

from innerclient.core.permissions import Capability, org_access
from innerclient.surveys.models import Cycle
from innerclient.surveys.views.cycles import cycle_transition_page
from innerclient.workflow.services import cycle_publish as publish


@login_required
@require_http_methods(["GET", "POST"])
def cycle_publish(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    cycle = get_object_or_404(Cycle, organization=access.organization, pk=pk)
    return cycle_transition_page(request, access, cycle, Cycle.Status.PUBLISHED, publish)
