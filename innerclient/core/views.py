from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods

from innerclient.core import selectors
from innerclient.core.permissions import Capability, can_create_organizations, org_access
from innerclient.core.services import organization_create


@login_required
def home(request):
    memberships = list(request.user.memberships.filter(organization__is_active=True))
    if len(memberships) == 1:
        return redirect("org:home", memberships[0].organization.slug)
    return redirect("organization_list")


@login_required
def organization_list(request):
    return render(
        request,
        "core/organization_list.html",
        {
            "memberships": selectors.memberships_for_user(request.user),
            "can_create": can_create_organizations(request.user),
        },
    )


class OrganizationForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("organization", "Name"), max_length=200)
    slug = forms.SlugField(
        label=gettext_lazy("Short name for addresses"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("Latin letters, digits and hyphens; made from the name if empty."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def organization_create_view(request):
    if not can_create_organizations(request.user):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = organization_create(
                actor=request.user,
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Organization created. Start by importing departments."))
            return redirect("org:home", organization.slug)
    return render(request, "core/organization_form.html", {"form": form})


@login_required
def audit_log(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_AUDIT)
    entries = selectors.audit_entries(
        access.organization, action_prefix=request.GET.get("action", "").strip()
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_log.html",
        {
            "org": access.organization,
            "page": page,
            "rows": selectors.audit_rows(page),
            "action": request.GET.get("action", ""),
            "nav": "audit",
        },
    )
