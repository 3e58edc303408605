"""Read side of results: a cycle's responses as scoring arrays, and stored snapshots as
plain data for pages.

``scoring_input`` is the only place that reads raw answers for scoring. It reads submitted
responses only ("did not interact" and unscored answers drop out) and codes rater keys by
position, so nothing downstream ever holds a key. Departments are coded from the cycle's
structure frozen when it opened (``Cycle.structure``), so every version of a cycle's results
uses the same codes, whatever was created or reorganised since.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.db.models.fields.json import KT
from django.http import Http404

from innerclient.core.models import Organization, Role
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


def _raw(cycle: Cycle) -> RawCycle:
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
        ).values_list(
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


def _volume(cycle: Cycle, departments: list[int]) -> np.ndarray:
    """The interaction map's volumes as frozen with the cycle (today's map for a cycle that
    opened before structures were frozen)."""
    code = {pk: i for i, pk in enumerate(departments)}
    matrix = np.zeros((len(departments), len(departments)))
    links = (cycle.structure or {}).get("volume")
    if links is None:
        links = InteractionLink.objects.filter(organization_id=cycle.organization_id).values_list(
            "provider_id", "client_id", "volume"
        )
    for provider, client, volume in links:
        if provider in code and client in code and volume:
            matrix[code[provider], code[client]] = volume
    return matrix


def _answers(
    raw: RawCycle,
    departments: list[int],
    volume: np.ndarray,
    exclusions: Sequence[tuple[int, int]] = (),
) -> CycleAnswers:
    lookup = np.array(departments, dtype=np.int64)
    code = {pk: i for i, pk in enumerate(departments)}
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
        k=raw.cycle.anonymity_threshold,
        excluded=[(code[p], code[c]) for p, c in exclusions if p in code and c in code],
    )


def cycle_departments(cycle: Cycle) -> list[int]:
    """The department ids a cycle was opened with (all of the organization's departments for
    a cycle that never opened, or opened before structures were frozen)."""
    frozen = (cycle.structure or {}).get("departments")
    if frozen is not None:
        return list(frozen)
    return list(
        Department.objects.filter(organization_id=cycle.organization_id).values_list(
            "id", flat=True
        )
    )


def current_exclusions(cycle: Cycle) -> list[tuple[int, int]]:
    """The client views excluded by upheld appeals in the cycle's current results version."""
    snapshot = snapshot_current(cycle)
    if snapshot is None:
        return []
    return [(int(p), int(c)) for p, c in snapshot.payload.get("exclusions", [])]


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

    Codes: the departments frozen with the cycle, plus any other department an answer of
    the cycle or its history names (sorted by id), so codes mean the same in the current
    cycle, its history and every version. ``exclusions`` are whole client views,
    (provider id, client department id), an upheld appeal excluded from the current cycle;
    each earlier cycle is scored with its own threshold and its current exclusions.
    """
    earlier = earlier_cycles(cycle)[-history_limit:]
    raws = [_raw(c) for c in earlier]
    current = _raw(cycle)
    named = {int(v) for raw in (current, *raws) for v in (*raw.provider, *raw.client)}
    departments = sorted(set(cycle_departments(cycle)) | named)
    return ScoringInput(
        answers=_answers(current, departments, _volume(cycle, departments), exclusions),
        history=[
            _answers(raw, departments, _volume(raw.cycle, departments), current_exclusions(c))
            for raw, c in zip(raws, earlier, strict=True)
        ],
        history_cycles=earlier,
        departments=departments,
        criteria=current.criteria,
    )


def snapshot_current(cycle: Cycle) -> ResultSnapshot | None:
    return ResultSnapshot.objects.filter(cycle=cycle).order_by("-version").first()


# Methodology versions from this one on compute every figure from publication units
# (``scoring.units``), so any number of them can be read side by side.
UNIT_BASED_METHODOLOGY = 2


def methodology_version(payload: dict) -> int:
    return int(payload.get("methodology", {}).get("version", 1))


def version_readable(*, role: str, methodology: int, is_latest: bool) -> bool:
    """Whether a reader in ``role`` may read a results version.

    Versions computed from publication units are safe against each other by construction.
    A version computed before them (methodology 1) is safe only alone: once a later version
    exists, it is withdrawn from everyone but the coordinators, who keep the record for the
    appeals committee (docs/anonymity.md, "Versions").
    """
    return role == Role.COORDINATOR or is_latest or methodology >= UNIT_BASED_METHODOLOGY


def snapshot_readable(snapshot: ResultSnapshot, role: str) -> bool:
    latest = snapshot_current(snapshot.cycle)
    return version_readable(
        role=role,
        methodology=methodology_version(snapshot.payload),
        is_latest=latest is not None and latest.pk == snapshot.pk,
    )


def snapshot_for_reader(
    cycle: Cycle, role: str, version: str | int | None
) -> ResultSnapshot | None:
    """The requested version, or the latest when ``version`` is empty (None when the cycle
    has none), if ``role`` may read it; a version that does not exist or is withdrawn from
    ``role`` is Http404, so that the two cannot be told apart."""
    snapshots = ResultSnapshot.objects.filter(cycle=cycle)
    if version in (None, ""):
        return snapshots.order_by("-version").first()
    if not str(version).isdigit():
        raise Http404
    snapshot = snapshots.filter(version=int(version)).first()
    if snapshot is None:
        raise Http404
    latest = snapshots.order_by("-version").values_list("version", flat=True).first()
    readable = version_readable(
        role=role,
        methodology=methodology_version(snapshot.payload),
        is_latest=snapshot.version == latest,
    )
    if not readable:
        raise Http404
    return snapshot


def snapshot_versions(cycle: Cycle, role: str = Role.COORDINATOR) -> list[dict]:
    """The cycle's versions that ``role`` may read, newest first."""
    rows = list(
        ResultSnapshot.objects.filter(cycle=cycle)
        .annotate(stored_methodology=KT("payload__methodology__version"))
        .order_by("-version")
        .values("id", "version", "reason", "created_at", "created_by__email", "stored_methodology")
    )
    readable = []
    for position, row in enumerate(rows):
        row["methodology"] = int(row.pop("stored_methodology") or 1)
        if version_readable(role=role, methodology=row["methodology"], is_latest=position == 0):
            readable.append(row)
    return readable


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
