"""Results pages: a published cycle's results, the per-department "how was this computed"
drill-down, recomputation into a new version, and the methodology page.

Every figure comes from a stored snapshot, which holds only what the privacy rules let
through; nothing here reads raw answers. Before publication the pages show no figure.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from innerclient.core.permissions import Capability, org_access
from innerclient.results import selectors, services
from innerclient.results.models import MethodologySettings, ResultSnapshot
from innerclient.surveys.models import Cycle
from innerclient.surveys.selectors import cycle_results_visible

PROBLEMS_SHOWN = 30


def _cycle(access, pk: int) -> Cycle:
    return get_object_or_404(
        Cycle.objects.select_related("organization", "criteria_set"),
        organization=access.organization,
        pk=pk,
    )


def _snapshot(request, cycle: Cycle, role: str) -> ResultSnapshot | None:
    return selectors.snapshot_for_reader(cycle, role, request.GET.get("version", ""))


def _problem_rows(snapshot: ResultSnapshot, names: dict[int, str], criteria: list[str]):
    rows = []
    for problem in snapshot.payload["problems"][:PROBLEMS_SHOWN]:
        criterion = problem["criterion"]
        client = problem["client"]
        rows.append(
            {
                **problem,
                "department_name": names.get(problem["department"], "?"),
                "department_id": snapshot.departments[problem["department"]],
                "criterion_name": criteria[criterion] if criterion is not None else "",
                "client_name": names.get(client, "?") if client is not None else "",
            }
        )
    return rows


@login_required
def cycle_results(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.VIEW_RESULTS)
    cycle = _cycle(access, pk)
    context = {"access": access, "org": access.organization, "nav": "results", "cycle": cycle}
    if not cycle_results_visible(cycle):
        return render(request, "results/not_published.html", context)
    snapshot = _snapshot(request, cycle, access.role)
    if snapshot is None:
        return render(request, "results/not_published.html", context)
    names = selectors.department_names(snapshot)
    criteria = selectors.criterion_names(snapshot)
    payload = snapshot.payload
    integrity = payload["integrity"]
    pairs = [
        {**pair, "a_name": names.get(pair["a"], "?"), "b_name": names.get(pair["b"], "?")}
        for pair in integrity["inflation_pairs"]
    ]
    srm = payload.get("srm")
    # How each client department rates: its leniency in the adjustment, estimated from its
    # views shown on their own, each resting on at least k of its raters.
    leniency = (payload.get("adjustment") or {}).get("leniency") or []
    actors = sorted(
        (
            {"name": names.get(code, "?"), "effect": value}
            for code, value in enumerate(leniency)
            if value is not None
        ),
        key=lambda row: -abs(row["effect"]),
    )[:5]
    context.update(
        {
            "snapshot": snapshot,
            "is_latest": snapshot.version == selectors.snapshot_current(cycle).version,
            "versions": selectors.snapshot_versions(cycle, access.role),
            "rows": selectors.snapshot_rows(snapshot),
            "methodology": payload["methodology"],
            "reliability": payload["reliability"],
            "integrity": integrity,
            "pairs": pairs,
            "actors": actors,
            "srm": srm,
            "problems": _problem_rows(snapshot, names, criteria),
            "problem_count": len(payload["problems"]),
            "history": payload.get("history_cycles", []),
            "can_recompute": access.can(Capability.MANAGE_ORGANIZATION),
        }
    )
    return render(request, "results/cycle.html", context)


@login_required
def department_result(request, org_slug, pk, department_pk):
    """How one department's figures were computed: the inputs, n, and the formula filled in."""
    access = org_access(request, org_slug, Capability.VIEW_RESULTS)
    cycle = _cycle(access, pk)
    if not cycle_results_visible(cycle):
        raise Http404
    snapshot = _snapshot(request, cycle, access.role)
    if snapshot is None or department_pk not in snapshot.departments:
        raise Http404
    code = snapshot.departments.index(department_pk)
    provider = snapshot.payload["providers"][code]
    if not provider["rated"]:
        raise Http404
    names = selectors.department_names(snapshot)
    criteria = selectors.criterion_names(snapshot)
    weights = selectors.criterion_weights(snapshot)
    cells_by_criterion: dict[int, list[dict]] = {}
    for cell in snapshot.payload["cells"]:
        if cell["provider"] == code:
            cells_by_criterion.setdefault(cell["criterion"], []).append(
                {**cell, "client_name": names.get(cell["client"], "?")}
            )
    criterion_rows = []
    for c, name in enumerate(criteria):
        criterion_rows.append(
            {
                "name": name,
                "weight": weights[c],
                "percent": provider["criteria"][c],
                "n": provider["criteria_n"][c],
                "self": provider["self_criteria"][c] if provider["shown"] else None,
                "cells": sorted(cells_by_criterion.get(c, []), key=lambda x: x["client_name"]),
            }
        )
    terms = [row for row in criterion_rows if row["percent"] is not None]
    weight_sum = sum(row["weight"] for row in terms)
    change = snapshot.payload.get("change") or {}
    context = {
        "access": access,
        "org": access.organization,
        "nav": "results",
        "cycle": cycle,
        "snapshot": snapshot,
        "department_name": names.get(code, "?"),
        "provider": provider,
        "criterion_rows": criterion_rows,
        "terms": terms,
        "weight_sum": weight_sum,
        "weighted_sum": sum(row["weight"] * row["percent"] for row in terms),
        "methodology": snapshot.payload["methodology"],
        "reliability": {
            "alpha": snapshot.payload["reliability"]["department_alpha"][code],
            "cronbach": snapshot.payload["reliability"]["department_cronbach"][code],
        },
        "clients": [
            {"name": names.get(c["client"], "?"), "n_raters": c["n_raters"]}
            for c in provider["clients"]
        ],
        "change": {
            key: (change.get(key) or [None] * (code + 1))[code]
            for key in ("delta", "ci_low", "ci_high", "p", "q", "ordinal_p", "trend_slope")
        }
        if change
        else None,
        "significant": bool((change.get("significant") or [False] * (code + 1))[code]),
        "history": [
            {"name": meta["name"], "index": row[code]}
            for meta, row in zip(
                snapshot.payload.get("history_cycles", []), change.get("history", []), strict=False
            )
        ],
    }
    return render(request, "results/department.html", context)


