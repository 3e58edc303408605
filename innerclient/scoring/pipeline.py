"""A cycle from answer arrays to results: the whole methodology in one call.

``score_cycle`` takes one cycle's answers (one row per scored answer, "did not interact"
already dropped) and, optionally, the earlier cycles' answers in the same department coding,
and computes everything the methodology page describes: cells, the raw and the
leniency-adjusted index, the Social Relations Model, reliability, change and trend,
integrity flags and ranked problem areas, with the privacy rules applied. Figures that may
not be shown are ``nan`` in the arrays and flagged in the ``shown_*`` masks, so a caller
that forgets the masks still shows nothing.

Privacy by construction (``scoring.units``): before anything is computed, the raters of
each provider are split into publication units once per cycle (each shown client view,
and one pooled unit of the other client departments), everything resting on fewer than k
raters is dropped, and pooled answers lose their client department. Every figure below
is computed from that data alone, so no combination of figures, versions, modes or cycles
can isolate fewer than k raters.

Codes: departments 0..D-1 (providers and clients share one coding), criteria 0..C-1 (the
order of ``weights``), raters 0..R-1 (pseudonymous: one code per rater key), responses
0..Q-1 (one rater about one provider). A self-assessment is an answer whose client
department is the provider itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from innerclient.scoring import change as change_module
from innerclient.scoring import integrity, privacy, problems, reliability
from innerclient.scoring.adjust import additive
from innerclient.scoring.cells import CONFIDENCE, Scale, cell_table
from innerclient.scoring.index import MODES, criterion_scores, weighted_index
from innerclient.scoring.srm import RoundRobin, round_robin
from innerclient.scoring.units import Units, publication_units, unit_answers

OFFICIAL_INDICES = ("raw", "adjusted")
# 1: before publication units; 2: figures from publication units only, the adjusted index
# as the raw index of leniency-corrected units. Every snapshot stores the version it used.
METHODOLOGY_VERSION = 2
# A mutual-inflation flag needs both excesses above 7.5 % of the scale range (0.3 points on
# 1-5) besides two standard deviations, so a very homogeneous company flags nothing trivial.
INFLATION_FLOOR_SHARE = 0.075


@dataclass(frozen=True)
class Methodology:
    """The organization's settings in force for a cycle (the Regulation's numbers)."""

    mode: str = "client_equal"
    official: str = "raw"
    k: int = privacy.DEFAULT_THRESHOLD
    comment_k: int = 7
    low_threshold: float = 60.0
    divergence: float = 25.0
    fdr: float = 0.05

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.official not in OFFICIAL_INDICES:
            raise ValueError(f"official must be one of {OFFICIAL_INDICES}")
        privacy.check_threshold(self.k)
        privacy.check_threshold(self.comment_k, low=self.k, high=20)
        if not 0 <= self.low_threshold <= 100 or not 0 < self.divergence <= 100:
            raise ValueError("low_threshold and divergence are points on a 0-100 footing")
        if not 0 < self.fdr < 1:
            raise ValueError("fdr must lie between 0 and 1")


def _ints(x: ArrayLike) -> NDArray[np.int64]:
    return np.asarray(x, dtype=np.int64).ravel()


@dataclass(frozen=True)
class CycleAnswers:
    """One cycle's scored answers and what the methodology needs beside them.

    ``response_seconds[q]`` is the time spent on response q (nan when unknown);
    ``volume[P, K]`` the requests client department K sent provider P (mode "volume").
    ``k`` is the cycle's own anonymity threshold, needed when the cycle is scored as the
    history of a later one (the current cycle's is the methodology's); ``excluded`` holds
    (provider, client) code pairs of shown client views an upheld appeal excluded.
    """

    scale: Scale
    weights: NDArray[np.float64]
    n_departments: int
    provider: NDArray[np.int64]
    client: NDArray[np.int64]
    rater: NDArray[np.int64]
    criterion: NDArray[np.int64]
    response: NDArray[np.int64]
    score: NDArray[np.float64]
    response_seconds: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    volume: NDArray[np.float64] | None = None
    k: int | None = None
    excluded: tuple[tuple[int, int], ...] = ()

    @classmethod
    def build(
        cls,
        *,
        scale: Scale,
        weights: ArrayLike,
        n_departments: int,
        provider: ArrayLike,
        client: ArrayLike,
        rater: ArrayLike,
        criterion: ArrayLike,
        response: ArrayLike,
        score: ArrayLike,
        response_seconds: ArrayLike | None = None,
        volume: ArrayLike | None = None,
        k: int | None = None,
        excluded: Sequence[tuple[int, int]] = (),
    ) -> CycleAnswers:
        """Validate and normalise the arrays (equal lengths, codes in range, on the scale)."""
        arrays = [_ints(a) for a in (provider, client, rater, criterion, response)]
        x = np.asarray(score, dtype=float).ravel()
        if any(a.shape != x.shape for a in arrays):
            raise ValueError("all answer arrays must have equal length")
        w = np.asarray(weights, dtype=float).ravel()
        prov, cli, rat, crit, resp = arrays
        if x.size:
            if min(int(a.min()) for a in arrays) < 0:
                raise ValueError("codes must be non-negative")
            if max(int(prov.max()), int(cli.max())) >= n_departments:
                raise ValueError("a department code is out of range")
            if int(crit.max()) >= w.size:
                raise ValueError("a criterion code has no weight")
            if not np.all(np.isfinite(x)) or x.min() < scale.minimum or x.max() > scale.maximum:
                raise ValueError(f"scores must lie on the scale {scale.minimum}..{scale.maximum}")
        n_resp = int(resp.max()) + 1 if resp.size else 0
        seconds = (
            np.full(n_resp, np.nan)
            if response_seconds is None
            else np.asarray(response_seconds, dtype=float).ravel()
        )
        if seconds.size < n_resp:
            raise ValueError("response_seconds needs one entry per response code")
        vol = None if volume is None else np.asarray(volume, dtype=float)
        if vol is not None and vol.shape != (n_departments, n_departments):
            raise ValueError("volume must be a departments x departments matrix")
        if k is not None:
            privacy.check_threshold(k)
        pairs = tuple(sorted({(int(a), int(b)) for a, b in excluded}))
        if any(not (0 <= a < n_departments and 0 <= b < n_departments) for a, b in pairs):
            raise ValueError("an excluded view names an unknown department code")
        return cls(scale, w, n_departments, prov, cli, rat, crit, resp, x, seconds, vol, k, pairs)


@dataclass(frozen=True)
class ResponseIndex:
    """Each response's own index: its weighted mean percent over the criteria it scored."""

    provider: NDArray[np.int64]
    client: NDArray[np.int64]
    rater: NDArray[np.int64]
    value: NDArray[np.float64]
    items: NDArray[np.int64]


