"""Members and roles: who may use the system in this organization, and as what."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from innerclient.accounts.lockout import locked_usernames
from innerclient.accounts.services import signin_unlock
from innerclient.core.models import Membership, Role
from innerclient.core.permissions import Capability, org_access
from innerclient.core.services import member_add, member_update
from innerclient.org import selectors
from innerclient.org.models import Department

ROLE_HELP = {
    Role.COORDINATOR: gettext_lazy("runs the system: structure, map, cycles, members"),
    Role.ANALYST: gettext_lazy("reads the structure, the map and the reports"),
    Role.HEAD: gettext_lazy("a department head: sees the map and his department's results"),
    Role.EMPLOYEE: gettext_lazy("rates providers of his department"),
}


class MemberForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    department = forms.TypedChoiceField(
        label=gettext_lazy("Department"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("Required for a department head and an employee."),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["department"].choices = [
            ("", "—"),
            *selectors.department_choices(organization, active_only=True),
        ]

    def clean_department(self):
        pk = self.cleaned_data.get("department")
        if pk is None:
            return None
        return get_object_or_404(Department, organization=self.organization, pk=pk)


class MemberAddForm(MemberForm):
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    field_order = ["email", "role", "department"]


@login_required
@require_http_methods(["GET", "POST"])
def member_list(request, org_slug):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    organization = access.organization
    form = MemberAddForm(request.POST or None, organization=organization, prefix="add")
    if request.method == "POST" and form.is_valid():
        try:
            membership, password = member_add(
                actor=request.user,
                organization=organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                department=form.cleaned_data["department"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            username = membership.user.get_username()
            if password:
                messages.warning(
                    request,
                    _(
                        "Account %(username)s created. Temporary password: %(password)s — "
                        "hand it over now: it is shown only once."
                    )
                    % {"username": username, "password": password},
                )
            else:
                messages.success(
                    request,
                    _("%(username)s added as %(role)s.")
                    % {"username": username, "role": membership.get_role_display()},
                )
            return redirect("org:member_list", org_slug)
    return render(
        request,
        "org/members/member_list.html",
        {
            "org": organization,
            "nav": "members",
            "members": selectors.members(organization),
            "form": form,
            "role_help": [(Role(value).label, ROLE_HELP[value]) for value in Role.values],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    membership = get_object_or_404(
        Membership.objects.select_related("user", "department"),
        organization=access.organization,
        pk=pk,
    )
    form = MemberForm(
        request.POST or None,
        organization=access.organization,
        initial={"role": membership.role, "department": membership.department_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            member_update(
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
                department=form.cleaned_data["department"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(username)s saved.") % {"username": membership.user.get_username()}
            )
            return redirect("org:member_list", org_slug)
    return render(
        request,
        "org/members/member_edit.html",
        {
            "org": access.organization,
            "nav": "members",
            "membership": membership,
            "form": form,
            "is_self": membership.user_id == request.user.pk,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_unlock(request, org_slug, pk):
    """Lift a sign-in lockout: a confirmation page, then the unlock (coordinators only)."""
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), organization=access.organization, pk=pk
    )
    username = membership.user.get_username()
    if request.method == "POST":
        if signin_unlock(
            actor=request.user, organization=access.organization, membership=membership
        ):
            messages.success(request, _("%(username)s can sign in again.") % {"username": username})
        else:
            messages.info(request, _("%(username)s was not locked out.") % {"username": username})
        return redirect("org:member_list", org_slug)
    return render(
        request,
        "org/members/member_unlock.html",
        {
            "org": access.organization,
            "nav": "members",
            "membership": membership,
            "locked": bool(locked_usernames([username])),
        },
    )
