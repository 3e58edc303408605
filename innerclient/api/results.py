"""Published results for the API: read from the stored snapshot only.

A snapshot already holds only what the privacy rules let through (hidden figures are null,
docs/anonymity.md). This module reads nothing else of the cycle's data — no responses, no
answers, no comments — and nulls every figure of a department that is not shown, so a later
change of the snapshot's layout cannot leak more through the API than the pages show.
"""

from innerclient.api.errors import ApiError
from innerclient.org.models import Department
from innerclient.results.models import ResultSnapshot
from innerclient.surveys.models import Criterion, Cycle
from innerclient.surveys.selectors import cycle_results_visible


def _at(values, code: int):
    if not values or code >= len(values):
        return None
    return values[code]


def published_results(cycle: Cycle) -> dict:
    if not cycle_results_visible(cycle):
        raise ApiError(404, "not_published", "The results of this cycle are not published.")
    snapshot = ResultSnapshot.objects.filter(cycle=cycle).order_by("-version").first()
    if snapshot is None:
        raise ApiError(404, "not_published", "The results of this cycle are not published.")
    payload = snapshot.payload
    method = payload.get("methodology") or {}
    scale = method.get("scale") or [None, None]
    criteria = {
        c.pk: c
        for c in Criterion.objects.filter(pk__in=snapshot.criteria).only(
            "id", "code", "name_ru", "name_en"
        )
    }
    departments = {
        d.pk: d
        for d in Department.objects.filter(
            organization_id=cycle.organization_id, pk__in=snapshot.departments
        ).only("id", "code", "name_ru", "name_en")
    }
    change = payload.get("change") or {}
    rows = []
    for provider in payload.get("providers", []):
        code = provider["code"]
        department = departments.get(_at(snapshot.departments, code))
        if not provider.get("rated") or department is None:
            continue
        shown = bool(provider.get("shown"))

        def figure(value, shown=shown):
            return value if shown else None

        rows.append(
            {
                "department_id": department.pk,
                "code": department.code,
                "name_ru": department.name_ru,
                "name_en": department.name_en,
                "shown": shown,
                "index": figure(provider.get("index")),
                "ci_low": figure(provider.get("ci_low")),
                "ci_high": figure(provider.get("ci_high")),
                "adjusted_index": figure(provider.get("adjusted")),
                "rank": figure(provider.get("rank") or None),
                "n_raters": figure(provider.get("n_raters")),
                "n_client_departments": figure(provider.get("n_clients")),
                "criteria": [
                    figure(value) for value in provider.get("criteria") or [None] * len(criteria)
                ],
                "self_index": figure(provider.get("self_index")),
                "change": figure(_at(change.get("delta"), code)),
                "change_significant": figure(_at(change.get("significant"), code)),
                "trend_slope": figure(_at(change.get("trend_slope"), code)),
            }
        )
    rows.sort(key=lambda r: (not r["shown"], r["rank"] or 10**9, r["code"]))
    return {
        "cycle_id": cycle.pk,
        "version": snapshot.version,
        "computed_at": snapshot.created_at,
        "methodology": {
            "aggregation": str(method.get("mode", "")),
            "official_index": str(method.get("official", "")),
            "anonymity_threshold": int(method.get("k") or cycle.anonymity_threshold),
            "scale_min": scale[0] if scale[0] is not None else 1,
            "scale_max": scale[1] if scale[1] is not None else 5,
            "problem_threshold": method.get("low_threshold"),
        },
        "criteria": [
            {
                "id": pk,
                "code": criteria[pk].code if pk in criteria else "",
                "name_ru": criteria[pk].name_ru if pk in criteria else "",
                "name_en": criteria[pk].name_en if pk in criteria else "",
            }
            for pk in snapshot.criteria
        ],
        "departments": rows,
        "departments_hidden": int(payload.get("hidden_rated", 0)),
    }
