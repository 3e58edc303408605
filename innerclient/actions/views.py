"""Action plans: the list (filters; HTMX swaps the table), the create form (prefilled from a
problem area of the department card), the edit form, the XLSX export, and the raters' public
"What we changed" page. Every organization view starts from ``actions_access``."""

import io
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from innerclient.actions import selectors, services
from innerclient.actions.access import ActionsAccess, actions_access
from innerclient.actions.forms import ActionEditForm, ActionForm
from innerclient.actions.models import ActionPlan
from innerclient.actions.rater_access import activate_rater_language, rater_from_request
from innerclient.core.xlsx import autosize_columns, safe_row
from innerclient.org.models import Department, Person

DEFAULT_DUE_DAYS = 30
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
OVERDUE_FILL = PatternFill("solid", fgColor="FDECEA")


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# --- the list and the export ------------------------------------------------------------------


def _filters(request, access: ActionsAccess) -> dict:
    status = request.GET.get("status", "")
    valid = {selectors.STATUS_OPEN, selectors.STATUS_OVERDUE, *ActionPlan.Status.values}
    department_id = _int(request.GET.get("department"))
    if access.own_department_id is not None:
        department_id = None  # a head sees his department only; no other choice
    return {
        "department_id": department_id,
        "status": status if status in valid else "",
        "cycle_id": _int(request.GET.get("cycle")),
    }


def _rows(request, access: ActionsAccess):
    filters = _filters(request, access)
    rows = selectors.action_rows(
        access.organization, scope_department_id=access.own_department_id, **filters
    )
    return filters, rows


@login_required
@require_GET
def action_list(request, org_slug):
    access = actions_access(request, org_slug)
    filters, rows = _rows(request, access)
    context = {
        "org": access.organization,
        "nav": "actions",
        "rows": rows,
        "filters": filters,
        "choices": selectors.filter_choices(
            access.organization, scope_department_id=access.own_department_id
        ),
        "can_create": access.can_create,
        "editable": {row.id for row in rows if access.can_edit(row.department_id)},
        "overdue_count": sum(row.overdue for row in rows),
        "query": request.GET.urlencode(),
        "own_department": access.own_department_id,
    }
    if request.htmx:
        return render(request, "actions/_table.html", context)
    return render(request, "actions/list.html", context)


@login_required
@require_GET
def action_export(request, org_slug):
    access = actions_access(request, org_slug)
    filters, rows = _rows(request, access)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Actions")[:31]
    sheet.append(
        safe_row(
            [
                _("Department code"),
                _("Department"),
                _("Action"),
                _("Description"),
                _("Problem area"),
                _("Cycle"),
                _("Owner"),
                _("Due date"),
                _("Status"),
                _("Overdue"),
                _("Result"),
                _("Updated"),
            ]
        )
    )
    for row in rows:
        sheet.append(
            safe_row(
                [
                    row.department_code,
                    row.department_name,
                    row.title,
                    row.description,
                    row.problem,
                    row.cycle_name,
                    row.owner_name,
                    row.due_date,
                    row.status_label,
                    _("yes") if row.overdue else "",
                    row.result_note,
                    timezone.localtime(row.updated_at).replace(tzinfo=None),
                ]
            )
        )
        if row.overdue:
            for cell in sheet[sheet.max_row]:
                cell.fill = OVERDUE_FILL
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for cell in sheet["H"][1:]:
        cell.number_format = "yyyy-mm-dd"
    for cell in sheet["L"][1:]:
        cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    autosize_columns(sheet)

    note = workbook.create_sheet(_("About")[:31])
    choices = selectors.filter_choices(
        access.organization, scope_department_id=access.own_department_id
    )
    department = dict(choices["departments"]).get(filters["department_id"], _("all"))
    if access.own_department_id is not None:
        department = dict(choices["departments"]).get(access.own_department_id, "")
    status = dict(choices["statuses"]).get(filters["status"], _("all"))
    cycle = dict(choices["cycles"]).get(filters["cycle_id"], _("all"))
    for label, value in (
        (_("Organization"), access.organization.name),
        (_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        (_("Department"), department),
        (_("Status"), status),
        (_("Cycle"), cycle),
        (_("Actions"), len(rows)),
    ):
        note.append(safe_row([str(label), value if isinstance(value, int) else str(value)]))
    autosize_columns(note)

    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="actions-{access.organization.slug}-{stamp}.xlsx"'
    )
    return response


# --- the form -----------------------------------------------------------------------------------


def _departments(access: ActionsAccess, keep: Department | None = None) -> list[Department]:
    found = Department.objects.filter(organization=access.organization)
    if access.own_department_id is not None:
        found = found.filter(pk=access.own_department_id)
    else:
        found = found.filter(is_active=True)
    departments = list(found.order_by("code"))
    if keep is not None and keep not in departments:
        departments.append(keep)
    return departments


def _default_owner(organization, department_id: int | None) -> int | None:
    if department_id is None:
        return None
    department = Department.objects.filter(organization=organization, pk=department_id).first()
    if department is not None and department.head_id and department.head.is_active:
        return department.head_id
    head = (
        Person.objects.filter(
            organization=organization, department_id=department_id, is_active=True, is_head=True
        )
        .values_list("pk", flat=True)
        .first()
    )
    return head


