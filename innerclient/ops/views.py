"""The health endpoint (public) and the coordinator's background jobs page."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from innerclient.core.permissions import Capability, org_access
from innerclient.ops import health, selectors


@never_cache
@require_GET
def health_view(request):
    """200 when everything is ok, 503 with the failing check otherwise (docs/deploy.md)."""
    status, checks = health.run_checks()
    return JsonResponse(
        {"status": status, "checks": {name: check.as_dict() for name, check in checks.items()}},
        status=200 if status == health.OK else 503,
    )


@login_required
def job_list(request, org_slug):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    failed_only = request.GET.get("status") == "failed"
    return render(
        request,
        "ops/jobs.html",
        {
            "org": access.organization,
            "jobs": selectors.organization_jobs(access.organization, failed_only=failed_only),
            "failed_tasks": selectors.organization_failed_tasks(access.organization),
            "failed_only": failed_only,
            "nav": "jobs",
        },
    )
