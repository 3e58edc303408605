"""Read side of results: a cycle's responses as scoring arrays, and stored snapshots as
plain data for pages.

``cycle_answers`` is the only place that reads raw answers for scoring. It reads submitted
responses only ("did not interact" and unscored answers drop out) and codes rater keys by
position, so nothing downstream ever holds a key.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models import Q

from innerclient.core.models import Organization
from innerclient.org.models import Department, InteractionLink
from innerclient.results.models import MethodologySettings, ResultSnapshot
from innerclient.scoring.cells import Scale
from innerclient.scoring.pipeline import CycleAnswers, Methodology
from innerclient.surveys.models import Answer, Criterion, Cycle, Response
from innerclient.surveys.selectors import earlier_cycles


def methodology_settings(organization: Organization) -> MethodologySettings:
    """The organization's settings, or the defaults (unsaved) when it never changed them."""
    found = MethodologySettings.objects.filter(organization=organization).first()
    return found or MethodologySettings(organization=organization)


def methodology_context(organization: Organization, cycle: Cycle | None = None) -> dict:
    """What templates/results/_methodology_text.html needs: the settings in force and the
    thresholds of ``cycle`` (or of the organization's latest cycle, or the defaults)."""
    current = methodology_settings(organization)
    if cycle is None:
        cycle = Cycle.objects.filter(organization=organization).order_by("-created_at").first()
    return {
        "org": organization,
        "settings": current,
        "k": cycle.anonymity_threshold if cycle else 5,
        "comment_k": max(cycle.comment_threshold, cycle.anonymity_threshold) if cycle else 7,
        "scale": cycle.bounds if cycle else (1, 5),
        "fdr_percent": round(float(current.fdr) * 100),
        "self_gap": round(100 / 3, 1),
    }


def methodology_for(cycle: Cycle, settings: MethodologySettings) -> Methodology:
    return Methodology(
        mode=settings.aggregation,
        official=settings.official_index,
        k=cycle.anonymity_threshold,
        comment_k=max(cycle.comment_threshold, cycle.anonymity_threshold),
        low_threshold=float(settings.low_threshold),
        divergence=float(settings.divergence),
        fdr=float(settings.fdr),
    )


@dataclass(frozen=True)
class RawCycle:
    cycle: Cycle
    criteria: list[int]  # criterion ids in code order
    weights: list[float]
    provider: np.ndarray
    client: np.ndarray
    rater_key: np.ndarray
    criterion: np.ndarray
    response: np.ndarray
    score: np.ndarray
    seconds: np.ndarray  # per response code


def _raw(cycle: Cycle, exclusions: Sequence[tuple[int, int]] = ()) -> RawCycle:
    criteria = list(
        Criterion.objects.filter(criteria_set_id=cycle.criteria_set_id)
        .order_by("position", "id")
        .values_list("id", "weight")
    )
    criterion_ids = [pk for pk, _weight in criteria]
    rows = list(
        Answer.objects.filter(
            response__cycle=cycle,
            response__status=Response.Status.SUBMITTED,
            response__did_not_interact=False,
            score__isnull=False,
        )
        .exclude(_excluded(exclusions))
        .values_list(
            "response_id",
            "response__provider_id",
            "response__rater_department_id",
            "response__rater_key",
            "criterion_id",
            "score",
            "response__time_spent_seconds",
        )
    )
    if rows:
        response_ids, providers, clients, keys, crits, scores, seconds = zip(*rows, strict=True)
    else:
        response_ids = providers = clients = keys = crits = scores = seconds = ()
    _ids, response_code = np.unique(
        np.array(response_ids, dtype=object).astype(str), return_inverse=True
    )
    criterion_code = {pk: code for code, pk in enumerate(criterion_ids)}
    per_response = np.full(len(_ids), np.nan)
    seconds_arr = np.array(seconds, dtype=float)
    # 0 s means the questionnaire never measured it (e.g. an imported or legacy response).
    per_response[response_code] = np.where(seconds_arr > 0, seconds_arr, np.nan)
    return RawCycle(
        cycle=cycle,
        criteria=criterion_ids,
        weights=[float(weight) for _pk, weight in criteria],
        provider=np.array(providers, dtype=np.int64),
        client=np.array(clients, dtype=np.int64),
        rater_key=np.array(keys, dtype=object).astype(str),
        criterion=np.array([criterion_code[c] for c in crits], dtype=np.int64),
        response=response_code.astype(np.int64),
        score=np.array(scores, dtype=float),
        seconds=per_response,
    )


def _excluded(exclusions: Sequence[tuple[int, int]]) -> Q:
    """Answers of the (provider id, client department id) pairs an upheld appeal excluded."""
    condition = Q(pk__in=[])
    for provider, client in exclusions:
        condition |= Q(response__provider_id=provider, response__rater_department_id=client)
    return condition


def _volume(organization: Organization, departments: list[int]) -> np.ndarray:
    code = {pk: i for i, pk in enumerate(departments)}
    matrix = np.zeros((len(departments), len(departments)))
    links = InteractionLink.objects.filter(organization=organization).values_list(
        "provider_id", "client_id", "volume"
    )
    for provider, client, volume in links:
        if provider in code and client in code and volume:
            matrix[code[provider], code[client]] = volume
    return matrix