def response_index(answers: CycleAnswers) -> ResponseIndex:
    """r_q = sum_c w_c p_qc / sum_c w_c over the criteria c that response q scored, where
    p = (score - min) / (max - min) * 100. Responses without a scored answer are dropped."""
    q = answers.response
    size = int(q.max()) + 1 if q.size else 0
    w = answers.weights[answers.criterion]
    num = np.bincount(q, weights=w * answers.scale.percent(answers.score), minlength=size)
    den = np.bincount(q, weights=w, minlength=size)
    items = np.bincount(q, minlength=size)
    first = np.full(size, -1, dtype=np.int64)
    first[q[::-1]] = np.arange(q.size - 1, -1, -1)
    keep = items > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = num / den
    rows = first[keep]
    return ResponseIndex(
        answers.provider[rows],
        answers.client[rows],
        answers.rater[rows],
        value[keep],
        items[keep].astype(np.int64),
    )


@dataclass(frozen=True)
class Change:
    """Per provider: Welch and Brunner-Munzel of response indices against the previous cycle,
    q-values after Benjamini-Hochberg across providers, and the trend of the index over all
    cycles given (nan where a test is impossible)."""

    delta: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    p: NDArray[np.float64]
    q: NDArray[np.float64]
    ordinal_p: NDArray[np.float64]
    p_after_higher: NDArray[np.float64]
    significant: NDArray[np.bool_]
    trend_slope: NDArray[np.float64]
    trend_p: NDArray[np.float64]
    trend_cycles: NDArray[np.int64]
    history: NDArray[np.float64]  # cycles x providers: the raw index, oldest first


@dataclass(frozen=True)
class Reliability:
    """Cycle-level reliability figures and per-department ones (nan where not computable)."""

    icc1: float
    alpha_interval: float
    alpha_ordinal: float
    cronbach: float
    department_alpha: NDArray[np.float64]
    department_cronbach: NDArray[np.float64]


@dataclass(frozen=True)
class Integrity:
    """Flags for the coordinator; they never change a score by themselves."""

    inflation_pairs: list[integrity.InflationPair]
    straight_lined: int
    speeders: int
    responses: int
    straight_lined_by_provider: NDArray[np.int64]
    speeders_by_provider: NDArray[np.int64]


@dataclass(frozen=True)
class Pooled:
    """Per provider, its pooled unit: the client departments too small to be shown alone,
    counted together as one group of raters (``scoring.units``); zeros and nan where none."""

    departments: NDArray[np.int64]
    n_raters: NDArray[np.int64]
    criterion_percent: NDArray[np.float64]  # providers x criteria
    criterion_n: NDArray[np.int64]
    index: NDArray[np.float64]