@login_required
@require_POST
def results_recompute(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    cycle = _cycle(access, pk)
    try:
        snapshot = services.results_compute(
            actor=request.user, cycle=cycle, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        if cycle_results_visible(cycle):
            return redirect("org:cycle_results", access.organization.slug, cycle.pk)
        return redirect("org:cycle_detail", access.organization.slug, cycle.pk)
    messages.success(
        request,
        _("Results computed again as version %(version)d. Earlier versions are kept.")
        % {"version": snapshot.version},
    )
    return redirect("org:cycle_results", access.organization.slug, cycle.pk)


class MethodologyForm(forms.ModelForm):
    class Meta:
        model = MethodologySettings
        fields = ["aggregation", "official_index", "low_threshold", "divergence", "fdr"]
        help_texts = {
            "official_index": gettext_lazy(
                "Both indices are always shown; this one ranks departments and counts for bonuses."
            ),
            "low_threshold": gettext_lazy(
                "A cell below this share of the scale is listed as a problem area."
            ),
            "divergence": gettext_lazy(
                "A client department whose view differs from the others' by this many points "
                "is listed."
            ),
            "fdr": gettext_lazy(
                "Share of false 'significant change' flags tolerated across departments."
            ),
        }


@login_required
def methodology(request, org_slug):
    """The processing methodology in force, generated from the settings (every member may
    read it: it is the Regulation's text); the coordinator edits the numbers here."""
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    current = selectors.methodology_settings(access.organization)
    can_edit = access.can(Capability.MANAGE_ORGANIZATION)
    form = MethodologyForm(instance=current) if can_edit else None
    if request.method == "POST":
        if not can_edit:
            access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
        form = MethodologyForm(request.POST, instance=current)
        if form.is_valid():
            services.methodology_update(
                actor=request.user, organization=access.organization, values=form.cleaned_data
            )
            messages.success(
                request,
                _(
                    "Methodology saved. It applies to results computed from now on; stored "
                    "results keep the settings they were computed with."
                ),
            )
            return redirect("org:methodology", access.organization.slug)
    context = {
        **selectors.methodology_context(access.organization),
        "access": access,
        "nav": "regulation",
        "form": form,
    }
    return render(request, "results/methodology.html", context)