def _answers(raw: RawCycle, departments: list[int], volume: np.ndarray) -> CycleAnswers:
    lookup = np.array(departments, dtype=np.int64)
    _keys, rater_code = np.unique(raw.rater_key, return_inverse=True)
    low, high = raw.cycle.bounds
    return CycleAnswers.build(
        scale=Scale(low, high),
        weights=raw.weights or [1.0],
        n_departments=len(departments),
        provider=np.searchsorted(lookup, raw.provider),
        client=np.searchsorted(lookup, raw.client),
        rater=rater_code,
        criterion=raw.criterion,
        response=raw.response,
        score=raw.score,
        response_seconds=raw.seconds,
        volume=volume,
    )


@dataclass(frozen=True)
class ScoringInput:
    answers: CycleAnswers
    history: list[CycleAnswers]
    history_cycles: list[Cycle]
    departments: list[int]  # department ids in code order (sorted)
    criteria: list[int]


def scoring_input(
    cycle: Cycle, *, history_limit: int = 8, exclusions: Sequence[tuple[int, int]] = ()
) -> ScoringInput:
    """The cycle's answers and its earlier published cycles' answers, one department coding.

    Every department of the organization gets a code (sorted by id), so codes mean the same
    in the current cycle and its history. ``exclusions`` drops the answers of whole client
    views, (provider id, client department id), from the current cycle (an upheld appeal).
    """
    earlier = earlier_cycles(cycle)[-history_limit:]
    raws = [_raw(c) for c in earlier]
    current = _raw(cycle, exclusions)
    departments = sorted(
        Department.objects.filter(organization_id=cycle.organization_id).values_list(
            "id", flat=True
        )
    )
    volume = _volume(cycle.organization, departments)
    return ScoringInput(
        answers=_answers(current, departments, volume),
        history=[_answers(raw, departments, volume) for raw in raws],
        history_cycles=earlier,
        departments=departments,
        criteria=current.criteria,
    )


def snapshot_current(cycle: Cycle) -> ResultSnapshot | None:
    return ResultSnapshot.objects.filter(cycle=cycle).order_by("-version").first()


def snapshot_versions(cycle: Cycle) -> list[dict]:
    return list(
        ResultSnapshot.objects.filter(cycle=cycle)
        .order_by("-version")
        .values("id", "version", "reason", "created_at", "created_by__email")
    )


# --- Page data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentRow:
    code: int
    id: int
    name: str
    department_code: str
    shown: bool
    index: float | None
    ci_low: float | None
    ci_high: float | None
    adjusted: float | None
    rank: int
    n_raters: int
    n_clients: int
    self_index: float | None
    self_gap: float | None
    delta: float | None
    delta_significant: bool
    trend_slope: float | None


def _names(ids: list[int]) -> dict[int, tuple[str, str]]:
    found = Department.objects.filter(pk__in=ids)
    return {d.pk: (str(d.name), d.code) for d in found}


def snapshot_rows(snapshot: ResultSnapshot) -> list[DepartmentRow]:
    """One row per department its clients rated, best official rank first; hidden ones last."""
    payload = snapshot.payload
    names = _names(snapshot.departments)
    change = payload.get("change") or {}
    rows = []
    for provider in payload["providers"]:
        code = provider["code"]
        if not provider["rated"]:
            continue
        pk = snapshot.departments[code]
        name, dept_code = names.get(pk, ("?", "?"))
        index, self_index = provider["index"], provider["self_index"]
        rows.append(
            DepartmentRow(
                code=code,
                id=pk,
                name=name,
                department_code=dept_code,
                shown=provider["shown"],
                index=index,
                ci_low=provider["ci_low"],
                ci_high=provider["ci_high"],
                adjusted=provider["adjusted"],
                rank=provider["rank"],
                n_raters=provider["n_raters"],
                n_clients=provider["n_clients"],
                self_index=self_index if provider["shown"] else None,
                self_gap=(self_index - index)
                if provider["shown"] and self_index is not None and index is not None
                else None,
                delta=(change.get("delta") or [None] * (code + 1))[code],
                delta_significant=bool((change.get("significant") or [False] * (code + 1))[code]),
                trend_slope=(change.get("trend_slope") or [None] * (code + 1))[code],
            )
        )
    rows.sort(key=lambda r: (not r.shown, r.rank or 10**6, r.name))
    return rows


def criterion_names(snapshot: ResultSnapshot) -> list[str]:
    by_id = {c.pk: c.name for c in Criterion.objects.filter(pk__in=snapshot.criteria)}
    return [by_id.get(pk, "?") for pk in snapshot.criteria]


def criterion_weights(snapshot: ResultSnapshot) -> list[float]:
    by_id = dict(Criterion.objects.filter(pk__in=snapshot.criteria).values_list("pk", "weight"))
    return [float(by_id.get(pk, 1)) for pk in snapshot.criteria]


def department_names(snapshot: ResultSnapshot) -> dict[int, str]:
    """Code → name for the departments a snapshot mentions."""
    names = _names(snapshot.departments)
    return {code: names.get(pk, ("?", "?"))[0] for code, pk in enumerate(snapshot.departments)}