@dataclass(frozen=True)
class CycleScores:
    methodology: Methodology
    scale: Scale
    n_departments: int
    n_criteria: int
    # Per provider (index 0..D-1). Hidden figures are nan.
    index: NDArray[np.float64]
    index_ci_low: NDArray[np.float64]
    index_ci_high: NDArray[np.float64]
    adjusted_index: NDArray[np.float64]
    rank: NDArray[np.int64]  # 1 = best by the official index; 0 = not ranked
    n_raters: NDArray[np.int64]
    n_clients: NDArray[np.int64]
    n_answers: NDArray[np.int64]
    shown: NDArray[np.bool_]
    hidden_rated: int  # providers rated by fewer than k raters (none of their figures shown)
    criterion_percent: NDArray[np.float64]  # providers x criteria
    criterion_n: NDArray[np.int64]
    self_percent: NDArray[np.float64]  # providers x criteria (self-assessment)
    self_index: NDArray[np.float64]
    # providers x criteria x clients
    cell_n: NDArray[np.int64]
    cell_mean: NDArray[np.float64]
    cell_top_two: NDArray[np.float64]
    cell_percent: NDArray[np.float64]
    cell_sd: NDArray[np.float64]
    cell_ci_low: NDArray[np.float64]
    cell_ci_high: NDArray[np.float64]
    # providers x clients: raters behind the client's view and whether it may be shown
    client_raters: NDArray[np.int64]
    client_shown: NDArray[np.bool_]
    pooled: Pooled
    comments_shown: NDArray[np.bool_]
    adjustment_factor: str  # "client department"
    adjustment_components: int
    leniency: NDArray[np.float64]  # per client department, index points (nan: not estimated)
    srm: RoundRobin | None
    srm_departments: NDArray[np.int64]
    reliability: Reliability
    change: Change | None
    integrity: Integrity
    problems: list[problems.Problem]