def _next_url(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _owner_partial(request, access: ActionsAccess, form_class, keep_owner=None):
    """The owner field for the department chosen in the form (HTMX swaps it in)."""
    department_id = _int(request.GET.get("department"))
    if department_id is not None and not access.can_edit(department_id):
        raise PermissionDenied
    form = form_class(
        initial={"owner": _default_owner(access.organization, department_id)},
        organization=access.organization,
        departments=_departments(access),
        owner_department_id=department_id,
        keep_owner=keep_owner,
    )
    return render(request, "actions/_owner_field.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def action_create(request, org_slug):
    access = actions_access(request, org_slug)
    if not access.can_create:
        raise PermissionDenied
    organization = access.organization
    if request.method == "GET" and request.htmx and request.GET.get("owner_for"):
        return _owner_partial(request, access, ActionForm)
    list_url = reverse("org:action_list", args=[org_slug])
    if request.method == "POST":
        department_id = _int(request.POST.get("department"))
        if department_id is not None and not access.can_edit(department_id):
            raise PermissionDenied
        form = ActionForm(
            request.POST,
            organization=organization,
            departments=_departments(access),
            owner_department_id=department_id,
        )
        if form.is_valid():
            try:
                services.action_create(
                    actor=request.user, organization=organization, **form.service_values()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The action is recorded."))
                return redirect(_next_url(request, list_url))
        prefill = selectors.prefill_from_params(organization, request.POST)
    else:
        prefill = selectors.prefill_from_params(organization, request.GET)
        if prefill.department is not None and not access.can_edit(prefill.department.pk):
            raise PermissionDenied
        department_id = prefill.department.pk if prefill.department else access.own_department_id
        form = ActionForm(
            initial={
                "department": department_id,
                "title": prefill.title,
                "owner": _default_owner(organization, department_id),
                "due_date": timezone.localdate() + timedelta(days=DEFAULT_DUE_DAYS),
                "cycle": prefill.cycle.pk if prefill.cycle else None,
                "kind": prefill.problem_kind,
                "criterion": prefill.criterion.pk if prefill.criterion else None,
                "client": prefill.client_department.pk if prefill.client_department else None,
            },
            organization=organization,
            departments=_departments(access),
            owner_department_id=department_id,
        )
    return render(
        request,
        "actions/form.html",
        {
            "org": organization,
            "nav": "actions",
            "form": form,
            "prefill": prefill,
            "next": _next_url(request, ""),
            "action": None,
            "can_edit": True,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request, org_slug, pk):
    access = actions_access(request, org_slug)
    organization = access.organization
    action = get_object_or_404(
        ActionPlan.objects.select_related(
            "department", "owner", "cycle", "criterion", "client_department", "created_by"
        ),
        organization=organization,
        pk=pk,
    )
    if not access.can_see(action.department_id):
        raise PermissionDenied
    can_edit = access.can_edit(action.department_id)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    if can_edit and request.method == "GET" and request.htmx and request.GET.get("owner_for"):
        return _owner_partial(request, access, ActionEditForm, keep_owner=action.owner)
    departments = _departments(access, keep=action.department)
    list_url = reverse("org:action_list", args=[org_slug])
    if request.method == "POST":
        department_id = _int(request.POST.get("department"))
        if department_id is not None and not access.can_edit(department_id):
            raise PermissionDenied
        form = ActionEditForm(
            request.POST,
            organization=organization,
            departments=departments,
            owner_department_id=department_id,
            keep_owner=action.owner,
        )
        if form.is_valid():
            try:
                services.action_update(
                    actor=request.user,
                    action=action,
                    status=form.cleaned_data["status"],
                    **form.service_values(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The action is saved."))
                return redirect(_next_url(request, list_url))
    else:
        form = ActionEditForm(
            initial={
                "department": action.department_id,
                "title": action.title,
                "description": action.description,
                "owner": action.owner_id,
                "due_date": action.due_date,
                "cycle": action.cycle_id,
                "kind": action.problem_kind,
                "criterion": action.criterion_id,
                "client": action.client_department_id,
                "status": action.status,
                "result_note": action.result_note,
            },
            organization=organization,
            departments=departments,
            owner_department_id=action.department_id,
            keep_owner=action.owner,
        )
    return render(
        request,
        "actions/form.html",
        {
            "org": organization,
            "nav": "actions",
            "form": form,
            "action": action,
            "problem": selectors.problem_text(
                action.problem_kind,
                action.criterion.name if action.criterion_id else "",
                action.client_department.name if action.client_department_id else "",
            ),
            "overdue": action.is_overdue(timezone.localdate()),
            "next": _next_url(request, ""),
            "can_edit": can_edit,
        },
    )


# --- "What we changed", for raters (public) ----------------------------------------------------


@never_cache
@require_GET
def for_rater(request):
    """What the departments the rater rates did since the previous published cycle.

    Reads the questionnaire's cookie and writes nothing, not even the cookie."""
    rater, reason = rater_from_request(request)
    if rater is None:
        status = 410 if reason == "closed" else 403
        response = render(
            request, "actions/changes_unavailable.html", {"reason": reason}, status=status
        )
    else:
        activate_rater_language(request, rater.language)
        providers = [(step.provider.pk, step.provider.name) for step in rater.steps]
        changes = selectors.changes_for_rater(cycle_id=rater.cycle.pk, providers=providers)
        response = render(
            request,
            "actions/changes.html",
            {"cycle": rater.cycle, **changes},
        )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
