"""The company dashboard, department cards, their XLSX exports and comment moderation.

Every figure comes from a stored snapshot through ``reports.selectors``; before publication
no page shows a figure. Access: the dashboard is for coordinators, analysts and heads (heads
without integrity flags); a card is for coordinators and analysts (any department) and for
the head of that department.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from innerclient.actions.selectors import actions_for_card
from innerclient.core.models import Role
from innerclient.core.permissions import Capability, org_access
from innerclient.org.models import Department
from innerclient.reports import charts, exports, selectors, services
from innerclient.reports.models import CommentModeration
from innerclient.reports.templatetags.reports import heat
from innerclient.results.models import ResultSnapshot
from innerclient.results.selectors import snapshot_for_reader
from innerclient.surveys.models import Cycle
from innerclient.surveys.selectors import cycle_results_visible

PROBLEMS_FIRST = 8  # the rest of a card's problem areas sit behind "show more"
HEAT_NUMBERS_UP_TO = 20  # columns; beyond that a cell is a colour with a tooltip
DASHBOARD_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.HEAD})


def _cycle(access, pk: int) -> Cycle:
    return get_object_or_404(
        Cycle.objects.select_related("organization"), organization=access.organization, pk=pk
    )


def _snapshot(request, cycle: Cycle, role: str) -> ResultSnapshot | None:
    """The requested version (``?version=``) or the latest, if ``role`` may read it
    (``results.selectors.version_readable``); ``None`` before publication."""
    if not cycle_results_visible(cycle):
        return None
    snapshot = snapshot_for_reader(cycle, role, request.GET.get("version", ""))
    if snapshot is not None:
        snapshot.cycle = cycle  # the selectors read the cycle: no second query
    return snapshot


def _dashboard_access(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    if access.role not in DASHBOARD_ROLES:
        raise PermissionDenied
    return access


def _card_access(request, org_slug, pk, department_pk):
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    cycle = _cycle(access, pk)
    department = get_object_or_404(
        Department.objects.only("id"), organization=access.organization, pk=department_pk
    )
    own = access.role == Role.HEAD and access.membership.department_id == department.pk
    if not (access.can(Capability.VIEW_RESULTS) or own):
        raise PermissionDenied
    return access, cycle


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _not_published(request, access, cycle):
    context = {"access": access, "org": access.organization, "nav": "results", "cycle": cycle}
    return render(request, "reports/not_published.html", context)


def action_link(org_slug: str, cycle_pk: int, department_id: int, problem) -> str:
    """The "plan an action" link for a problem area, or "" while that page does not exist."""
    try:
        base = reverse("org:action_create", args=[org_slug])
    except NoReverseMatch:
        return ""
    query = {
        "cycle": cycle_pk,
        "department": department_id,
        "kind": problem.kind,
        "criterion": problem.criterion.id if problem.criterion else "",
        "client": problem.client.id if problem.client else "",
    }
    return f"{base}?{urlencode(query)}"


# --- Dashboard ---------------------------------------------------------------------------------


def _dashboard_filters(request) -> dict:
    return {
        "division": _int(request.GET.get("division")),
        "criterion": _int(request.GET.get("criterion")),
        "sort": request.GET.get("sort") if request.GET.get("sort") == "name" else "index",
    }


def _dashboard_charts(data: selectors.DashboardData) -> dict:
    scope = {
        "division": data.division.id if data.division else None,
        "criterion": data.criterion.id if data.criterion else None,
    }
    label = data.criterion.name if data.criterion else None
    sparklines = charts.cached_many(
        data.snapshot_id,
        "sparkline",
        {str(row.department.id): list(row.trend) for row in data.ranking if len(row.trend) > 1},
        lambda values: charts.sparkline(values),
    )
    return {
        "distribution_svg": charts.cached(
            data.snapshot_id,
            "distribution",
            scope,
            lambda: charts.distribution_chart(
                data.distribution,
                x_label=f"{label}, %" if label else None,
            ),
        ),
        "sparklines": sparklines,
    }


def heat_body(heatmap: selectors.Heatmap, *, own_department_id: int | None = None) -> str:
    """The heatmap's ``<tbody>`` rows as HTML, built here rather than in the template: 60 × 60
    cells through template tags cost more than the rest of the page. Numbers are printed
    only when zoomed in (few columns); otherwise a cell is a colour with a tooltip."""
    with_numbers = len(heatmap.columns) <= HEAT_NUMBERS_UP_TO
    label = _("%(client)s about %(provider)s: %(value).0f (%(n)d raters)")
    parts = []
    for ref, values, raters in zip(heatmap.rows, heatmap.values, heatmap.raters, strict=True):
        own = ' class="rep-own"' if ref.id == own_department_id else ""
        parts.append(
            f'<tr data-testid="heat-{escape(ref.code)}"{own}><th scope="row" '
            f'title="{escape(ref.name)}">{escape(ref.code)} '
            f'<span class="rep-heat-name">{escape(ref.name)}</span></th>'
        )
        for column, value, n in zip(heatmap.columns, values, raters, strict=True):
            if value is None:
                parts.append("<td></td>")
                continue
            title = label % {
                "client": column.name,
                "provider": ref.name,
                "value": value,
                "n": n or 0,
            }
            text = f"{value:.0f}" if with_numbers else ""
            parts.append(f'<td style="{heat(value)}" title="{escape(title)}">{text}</td>')
        parts.append("</tr>")
    return mark_safe("".join(parts))  # every text above is escaped


@login_required
def results_dashboard(request, org_slug, pk):
    access = _dashboard_access(request, org_slug)
    cycle = _cycle(access, pk)
    snapshot = _snapshot(request, cycle, access.role)
    if snapshot is None:
        return _not_published(request, access, cycle)
    filters = _dashboard_filters(request)
    data = selectors.company_dashboard(snapshot, viewer_role=access.role, **filters)
    own = access.membership.department_id if access.role == Role.HEAD else None
    context = {
        "access": access,
        "org": access.organization,
        "nav": "results",
        "cycle": cycle,
        "snapshot": snapshot,
        "data": data,
        "filters": filters,
        "query": urlencode({k: v for k, v in filters.items() if v and v != "index"}),
        "can_view_results": access.can(Capability.VIEW_RESULTS),
        "can_print_company": access.can(Capability.VIEW_RESULTS),
        "own_department_id": own,
        "heat_body": heat_body(data.heatmap, own_department_id=own),
        **_dashboard_charts(data),
    }
    template = "reports/_dashboard_body.html" if request.htmx else "reports/dashboard.html"
    return render(request, template, context)


@login_required
def dashboard_export(request, org_slug, pk):
    access = _dashboard_access(request, org_slug)
    cycle = _cycle(access, pk)
    snapshot = _snapshot(request, cycle, access.role)
    if snapshot is None:
        raise Http404
    data = selectors.company_dashboard(
        snapshot, viewer_role=access.role, **_dashboard_filters(request)
    )
    return exports.xlsx_response(
        exports.dashboard_workbook(data, organization=access.organization),
        f"dashboard-{access.organization.slug}-{cycle.pk}-v{snapshot.version}.xlsx",
    )


# --- Department card -----------------------------------------------------------------------------


def _card_charts(card: selectors.CardData) -> dict:
    if not card.shown:
        return {}
    trend = [(p.cycle_name, p.index, p.ci_low, p.ci_high) for p in card.trend]
    significant = bool(card.change and card.change.significant)
    criteria = [(f.criterion.name, f.percent, f.self_percent) for f in card.criteria]
    return {
        "trend_svg": charts.cached(
            card.snapshot_id,
            "trend",
            {"department": card.department.id, "points": trend, "significant": significant},
            lambda: charts.trend_chart(trend, significant=significant),
        )
        if len(trend) > 1
        else "",
        "criteria_svg": charts.cached(
            card.snapshot_id,
            "criteria",
            {"department": card.department.id, "rows": criteria},
            lambda: charts.criteria_chart(criteria),
        ),
    }


@login_required
def department_card(request, org_slug, pk, department_pk):
    access, cycle = _card_access(request, org_slug, pk, department_pk)
    snapshot = _snapshot(request, cycle, access.role)
    if snapshot is None:
        return _not_published(request, access, cycle)
    try:
        card = selectors.department_card(snapshot, department_pk, viewer_role=access.role)
    except LookupError:
        raise Http404 from None
    slug = access.organization.slug
    # Department-level findings first (they are few), then the low cells, each most severe first.
    ordered = sorted(card.problems, key=lambda problem: problem.kind == "low_cell")
    problems = [
        {"problem": problem, "action_url": action_link(slug, cycle.pk, department_pk, problem)}
        for problem in ordered
    ]
    context = {
        "access": access,
        "org": access.organization,
        "nav": "results",
        "cycle": cycle,
        "snapshot": snapshot,
        "card": card,
        "problems": problems[:PROBLEMS_FIRST],
        "more_problems": problems[PROBLEMS_FIRST:],
        "can_view_results": access.can(Capability.VIEW_RESULTS),
        "can_moderate": access.role == Role.COORDINATOR,
        "is_head": access.role == Role.HEAD,
        "actions": actions_for_card(department_id=department_pk, cycle=cycle, snapshot=snapshot),
        "can_edit_actions": access.role == Role.COORDINATOR
        or (access.role == Role.HEAD and access.membership.department_id == department_pk),
        **_card_charts(card),
    }
    return render(request, "reports/card.html", context)


@login_required
def card_export(request, org_slug, pk, department_pk):
    access, cycle = _card_access(request, org_slug, pk, department_pk)
    snapshot = _snapshot(request, cycle, access.role)
    if snapshot is None:
        raise Http404
    try:
        card = selectors.department_card(snapshot, department_pk, viewer_role=access.role)
    except LookupError:
        raise Http404 from None
    return exports.xlsx_response(
        exports.card_workbook(card, organization=access.organization),
        f"card-{card.department.code}-{cycle.pk}-v{snapshot.version}.xlsx",
    )


@login_required
def my_card(request, org_slug):
    """A head: his department's card in the latest published cycle; coordinators and
    analysts: the latest dashboard; otherwise a page saying what there is to see."""
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    cycle = selectors.latest_published_cycle(access.organization.pk)
    department_id = access.membership.department_id
    if cycle is not None:
        if access.role == Role.HEAD and department_id:
            return redirect("org:department_card", org_slug, cycle.pk, department_id)
        if access.can(Capability.VIEW_RESULTS):
            return redirect("org:results_dashboard", org_slug, cycle.pk)
    context = {
        "access": access,
        "org": access.organization,
        "nav": "results",
        "cycle": cycle,
        "is_head": access.role == Role.HEAD,
    }
    return render(request, "reports/no_card.html", context)


# --- Comment moderation --------------------------------------------------------------------------


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def comment_hide(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    cycle = _cycle(access, pk)
    try:
        services.comment_hide(
            actor=request.user,
            organization=access.organization,
            kind=request.POST.get("kind", ""),
            comment_id=request.POST.get("comment_id", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The comment is hidden. You can restore it."))
    return _back(request, reverse("org:results_dashboard", args=[org_slug, cycle.pk]))


@login_required
@require_POST
def comment_restore(request, org_slug, moderation_pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    moderation = get_object_or_404(
        CommentModeration, organization=access.organization, pk=moderation_pk
    )
    try:
        services.comment_restore(actor=request.user, moderation=moderation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The comment is shown again."))
    return _back(request, reverse("org:results_dashboard", args=[org_slug, moderation.cycle_id]))