def _t_interval(
    group: NDArray[np.int64], value: NDArray[np.float64], size: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Half-width t_{0.975, n-1} * sd / sqrt(n) of ``value`` per group, and n."""
    n = np.bincount(group, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(group, weights=value, minlength=size) / n
        dev2 = np.bincount(group, weights=(value - mean[group]) ** 2, minlength=size)
        sd = np.sqrt(dev2 / (n - 1))
        tcrit = scipy.stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1))
        half = np.where(n >= 2, tcrit * sd / np.sqrt(n), np.nan)
    return half, n.astype(np.int64)


def _rank(values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Competition ranking (1, 2, 2, 4) of finite values, highest first; 0 where nan."""
    out = np.zeros(values.size, dtype=np.int64)
    finite = np.isfinite(values)
    vals = values[finite]
    # rank = 1 + number of strictly greater values
    sorted_vals = np.sort(vals)
    out[finite] = 1 + vals.size - np.searchsorted(sorted_vals, vals, side="right")
    return out


def _srm(
    resp: ResponseIndex, n_departments: int
) -> tuple[RoundRobin | None, NDArray[np.int64], NDArray[np.float64]]:
    """The department round robin over the client views shown as units of their own: the
    mean response index of client K about provider P (the pooled unit is no department and
    stays out).

    Only departments that both rate and are rated by others of the set enter; the set is
    shrunk until that holds (the SRM needs every row and column observed)."""
    d = n_departments
    matrix = _srm_matrix(resp, d)
    members = np.arange(d)
    while True:
        sub = matrix[np.ix_(members, members)]
        observed = np.isfinite(sub)
        keep = observed.any(axis=1) & observed.any(axis=0)
        if keep.all():
            break
        members = members[keep]
    if members.size < 4:
        return None, members, matrix
    return round_robin(matrix[np.ix_(members, members)]), members, matrix


def _distinct(code: NDArray[np.int64], rater: NDArray[np.int64], size: int) -> NDArray[np.int64]:
    return privacy.distinct_raters(code, rater, size).astype(np.int64)


@dataclass(frozen=True)
class _Prepared:
    """A cycle's answers reduced to what figures may rest on (``scoring.units``).

    ``kept`` holds the kept client answers with each answer's unit code as its client
    (``units.pooled_code`` for the pooled unit); ``own`` the self-assessments of providers
    that are shown; ``weight`` the units' weights in the aggregation mode (providers x
    units; None in rater_equal mode)."""

    units: Units
    kept: CycleAnswers
    own: CycleAnswers
    weight: NDArray[np.float64] | None


def _subset(answers: CycleAnswers, rows: NDArray[np.bool_], client: NDArray[np.int64]):
    return replace(
        answers,
        provider=answers.provider[rows],
        client=client[rows],
        rater=answers.rater[rows],
        criterion=answers.criterion[rows],
        response=answers.response[rows],
        score=answers.score[rows],
    )


def _prepare(answers: CycleAnswers, k: int, mode: str) -> _Prepared:
    d = answers.n_departments
    is_self = answers.provider == answers.client
    clients = ~is_self
    units = publication_units(
        answers.provider[clients], answers.client[clients], answers.rater[clients], d, k
    )
    excluded = np.zeros((d, d), dtype=bool)
    for provider, client in answers.excluded:
        excluded[provider, client] = True
    unit = unit_answers(
        units,
        answers.provider,
        answers.client,
        answers.rater,
        answers.criterion,
        answers.weights.size,
        excluded,
    )
    kept_rows = clients & unit.keep
    own_rows = is_self & units.provider_shown[answers.provider]
    weight = None
    if mode == "client_equal":
        weight = units.unit_weights()
    elif mode == "volume":
        if answers.volume is None:
            raise ValueError("mode 'volume' needs the volume matrix")
        weight = units.unit_weights(answers.volume)
    if weight is not None:
        weight[excluded.nonzero()] = 0.0
    return _Prepared(
        units=units,
        kept=_subset(answers, kept_rows, unit.unit),
        own=_subset(answers, own_rows, answers.client),
        weight=weight,
    )


def _criterion_scores(
    prepared: _Prepared, mode: str, percent: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    """S[P, c] over the kept answers in ``mode`` (``percent`` replaces their values)."""
    kept = prepared.kept
    values = kept.scale.percent(kept.score) if percent is None else percent
    return criterion_scores(
        kept.provider,
        kept.client,
        kept.criterion,
        values,
        n_providers=kept.n_departments,
        n_criteria=kept.weights.size,
        mode=mode,
        rater=kept.rater,
        volume=prepared.weight if mode == "volume" else None,
        client_weight=prepared.weight if mode == "client_equal" else None,
    )


def _leniency_adjusted(
    prepared: _Prepared,
    mode: str,
    unit_percent: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """The raw index's estimand with the client departments' leniency taken out.

    Each client view shown as a unit of its own gives one observation: its index (the
    weighted mean of its cells). The additive model view = mean + provider effect +
    client effect (``adjust.additive``) estimates each client department's leniency b_K
    from those views alone. Every answer of K is lowered by b_K (the pooled unit, whose
    departments are not known to any figure, at the average leniency 0) and aggregated
    exactly as the raw index is, so raw and adjusted figures can be read side by side.
    Returns the adjusted criterion scores, the index, each client department's leniency
    (index points, nan where it has no view of its own) and the design's components.
    """
    kept = prepared.kept
    d = kept.n_departments
    weights = kept.weights
    view_index = weighted_index(unit_percent.transpose(0, 2, 1).reshape(-1, weights.size), weights)
    view_index = view_index.reshape(d, d + 1)[:, :d]
    p, k = np.nonzero(np.isfinite(view_index) & prepared.units.own_unit)
    leniency = np.full(d + 1, np.nan)
    components = 0
    if p.size:
        fit = additive(p, k, view_index[p, k])
        effects = fit.rater_effects
        leniency[: effects.size] = effects
        components = fit.n_components
    correction = np.where(np.isfinite(leniency), leniency, 0.0)
    percent = kept.scale.percent(kept.score) - correction[kept.client]
    crit = _criterion_scores(prepared, mode, percent)
    return crit, weighted_index(crit, weights), leniency[:d], components


def _history_index(earlier: CycleAnswers, methodology: Methodology) -> NDArray[np.float64]:
    """An earlier cycle's raw index in this cycle's aggregation mode, from the earlier
    cycle's own publication units (its own threshold and exclusions); nan where hidden."""
    prepared = _prepare(earlier, earlier.k or methodology.k, methodology.mode)
    index = weighted_index(_criterion_scores(prepared, methodology.mode), earlier.weights)
    kept = prepared.kept
    raters = _distinct(kept.provider, kept.rater, earlier.n_departments)
    return np.where(raters >= (earlier.k or methodology.k), index, np.nan)


def _cronbach_by_group(
    table: NDArray[np.float64], group: NDArray[np.int64], size: int
) -> NDArray[np.float64]:
    """Cronbach's alpha of each group's rows (complete rows only), in one pass: the item and
    total variances of ``reliability.cronbach_alpha`` from per-group sums and sums of squares.
    nan where a group has fewer than 2 rows, fewer than 2 items, or totals that never vary."""
    n, c = table.shape
    out = np.full(size, np.nan)
    if c < 2 or n == 0:
        return out
    count = np.bincount(group, minlength=size).astype(float)
    cell = (group[:, None] * c + np.arange(c)[None, :]).ravel()
    flat = table.ravel()
    item_sum = np.bincount(cell, weights=flat, minlength=size * c).reshape(size, c)
    item_sq = np.bincount(cell, weights=flat**2, minlength=size * c).reshape(size, c)
    total = table.sum(axis=1)
    total_sum = np.bincount(group, weights=total, minlength=size)
    total_sq = np.bincount(group, weights=total**2, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        item_var = (item_sq - item_sum**2 / count[:, None]) / (count[:, None] - 1)
        total_var = (total_sq - total_sum**2 / count) / (count - 1)
        alpha = c / (c - 1) * (1 - item_var.sum(axis=1) / total_var)
    ok = (count >= 2) & (total_var > 1e-12 * np.maximum(1.0, total_sq / np.maximum(count, 1)))
    out[ok] = alpha[ok]
    return out


def _reliability(
    answers: CycleAnswers, resp: ResponseIndex, mask: NDArray[np.bool_]
) -> Reliability:
    """Reliability among raters of the same provider (clients only, self-assessments out)."""
    d, c = answers.n_departments, answers.weights.size
    scale = answers.scale
    prov = answers.provider[mask]
    crit = answers.criterion[mask]
    x = answers.score[mask]
    others = resp.client != resp.provider
    icc1 = reliability.icc1_groups(resp.provider[others], resp.value[others])
    # Units are (provider, criterion); values are the scale points (scores are integers).
    values = np.arange(scale.minimum, scale.maximum + 1, dtype=float)
    value_code = np.rint(x - scale.minimum).astype(np.int64)
    n_v = values.size
    counts = np.bincount((prov * c + crit) * n_v + value_code, minlength=d * c * n_v).reshape(
        d, c, n_v
    )
    flat = counts.reshape(d * c, n_v)
    alpha_i = reliability.krippendorff_alpha_counts(flat, values, "interval")
    alpha_o = reliability.krippendorff_alpha_counts(flat, values, "ordinal")
    dep_alpha = np.full(d, np.nan)
    # Responses x criteria for Cronbach's alpha (complete responses only).
    n_resp = int(answers.response.max()) + 1 if answers.response.size else 0
    table = np.full((n_resp, c), np.nan)
    table[answers.response[mask], crit] = x
    q_provider = np.full(n_resp, -1, dtype=np.int64)
    q_provider[answers.response[mask]] = prov
    complete = np.all(np.isfinite(table), axis=1)
    cron = float("nan")
    if c >= 2 and complete.sum() >= 2:
        cron = reliability.cronbach_alpha(table[complete])
    for p in range(d):
        if counts[p].sum() >= 2:
            dep_alpha[p] = reliability.krippendorff_alpha_counts(counts[p], values, "interval")
    dep_cron = _cronbach_by_group(table[complete], q_provider[complete], d)
    return Reliability(icc1, alpha_i, alpha_o, cron, dep_alpha, dep_cron)


def _change(
    current: ResponseIndex,
    current_index: NDArray[np.float64],
    history: Sequence[CycleAnswers],
    methodology: Methodology,
    n_departments: int,
) -> Change | None:
    if not history:
        return None
    d = n_departments
    indices = [_history_index(earlier, methodology) for earlier in history]
    indices.append(current_index)
    previous = history[-1]
    past = response_index(_prepare(previous, previous.k or methodology.k, "rater_equal").kept)
    nan = np.full(d, np.nan)
    delta, low, high, p, ordinal_p, after_higher = (nan.copy() for _ in range(6))

    def by_provider(resp: ResponseIndex) -> list[NDArray[np.float64]]:
        prov, value = resp.provider, resp.value
        order = np.argsort(prov, kind="stable")
        bounds = np.searchsorted(prov[order], np.arange(d + 1))
        return [value[order[bounds[i] : bounds[i + 1]]] for i in range(d)]

    before_groups, after_groups = by_provider(past), by_provider(current)
    for i in range(d):
        before, after = before_groups[i], after_groups[i]
        # Each mean rests on at least k responses, or the difference could expose a few.
        if min(before.size, after.size) < max(2, methodology.k):
            continue
        w = change_module.welch(before, after)
        delta[i], low[i], high[i], p[i] = w.delta, w.ci_low, w.ci_high, w.p
        bm = change_module.brunner_munzel(before, after)
        ordinal_p[i], after_higher[i] = bm.p, bm.p_after_higher
    q = change_module.benjamini_hochberg(p)
    significant = np.isfinite(q) & (q <= methodology.fdr)
    history_matrix = np.vstack(indices)
    slope, slope_p = nan.copy(), nan.copy()
    cycles = np.isfinite(history_matrix).sum(axis=0).astype(np.int64)
    positions = np.arange(history_matrix.shape[0], dtype=float)
    for column in np.nonzero(cycles >= 3)[0]:
        t = change_module.trend(positions, history_matrix[:, column])
        slope[column], slope_p[column] = t.slope, t.p
    return Change(
        delta,
        low,
        high,
        p,
        q,
        ordinal_p,
        after_higher,
        significant,
        slope,
        slope_p,
        cycles,
        history_matrix,
    )


def score_cycle(
    answers: CycleAnswers,
    methodology: Methodology | None = None,
    history: Sequence[CycleAnswers] = (),
) -> CycleScores:
    """Everything the results of one cycle show, from its answers (see the module docstring).

    ``history`` holds earlier cycles, oldest first, coded like ``answers``; the last one is
    "the previous cycle" for the change figures. ``answers.excluded`` lists shown client
    views an upheld appeal excluded (ValueError for a view that was not shown).
    """
    m = methodology or Methodology()
    d, c = answers.n_departments, answers.weights.size
    scale = answers.scale
    prepared = _prepare(answers, m.k, m.mode)
    units, kept, own = prepared.units, prepared.kept, prepared.own
    width = d + 1  # client views plus the pooled unit

    crit_raw = _criterion_scores(prepared, m.mode)
    index_raw = weighted_index(crit_raw, answers.weights)
    resp = response_index(kept)
    half, _ = _t_interval(resp.provider, resp.value, d)

    # Counts, all over the kept answers (every unit and cell there rests on >= k raters).
    n_raters = _distinct(kept.provider, kept.rater, d)
    criterion_n = _distinct(kept.provider * c + kept.criterion, kept.rater, d * c).reshape(d, c)
    unit_raters = _distinct(kept.provider * width + kept.client, kept.rater, d * width)
    unit_raters = unit_raters.reshape(d, width)
    shown = n_raters >= m.k
    client_shown = (unit_raters[:, :d] > 0) & units.own_unit & shown[:, None]
    pooled_shown = (unit_raters[:, d] > 0) & shown
    n_clients = client_shown.sum(axis=1) + np.where(pooled_shown, units.pooled_departments, 0)
    comments_shown = n_raters >= m.comment_k
    criterion_visible = (criterion_n >= m.k) & shown[:, None]

    # Self-assessment of shown providers: the department's own view, reported beside it.
    self_cells = own.provider * c + own.criterion
    self_n = np.bincount(self_cells, minlength=d * c)
    with np.errstate(divide="ignore", invalid="ignore"):
        self_percent = (
            np.bincount(self_cells, weights=scale.percent(own.score), minlength=d * c) / self_n
        ).reshape(d, c)
    self_index = weighted_index(self_percent, answers.weights)

    # Cells: provider x criterion x unit.
    cell_code = (kept.provider * c + kept.criterion) * width + kept.client
    table = cell_table(cell_code, kept.score, scale, d * c * width)
    shape3 = (d, c, width)
    cell_visible = (unit_raters[:, None, :] > 0) & shown[:, None, None]
    cell_visible = np.broadcast_to(cell_visible, shape3).reshape(-1)

    def visible(values: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        return np.where(mask, values, np.nan)

    unit_percent = visible(table.percent_of_scale, cell_visible).reshape(shape3)
    _crit_adjusted, adjusted, leniency, components = _leniency_adjusted(
        prepared, m.mode, unit_percent
    )
    srm, srm_members, srm_matrix = _srm(resp, d)

    change = _change(resp, np.where(shown, index_raw, np.nan), history, m, d)
    if change is not None:
        hidden = ~shown
        for arr in (change.delta, change.ci_low, change.ci_high, change.p, change.q):
            arr[hidden] = np.nan
        change.significant[hidden] = False

    # Integrity flags, over the kept answers.
    n_resp = int(kept.response.max()) + 1 if kept.response.size else 0
    straight = integrity.straight_lining(kept.response, kept.score, n_resp)
    items = np.bincount(kept.response, minlength=n_resp)
    fast = integrity.speeders(answers.response_seconds[:n_resp], items)
    resp_provider = np.full(n_resp, -1, dtype=np.int64)
    resp_provider[kept.response] = kept.provider
    real = resp_provider >= 0
    span = scale.maximum - scale.minimum
    inflation = integrity.mutual_inflation(
        srm_matrix * span / 100.0, min_excess=INFLATION_FLOOR_SHARE * span
    )
    flags = Integrity(
        inflation,
        int(straight[real].sum()),
        int(fast[real].sum()),
        int(real.sum()),
        np.bincount(resp_provider[real & straight], minlength=d).astype(np.int64),
        np.bincount(resp_provider[real & fast], minlength=d).astype(np.int64),
    )

    index_shown = visible(index_raw, shown)
    adjusted_shown = visible(adjusted, shown)
    official = index_shown if m.official == "raw" else adjusted_shown
    crit_percent = visible(crit_raw, criterion_visible)
    cell_percent = unit_percent[:, :, :d]
    self_shown = np.where(shown[:, None], self_percent, np.nan)
    found = problems.problem_areas(
        cell_percent=cell_percent,
        criterion_percent=crit_percent,
        self_percent=self_shown,
        change_delta=change.delta if change else np.full(d, np.nan),
        change_q=change.q if change else np.full(d, np.nan),
        low_threshold=m.low_threshold,
        self_gap=100.0 / 3.0,
        divergence=m.divergence,
        alpha=m.fdr,
    )

    def per_unit(values: NDArray[np.float64]) -> NDArray[np.float64]:
        return visible(values, cell_visible).reshape(shape3)

    cell_n = np.where(cell_visible, table.n, 0).reshape(shape3)
    pooled_crit_n = cell_n[:, :, d]
    pooled = Pooled(
        departments=np.where(pooled_shown, units.pooled_departments, 0),
        n_raters=np.where(pooled_shown, unit_raters[:, d], 0),
        criterion_percent=unit_percent[:, :, d],
        criterion_n=pooled_crit_n,
        index=visible(weighted_index(unit_percent[:, :, d], answers.weights), pooled_shown),
    )
    return CycleScores(
        methodology=m,
        scale=scale,
        n_departments=d,
        n_criteria=c,
        index=index_shown,
        index_ci_low=visible(index_raw - half, shown),
        index_ci_high=visible(index_raw + half, shown),
        adjusted_index=adjusted_shown,
        rank=_rank(official),
        n_raters=np.where(shown, n_raters, 0),
        n_clients=np.where(shown, n_clients, 0),
        n_answers=np.where(shown, np.bincount(kept.provider, minlength=d), 0),
        shown=shown,
        hidden_rated=int(((units.view_raters.sum(axis=1) > 0) & ~shown).sum()),
        criterion_percent=crit_percent,
        criterion_n=np.where(criterion_visible, criterion_n, 0),
        self_percent=self_shown,
        self_index=visible(self_index, shown),
        cell_n=cell_n[:, :, :d],
        cell_mean=per_unit(table.mean)[:, :, :d],
        cell_top_two=per_unit(table.top_two_share)[:, :, :d],
        cell_percent=cell_percent,
        cell_sd=per_unit(table.sd)[:, :, :d],
        cell_ci_low=per_unit(table.ci_low)[:, :, :d],
        cell_ci_high=per_unit(table.ci_high)[:, :, :d],
        client_raters=np.where(client_shown, unit_raters[:, :d], 0),
        client_shown=client_shown,
        pooled=pooled,
        comments_shown=comments_shown,
        adjustment_factor="client department",
        adjustment_components=components,
        leniency=leniency,
        srm=srm,
        srm_departments=srm_members,
        reliability=_reliability(kept, resp, np.ones(kept.score.size, dtype=bool)),
        change=change,
        integrity=flags,
        problems=found,
    )


def _srm_matrix(resp: ResponseIndex, d: int) -> NDArray[np.float64]:
    # Real client departments only: the pooled unit's code is d.
    others = (resp.client != resp.provider) & (resp.client < d)
    pair = resp.client[others] * d + resp.provider[others]
    sums = np.bincount(pair, weights=resp.value[others], minlength=d * d)
    counts = np.bincount(pair, minlength=d * d)
    with np.errstate(divide="ignore", invalid="ignore"):
        matrix = (sums / counts).reshape(d, d)
    np.fill_diagonal(matrix, np.nan)
    return matrix


def _num(x: float) -> float | None:
    """JSON has no nan: a missing or hidden figure is null."""
    value = float(x)
    return round(value, 6) if np.isfinite(value) else None


def _nums(values: NDArray[np.float64]) -> list[float | None]:
    return [_num(v) for v in np.asarray(values, dtype=float).ravel()]


def as_json(scores: CycleScores) -> dict[str, object]:
    """The scores as plain JSON data (lists indexed by code; hidden figures are null).

    Cells are listed sparsely, only where shown. This is what a result snapshot stores,
    so nothing suppressed ever reaches storage: a hidden provider is stored as not rated,
    with no figure, no self-assessment and no count; how many there are is one company
    total, ``hidden_rated``.
    """
    d, c = scores.n_departments, scores.n_criteria
    cells = []
    for p, crit, k in zip(*np.nonzero(scores.cell_n > 0), strict=True):
        cells.append(
            {
                "provider": int(p),
                "criterion": int(crit),
                "client": int(k),
                "n": int(scores.cell_n[p, crit, k]),
                "mean": _num(scores.cell_mean[p, crit, k]),
                "top_two_share": _num(scores.cell_top_two[p, crit, k]),
                "percent": _num(scores.cell_percent[p, crit, k]),
                "sd": _num(scores.cell_sd[p, crit, k]),
                "ci_low": _num(scores.cell_ci_low[p, crit, k]),
                "ci_high": _num(scores.cell_ci_high[p, crit, k]),
            }
        )
    providers = []
    pooled = scores.pooled
    for p in range(d):
        shown = bool(scores.shown[p])
        has_self = shown and bool(np.isfinite(scores.self_index[p]))
        pooled_json = None
        if pooled.n_raters[p] > 0:
            pooled_json = {
                "departments": int(pooled.departments[p]),
                "n_raters": int(pooled.n_raters[p]),
                "index": _num(pooled.index[p]),
                "criteria": _nums(pooled.criterion_percent[p]),
                "criteria_n": [int(v) for v in pooled.criterion_n[p]],
            }
        providers.append(
            {
                "code": p,
                "shown": shown,
                "rated": shown,
                "index": _num(scores.index[p]),
                "ci_low": _num(scores.index_ci_low[p]),
                "ci_high": _num(scores.index_ci_high[p]),
                "adjusted": _num(scores.adjusted_index[p]),
                "rank": int(scores.rank[p]),
                "n_raters": int(scores.n_raters[p]),
                "n_clients": int(scores.n_clients[p]) if shown else 0,
                "criteria": _nums(scores.criterion_percent[p]),
                "criteria_n": [int(v) for v in scores.criterion_n[p]],
                "self_index": _num(scores.self_index[p]) if has_self else None,
                "self_criteria": _nums(scores.self_percent[p]) if has_self else [None] * c,
                "comments_shown": bool(scores.comments_shown[p]),
                "clients": [
                    {"client": int(k), "n_raters": int(scores.client_raters[p, k])}
                    for k in np.nonzero(scores.client_shown[p])[0]
                ],
                "pooled": pooled_json,
                "straight_lined": int(scores.integrity.straight_lined_by_provider[p]),
                "speeders": int(scores.integrity.speeders_by_provider[p]),
            }
        )
    srm = scores.srm
    srm_json: dict[str, object] | None = None
    if srm is not None:
        actor = np.full(d, np.nan)
        partner = np.full(d, np.nan)
        actor[scores.srm_departments] = srm.actor_effects
        partner[scores.srm_departments] = srm.partner_effects
        srm_json = {
            "departments": [int(v) for v in scores.srm_departments],
            "mean": _num(srm.mean),
            "actor": _nums(actor),
            "partner": _nums(partner),
            "actor_variance": _num(srm.actor_variance),
            "partner_variance": _num(srm.partner_variance),
            "relationship_variance": _num(srm.relationship_variance),
            "actor_partner_correlation": _num(srm.actor_partner_correlation),
            "dyadic_reciprocity": _num(srm.dyadic_reciprocity),
            "n_missing": srm.n_missing,
        }
    rel = scores.reliability
    ch = scores.change
    change_json: dict[str, object] | None = None
    if ch is not None:
        change_json = {
            "delta": _nums(ch.delta),
            "ci_low": _nums(ch.ci_low),
            "ci_high": _nums(ch.ci_high),
            "p": _nums(ch.p),
            "q": _nums(ch.q),
            "ordinal_p": _nums(ch.ordinal_p),
            "p_after_higher": _nums(ch.p_after_higher),
            "significant": [bool(v) for v in ch.significant],
            "trend_slope": _nums(ch.trend_slope),
            "trend_p": _nums(ch.trend_p),
            "trend_cycles": [int(v) for v in ch.trend_cycles],
            "history": [_nums(row) for row in ch.history],
        }
    m = scores.methodology
    return {
        "schema": 2,
        "hidden_rated": scores.hidden_rated,
        "methodology": {
            "version": METHODOLOGY_VERSION,
            "mode": m.mode,
            "official": m.official,
            "k": m.k,
            "comment_k": m.comment_k,
            "low_threshold": m.low_threshold,
            "divergence": m.divergence,
            "fdr": m.fdr,
            "scale": [scores.scale.minimum, scores.scale.maximum],
        },
        "providers": providers,
        "cells": cells,
        "adjustment": {
            "factor": scores.adjustment_factor,
            "components": scores.adjustment_components,
            "leniency": _nums(scores.leniency),
        },
        "srm": srm_json,
        "reliability": {
            "icc1": _num(rel.icc1),
            "alpha_interval": _num(rel.alpha_interval),
            "alpha_ordinal": _num(rel.alpha_ordinal),
            "cronbach": _num(rel.cronbach),
            "department_alpha": _nums(np.where(scores.shown, rel.department_alpha, np.nan)),
            "department_cronbach": _nums(np.where(scores.shown, rel.department_cronbach, np.nan)),
        },
        "change": change_json,
        "integrity": {
            "responses": scores.integrity.responses,
            "straight_lined": scores.integrity.straight_lined,
            "speeders": scores.integrity.speeders,
            "inflation_pairs": [
                {
                    "a": pair.a,
                    "b": pair.b,
                    "excess_ab": _num(pair.excess_ab),
                    "excess_ba": _num(pair.excess_ba),
                    "threshold": _num(pair.threshold),
                }
                for pair in scores.integrity.inflation_pairs
            ],
        },
        "problems": [
            {
                "kind": str(problem.kind),
                "department": problem.department,
                "criterion": problem.criterion,
                "client": problem.client,
                "value": _num(problem.value),
                "threshold": _num(problem.threshold),
                "severity": _num(problem.severity),
            }
            for problem in scores.problems
        ],
    }
