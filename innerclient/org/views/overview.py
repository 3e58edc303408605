from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from innerclient.core.permissions import Capability, org_access
from innerclient.org import selectors


@login_required
def org_home(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    return render(
        request,
        "org/home.html",
        {
            "access": access,
            "org": access.organization,
            "overview": selectors.organization_overview(access.organization),
            "nav": "home",
        },
    )
