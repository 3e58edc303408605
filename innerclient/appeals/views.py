"""Appeals pages (list with the settings, filing, an appeal with the committee's decision)
and the bonus page with its payroll export.

Who sees what: the coordinators and the committee see every appeal; a department head sees
and files his own department's; the coordinator may file on a department's behalf. Figures
come from stored result snapshots only.
"""

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from innerclient.appeals import selectors, services
from innerclient.appeals.forms import (
    AppealForm,
    AppealSettingsForm,
    BonusSchemeForm,
    DecisionForm,
)
from innerclient.appeals.models import Appeal
from innerclient.core.models import Membership, Role
from innerclient.core.permissions import Capability, OrgAccess, org_access
from innerclient.core.xlsx import autosize_columns, safe_row
from innerclient.org.models import Department
from innerclient.results.selectors import methodology_version, snapshot_current, version_readable
from innerclient.surveys.models import Cycle

# --- helpers ---------------------------------------------------------------------------------


def _context(access: OrgAccess, **extra) -> dict:
    return {"access": access, "org": access.organization, "nav": "appeals", **extra}


def _messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def _published_cycle(access: OrgAccess, pk) -> Cycle:
    if not str(pk or "").isdigit():
        raise ValueError
    return get_object_or_404(
        Cycle, organization=access.organization, status=Cycle.Status.PUBLISHED, pk=int(pk)
    )


# --- appeals list and settings ---------------------------------------------------------------


