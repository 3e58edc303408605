"""Structure pages: the department tree, a department, the people list, and (de)activation.

(De)activation always goes through a confirmation page: the button on a page posts without
``confirm`` and gets the confirmation; the confirmation posts with ``confirm=1``. Works
without JavaScript.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from innerclient.core.permissions import Capability, org_access
from innerclient.org import selectors
from innerclient.org.models import Department, Person
from innerclient.org.services.structure import (
    department_set_active,
    department_update,
    person_set_active,
)


def _flag(value: str | None) -> bool | None:
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("0", "false", "off", "no"):
        return False
    return None


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
def department_tree(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    show_inactive = _flag(request.GET.get("inactive")) is True
    query = request.GET.get("q", "")[:100]
    tree = selectors.department_tree(
        access.organization, include_inactive=show_inactive, query=query
    )
    return render(
        request,
        "org/structure/tree.html",
        {
            "org": access.organization,
            "nav": "structure",
            "tree": tree,
            "show_inactive": show_inactive,
            # Top two levels open by default; everything open while filtering.
            "open_depth": 99 if tree.query else 1,
            "can_manage": access.can(Capability.MANAGE_STRUCTURE),
        },
    )


class DepartmentForm(forms.Form):
    name_ru = forms.CharField(label=gettext_lazy("Name (Russian)"), max_length=255)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=255, required=False)
    parent = forms.TypedChoiceField(
        label=gettext_lazy("Parent department"), coerce=int, required=False, empty_value=None
    )
    head = forms.TypedChoiceField(
        label=gettext_lazy("Head"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, department: Department, **kwargs):
        super().__init__(*args, **kwargs)
        organization = department.organization
        self.fields["parent"].choices = [("", _("— top level —"))] + [
            (pk, label)
            for pk, label in selectors.department_choices(organization, active_only=True)
            if pk != department.pk
        ]
        # The head is chosen among the department's own active people (and the current head).
        candidates = Person.objects.filter(department=department, is_active=True)
        if department.head_id:
            candidates = candidates | Person.objects.filter(pk=department.head_id)
        self.fields["head"].choices = [("", _("— none —"))] + [
            (p.pk, f"{p.full_name} <{p.email}>")
            for p in candidates.distinct().order_by("full_name")
        ]


@login_required
@require_http_methods(["GET", "POST"])
def department_detail(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    department = get_object_or_404(
        Department.objects.select_related("organization"), organization=access.organization, pk=pk
    )
    can_manage = access.can(Capability.MANAGE_STRUCTURE)
    editing = can_manage and (request.method == "POST" or request.GET.get("edit") == "1")
    if request.method == "POST" and not can_manage:
        return redirect("org:department_detail", org_slug, pk)
    form = None
    if editing:
        form = DepartmentForm(
            request.POST or None,
            department=department,
            initial={
                "name_ru": department.name_ru,
                "name_en": department.name_en,
                "parent": department.parent_id,
                "head": department.head_id,
            },
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            parent = (
                get_object_or_404(Department, organization=access.organization, pk=data["parent"])
                if data["parent"]
                else None
            )
            head = (
                get_object_or_404(Person, organization=access.organization, pk=data["head"])
                if data["head"]
                else None
            )
            try:
                department_update(
                    actor=request.user,
                    department=department,
                    name_ru=data["name_ru"],
                    name_en=data["name_en"],
                    parent=parent,
                    head=head,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Department saved."))
                return redirect("org:department_detail", org_slug, pk)
    return render(
        request,
        "org/structure/department_detail.html",
        {
            "org": access.organization,
            "nav": "structure",
            "dept": selectors.department_detail(department),
            "people": selectors.department_people(department, page=request.GET.get("page")),
            "can_manage": can_manage,
            "can_view_map": access.can(Capability.VIEW_MAP),
            "can_manage_map": access.can(Capability.MANAGE_MAP),
            "form": form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def department_set_active_view(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_STRUCTURE)
    department = get_object_or_404(
        Department.objects.select_related("organization", "parent"),
        organization=access.organization,
        pk=pk,
    )
    data = request.POST if request.method == "POST" else request.GET
    active = _flag(data.get("active"))
    if active is None:
        active = not department.is_active
    back = reverse("org:department_detail", args=[org_slug, pk])
    error = None
    if request.method == "POST" and data.get("confirm") == "1":
        try:
            changed = department_set_active(
                actor=request.user, department=department, active=active
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if changed:
                messages.success(
                    request,
                    _("Department %(code)s activated.") % {"code": department.code}
                    if active
                    else _("Department %(code)s deactivated.") % {"code": department.code},
                )
            return redirect(back)
    detail = selectors.department_detail(department)
    return render(
        request,
        "org/structure/department_confirm.html",
        {
            "org": access.organization,
            "nav": "structure",
            "dept": detail,
            "active": active,
            "error": error,
            "parent_inactive": active and department.parent_id and not department.parent.is_active,
            "back": back,
        },
    )


@login_required
def person_list(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    query = request.GET.get("q", "")[:100]
    try:
        department_id = int(request.GET.get("department") or 0) or None
    except ValueError:
        department_id = None
    show_inactive = _flag(request.GET.get("inactive")) is not False
    page = selectors.people(
        access.organization,
        query=query,
        department_id=department_id,
        include_inactive=show_inactive,
        page=request.GET.get("page"),
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "org/structure/person_list.html",
        {
            "org": access.organization,
            "nav": "structure",
            "page": page,
            "query": query,
            "department_id": department_id,
            "show_inactive": show_inactive,
            "departments": selectors.department_choices(access.organization),
            "querystring": params.urlencode(),
            "can_manage": access.can(Capability.MANAGE_STRUCTURE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_set_active_view(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_STRUCTURE)
    person = get_object_or_404(
        Person.objects.select_related("department"), organization=access.organization, pk=pk
    )
    data = request.POST if request.method == "POST" else request.GET
    active = _flag(data.get("active"))
    if active is None:
        active = not person.is_active
    back = _safe_next(request, reverse("org:person_list", args=[org_slug]))
    error = None
    if request.method == "POST" and data.get("confirm") == "1":
        try:
            changed = person_set_active(actor=request.user, person=person, active=active)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if changed:
                messages.success(
                    request,
                    _("%(name)s activated.") % {"name": person.full_name}
                    if active
                    else _("%(name)s deactivated.") % {"name": person.full_name},
                )
            return redirect(back)
    return render(
        request,
        "org/structure/person_confirm.html",
        {
            "org": access.organization,
            "nav": "structure",
            "person": person,
            "active": active,
            "error": error,
            "back": back,
            "headed": list(person.headed_departments.values_list("code", flat=True))
            if not active
            else [],
        },
    )