@login_required
def appeal_list(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    settings = selectors.appeal_settings(access.organization)
    membership = access.membership
    sees_all = selectors.sees_all_appeals(membership, settings)
    is_head = membership.role == Role.HEAD and membership.department_id is not None
    if not (sees_all or is_head):
        raise PermissionDenied
    can_edit = access.can(Capability.MANAGE_ORGANIZATION)
    members = list(
        Membership.objects.filter(organization=access.organization).select_related("user")
    )
    form = None
    if can_edit:
        form = AppealSettingsForm(
            initial={
                "window_days": settings.window_days,
                "committee": sorted(selectors.committee_ids(settings)),
            },
            members=members,
        )
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = AppealSettingsForm(request.POST, members=members)
        if form.is_valid():
            try:
                services.appeal_settings_update(
                    actor=request.user,
                    organization=access.organization,
                    window_days=form.cleaned_data["window_days"],
                    committee=form.cleaned_data["committee"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Appeal settings saved."))
                return redirect("org:appeal_list", access.organization.slug)
    appeals = list(selectors.appeals_visible_to(membership, settings))
    cycles = selectors.published_cycles(access.organization)
    now = timezone.now()
    windows = [
        {
            "cycle": cycle,
            "last_day": selectors.appeal_last_day(cycle, settings),
            "open": selectors.appeal_window_open(cycle, settings, now),
        }
        for cycle in cycles[:6]
    ]
    last_days = {w["cycle"].pk: w["last_day"] for w in windows}
    for appeal in appeals:
        appeal.last_day = last_days.get(appeal.cycle_id) or selectors.appeal_last_day(
            appeal.cycle, settings
        )
    committee = [m for m in members if m.user_id in selectors.committee_ids(settings)]
    context = _context(
        access,
        appeals=appeals,
        open_count=sum(1 for a in appeals if a.is_open),
        windows=windows,
        settings=settings,
        committee=committee,
        form=form,
        sees_all=sees_all,
        can_file=membership.role in (Role.COORDINATOR, Role.HEAD) and (sees_all or is_head),
        own_department=membership.department if is_head else None,
    )
    return render(request, "appeals/list.html", context)


# --- filing ----------------------------------------------------------------------------------


def _filing_department(request, access: OrgAccess) -> Department | None:
    """The department an appeal is filed for: a head's own; the coordinator's choice."""
    membership = access.membership
    wanted = request.GET.get("department", "")
    if membership.role == Role.HEAD:
        if membership.department is None:
            raise PermissionDenied
        if wanted and wanted != str(membership.department_id):
            raise PermissionDenied
        return membership.department
    if membership.role != Role.COORDINATOR:
        raise PermissionDenied
    if not wanted:
        return None
    if not wanted.isdigit():
        return None
    return get_object_or_404(Department, organization=access.organization, pk=int(wanted))


@login_required
def appeal_create(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    department = _filing_department(request, access)
    settings = selectors.appeal_settings(access.organization)
    cycles = selectors.published_cycles(access.organization)
    cycle = None
    if request.GET.get("cycle"):
        try:
            cycle = _published_cycle(access, request.GET["cycle"])
        except ValueError:
            cycle = None
    now = timezone.now()
    context = _context(
        access,
        settings=settings,
        department=department,
        cycle=cycle,
        cycles=[
            {
                "cycle": c,
                "last_day": selectors.appeal_last_day(c, settings),
                "open": selectors.appeal_window_open(c, settings, now),
            }
            for c in cycles
        ],
        departments=(
            Department.objects.filter(organization=access.organization, is_active=True)
            if access.membership.role == Role.COORDINATOR
            else []
        ),
        is_head=access.membership.role == Role.HEAD,
    )
    if cycle is None or department is None:
        return render(request, "appeals/choose.html", context)
    snapshot = snapshot_current(cycle)
    views = selectors.shown_client_views(snapshot, department)
    comments = selectors.shown_comments(cycle, snapshot, department)
    window_open = selectors.appeal_window_open(cycle, settings, now)
    open_appeals = Appeal.objects.filter(cycle=cycle, department=department, status="filed")
    taken_views = {a.client_department_id for a in open_appeals if a.client_department_id}
    taken_comments = {
        f"{a.comment_kind}:{a.comment_id}" for a in open_appeals if a.comment_id is not None
    }
    form = AppealForm(views=views, comments=comments)
    if request.method == "POST":
        form = AppealForm(request.POST, views=views, comments=comments)
        if form.is_valid():
            parts = form.target_parts()
            client = None
            if parts["kind"] == Appeal.Kind.CLIENT_VIEW:
                client = Department.objects.filter(
                    organization=access.organization, pk=parts["client_department_id"]
                ).first()
            try:
                appeal = services.appeal_file(
                    actor=request.user,
                    cycle=cycle,
                    department=department,
                    kind=parts["kind"],
                    text=form.cleaned_data["text"],
                    client_department=client,
                    comment_kind=parts.get("comment_kind", ""),
                    comment_id=parts.get("comment_id"),
                )
            except ValidationError as error:
                form.add_error(None, _messages_of(error))
            else:
                messages.success(
                    request,
                    _("Appeal #%(number)d is filed. The committee has been told.")
                    % {"number": appeal.pk},
                )
                return redirect("org:appeal_detail", access.organization.slug, appeal.pk)
    context.update(
        snapshot=snapshot,
        figure=selectors.department_figure(snapshot, department.pk),
        views=views,
        comments=comments,
        comments_shown=bool(
            snapshot
            and (selectors.department_figure(snapshot, department.pk) or {}).get("shown")
            and _comments_shown(snapshot, department.pk)
        ),
        taken_views=taken_views,
        taken_comments=taken_comments,
        window_open=window_open,
        last_day=selectors.appeal_last_day(cycle, settings),
        form=form,
    )
    return render(request, "appeals/create.html", context)


def _comments_shown(snapshot, department_id: int) -> bool:
    if department_id not in snapshot.departments:
        return False
    provider = snapshot.payload["providers"][snapshot.departments.index(department_id)]
    return bool(provider.get("comments_shown"))


# --- one appeal ------------------------------------------------------------------------------


@login_required
def appeal_detail(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    appeal = get_object_or_404(
        Appeal.objects.select_related(
            "cycle", "department", "client_department", "filed_by", "decided_by"
        ),
        organization=access.organization,
        pk=pk,
    )
    settings = selectors.appeal_settings(access.organization)
    if not selectors.may_see_appeal(access.membership, settings, appeal):
        raise PermissionDenied
    conflict = selectors.heads_own_department(access.membership, appeal.department_id)
    may_decide = (
        appeal.is_open and selectors.can_decide(access.membership, settings) and not conflict
    )
    form = DecisionForm() if may_decide else None
    confirming = False
    if request.method == "POST":
        if not may_decide:
            if appeal.is_open:
                raise PermissionDenied
            messages.error(request, _("This appeal has already been decided."))
            return redirect("org:appeal_detail", access.organization.slug, appeal.pk)
        form = DecisionForm(request.POST)
        if form.is_valid():
            if request.POST.get("confirm") == "1":
                try:
                    services.appeal_decide(
                        actor=request.user,
                        appeal=appeal,
                        upheld=form.upheld,
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as error:
                    messages.error(request, _messages_of(error))
                else:
                    messages.success(
                        request,
                        _("Appeal upheld. The appellant has been told.")
                        if form.upheld
                        else _("Appeal rejected. The appellant has been told."),
                    )
                return redirect("org:appeal_detail", access.organization.slug, appeal.pk)
            confirming = True
    current = snapshot_current(appeal.cycle)
    before, after = (
        _readable(selectors.snapshot_version(appeal.cycle, version), access.role, current)
        for version in (appeal.version_before, appeal.version_after)
    )
    context = _context(
        access,
        appeal=appeal,
        cycle=appeal.cycle,
        comment=selectors.comment_target(appeal),
        last_day=selectors.appeal_last_day(appeal.cycle, settings),
        form=form,
        confirming=confirming,
        conflict=conflict and appeal.is_open,
        committee_decides=bool(selectors.committee_ids(settings)),
        figure_before=selectors.department_figure(before, appeal.department_id),
        figure_after=selectors.department_figure(after, appeal.department_id),
        current_version=current.version if current else None,
        can_view_results=access.can(Capability.VIEW_RESULTS),
    )
    return render(request, "appeals/detail.html", context)


def _readable(snapshot, role: str, current):
    """``snapshot`` unless it is a version withdrawn from ``role`` (results.selectors)."""
    if snapshot is None:
        return None
    readable = version_readable(
        role=role,
        methodology=methodology_version(snapshot.payload),
        is_latest=current is not None and current.pk == snapshot.pk,
    )
    return snapshot if readable else None


# --- bonus -----------------------------------------------------------------------------------


def _bonus_cycle(request, access: OrgAccess) -> Cycle | None:
    wanted = request.GET.get("cycle", "")
    if wanted:
        try:
            return _published_cycle(access, wanted)
        except ValueError:
            pass
    cycles = selectors.published_cycles(access.organization)
    return cycles[0] if cycles else None


def _reason_label(reason: str) -> str:
    labels = {
        "hidden": _("No figure (not rated, or by fewer raters than the anonymity threshold)"),
        "few_raters": _("Fewer raters than the minimum"),
        "wide_interval": _("Confidence interval too wide"),
        "no_previous": _("No comparable figure for the previous cycle"),
    }
    return labels.get(reason, "")


@login_required
def bonus(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_RESULTS)
    scheme = selectors.bonus_scheme(access.organization)
    can_edit = access.can(Capability.MANAGE_ORGANIZATION)
    form = BonusSchemeForm(initial=BonusSchemeForm.initial_for(scheme)) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = BonusSchemeForm(request.POST)
        if form.is_valid():
            values = {
                name: form.cleaned_data[name]
                for name in ("mode", "bands", "slope", "cap", "min_raters", "max_ci_half_width")
            }
            try:
                services.bonus_scheme_update(
                    actor=request.user, organization=access.organization, values=values
                )
            except ValidationError as error:
                form.add_error(None, _messages_of(error))
            else:
                messages.success(request, _("Bonus scheme saved."))
                return redirect("org:bonus", access.organization.slug)
    cycle = _bonus_cycle(request, access)
    table = selectors.bonus_table(cycle, scheme) if cycle else None
    rows = []
    if table:
        rows = [{"row": row, "reason": _reason_label(row.outcome.reason)} for row in table.rows]
    context = _context(
        access,
        nav="bonus",
        scheme=scheme,
        bands=selectors.scheme_for(scheme).bands,
        form=form,
        cycle=cycle,
        cycles=selectors.published_cycles(access.organization),
        table=table,
        rows=rows,
        sufficient=sum(1 for r in rows if r["row"].outcome.sufficient),
    )
    return render(request, "appeals/bonus.html", context)


@login_required
def bonus_export(request, org_slug):
    from openpyxl import Workbook

    access = org_access(request, org_slug, Capability.VIEW_RESULTS)
    scheme = selectors.bonus_scheme(access.organization)
    cycle = _bonus_cycle(request, access)
    table = selectors.bonus_table(cycle, scheme) if cycle else None
    if table is None:
        messages.error(request, _("There are no published results to export."))
        return redirect("org:bonus", access.organization.slug)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Bonus multipliers")[:31]
    official = _("adjusted") if table.official == "adjusted" else _("raw")
    sheet.append(
        safe_row(
            [
                _("Department code"),
                _("Department"),
                _("Index used"),
                _("Index"),
                _("Raters"),
                _("CI half-width"),
                _("Multiplier"),
                _("Reason"),
            ]
        )
    )
    insufficient = _("insufficient data")
    for row in table.rows:
        outcome = row.outcome
        sheet.append(
            safe_row(
                [
                    row.code,
                    row.name,
                    official,
                    round(row.index, 1) if row.index is not None else None,
                    row.n_raters,
                    round(row.half_width, 1) if row.half_width is not None else None,
                    outcome.multiplier if outcome.sufficient else insufficient,
                    _reason_label(outcome.reason),
                ]
            )
        )
    autosize_columns(sheet)
    buffer = BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    filename = f"bonus-{access.organization.slug}-{cycle.pk}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
