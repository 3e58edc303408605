"""A cycle from answer arrays to results: the whole methodology in one call.

``score_cycle`` takes one cycle's answers (one row per scored answer, "did not interact"
already dropped) and, optionally, the earlier cycles' answers in the same department coding,
and computes everything the methodology page describes: cells, the raw and the
leniency-adjusted index, the Social Relations Model, reliability, change and trend,
integrity flags and ranked problem areas, with the privacy rules applied. Figures that may
not be shown are ``nan`` in the arrays and flagged in the ``shown_*`` masks, so a caller
that forgets the masks still shows nothing.

Codes: departments 0..D-1 (providers and clients share one coding), criteria 0..C-1 (the
order of ``weights``), raters 0..R-1 (pseudonymous: one code per rater key), responses
0..Q-1 (one rater about one provider). A self-assessment is an answer whose client
department is the provider itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from innerclient.scoring import change as change_module
from innerclient.scoring import integrity, privacy, problems, reliability
from innerclient.scoring.adjust import additive
from innerclient.scoring.cells import CONFIDENCE, Scale, cell_table
from innerclient.scoring.index import MODES, department_index
from innerclient.scoring.srm import RoundRobin, round_robin

OFFICIAL_INDICES = ("raw", "adjusted")
# Below this many providers per rater (median) the rater keys say too little about
# leniency: the additive model then uses the rater's department as the rater factor.
MIN_PROVIDERS_PER_RATER = 2.0
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
        return cls(scale, w, n_departments, prov, cli, rat, crit, resp, x, seconds, vol)


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
    comments_shown: NDArray[np.bool_]
    adjustment_factor: str  # "rater" or "client department"
    adjustment_components: int
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
    """The department round robin: mean response index of client K about provider P.

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


def _rater_counts(
    prov: NDArray[np.int64],
    cli: NDArray[np.int64],
    rat: NDArray[np.int64],
    crit: NDArray[np.int64],
    resp: NDArray[np.int64],
    d: int,
    c: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Distinct raters per provider, per provider x criterion and per provider x client."""
    # With one response per rater and provider and one answer per response and criterion
    # (what the questionnaire stores), distinct raters are plain counts; otherwise count
    # distinct raters the slow way.
    first = np.full(int(resp.max()) + 1 if resp.size else 0, -1, dtype=np.int64)
    first[resp[::-1]] = np.arange(resp.size - 1, -1, -1)
    heads = first[first >= 0]
    one_each = (
        np.unique(rat[heads] * d + prov[heads]).size == heads.size
        and (np.bincount(resp * c + crit).max(initial=0) <= 1)
        and np.all(rat == rat[first[resp]])
    )
    if one_each:
        per_provider = np.bincount(prov[heads], minlength=d).astype(np.int64)
        per_criterion = np.bincount(prov * c + crit, minlength=d * c).reshape(d, c)
        per_client = np.bincount(prov[heads] * d + cli[heads], minlength=d * d).reshape(d, d)
    else:
        per_provider = privacy.distinct_raters(prov, rat, d)
        per_criterion = privacy.distinct_raters(prov * c + crit, rat, d * c).reshape(d, c)
        per_client = privacy.distinct_raters(prov * d + cli, rat, d * d).reshape(d, d)
    return (
        per_provider.astype(np.int64),
        per_criterion.astype(np.int64),
        per_client.astype(np.int64),
    )


def _privacy(
    answers: CycleAnswers, clients_only: NDArray[np.bool_], k: int, comment_k: int
) -> tuple[
    NDArray[np.int64],
    NDArray[np.int64],
    NDArray[np.bool_],
    NDArray[np.int64],
    NDArray[np.bool_],
    NDArray[np.bool_],
]:
    """Distinct raters per provider, per provider x criterion and per provider x client, and
    which client views may be shown after complementary suppression."""
    d, c = answers.n_departments, answers.weights.size
    prov = answers.provider[clients_only]
    cli = answers.client[clients_only]
    rat = answers.rater[clients_only]
    crit = answers.criterion[clients_only]
    resp = answers.response[clients_only]
    per_provider, per_criterion, per_client = _rater_counts(prov, cli, rat, crit, resp, d, c)
    provider_shown = per_provider >= k
    client_shown = np.zeros((d, d), dtype=bool)
    for p in np.nonzero(provider_shown)[0]:
        small = (per_client[p] > 0) & (per_client[p] < k)
        if not small.any():
            # Nothing below the threshold: nothing to hide, nothing to recover.
            client_shown[p] = per_client[p] > 0
            continue
        column = per_client[p][:, None]
        hidden = privacy.complementary_suppression(column, k).cells[:, 0]
        client_shown[p] = (per_client[p] > 0) & ~hidden
    comments_shown = per_provider >= comment_k
    return per_provider, per_criterion, provider_shown, per_client, client_shown, comments_shown


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
    indices = []
    for earlier in history:
        idx = department_index(
            earlier.provider,
            earlier.client,
            earlier.criterion,
            earlier.score,
            scale=earlier.scale,
            weights=earlier.weights,
            mode=methodology.mode,
            rater=earlier.rater,
            volume=earlier.volume,
            n_departments=d,
        ).index
        others = earlier.provider != earlier.client
        raters, _, _ = _rater_counts(
            earlier.provider[others],
            earlier.client[others],
            earlier.rater[others],
            earlier.criterion[others],
            earlier.response[others],
            d,
            earlier.weights.size,
        )
        indices.append(np.where(raters >= methodology.k, idx, np.nan))
    indices.append(current_index)
    past = response_index(history[-1])
    nan = np.full(d, np.nan)
    delta, low, high, p, ordinal_p, after_higher = (nan.copy() for _ in range(6))

    def by_provider(resp: ResponseIndex) -> list[NDArray[np.float64]]:
        others = resp.client != resp.provider
        prov, value = resp.provider[others], resp.value[others]
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
    "the previous cycle" for the change figures.
    """
    m = methodology or Methodology()
    d, c = answers.n_departments, answers.weights.size
    scale = answers.scale
    is_self = answers.provider == answers.client
    clients_only = ~is_self

    idx = department_index(
        answers.provider,
        answers.client,
        answers.criterion,
        answers.score,
        scale=scale,
        weights=answers.weights,
        mode=m.mode,
        rater=answers.rater,
        volume=answers.volume,
        n_departments=d,
    )
    resp = response_index(answers)
    client_resp = resp.client != resp.provider
    half, _ = _t_interval(resp.provider[client_resp], resp.value[client_resp], d)

    n_raters, criterion_n, shown, client_raters, client_shown, comments_shown = _privacy(
        answers, clients_only, m.k, m.comment_k
    )

    # Self-assessment: the department's own view, reported beside the index.
    self_cells = answers.provider[is_self] * c + answers.criterion[is_self]
    self_n = np.bincount(self_cells, minlength=d * c)
    with np.errstate(divide="ignore", invalid="ignore"):
        self_percent = (
            np.bincount(self_cells, weights=scale.percent(answers.score[is_self]), minlength=d * c)
            / self_n
        ).reshape(d, c)
    present = np.isfinite(self_percent)
    wsum = (present * answers.weights).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        self_index = np.where(present, self_percent, 0.0) @ answers.weights / wsum

    # Leniency-adjusted index from the additive model on response indices.
    providers_per_rater = np.bincount(resp.rater[client_resp])
    rated = providers_per_rater[providers_per_rater > 0]
    use_raters = rated.size > 0 and float(np.median(rated)) >= MIN_PROVIDERS_PER_RATER
    adjusted = np.full(d, np.nan)
    components = 0
    if client_resp.any():
        factor = resp.rater if use_raters else resp.client
        fit = additive(resp.provider[client_resp], factor[client_resp], resp.value[client_resp])
        effects = np.full(d, np.nan)
        effects[: fit.ratee_effects.size] = fit.ratee_effects
        adjusted = fit.mean + effects
        components = fit.n_components

    # Cells: provider x criterion x client (clients only).
    cell_code = (answers.provider * c + answers.criterion) * d + answers.client
    table = cell_table(cell_code[clients_only], answers.score[clients_only], scale, d * c * d)
    cell_visible = np.repeat(client_shown[:, None, :], c, axis=1).reshape(-1)

    def visible(values: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
        return np.where(mask, values, np.nan)

    criterion_visible = (criterion_n >= m.k) & shown[:, None]
    shape3 = (d, c, d)
    cell_n = np.where(cell_visible, table.n, 0).reshape(shape3)
    srm, srm_members, srm_matrix = _srm(resp, d)

    # Change needs the unsuppressed index of the current cycle for the trend history.
    change = _change(resp, np.where(shown, idx.index, np.nan), history, m, d)
    if change is not None:
        hidden = ~shown
        for arr in (change.delta, change.ci_low, change.ci_high, change.p, change.q):
            arr[hidden] = np.nan
        change.significant[hidden] = False

    # Integrity flags.
    n_resp = int(answers.response.max()) + 1 if answers.response.size else 0
    straight = integrity.straight_lining(answers.response, answers.score, n_resp)
    items = np.bincount(answers.response, minlength=n_resp)
    fast = integrity.speeders(answers.response_seconds[:n_resp], items)
    resp_provider = np.full(n_resp, -1, dtype=np.int64)
    resp_provider[answers.response] = answers.provider
    real = resp_provider >= 0
    # Judged on every department (not only the SRM's round robin), in scale points.
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

    index_shown = visible(idx.index, shown)
    adjusted_shown = visible(adjusted, shown)
    official = index_shown if m.official == "raw" else adjusted_shown
    crit_percent = visible(idx.criterion_scores, criterion_visible)
    cell_percent = visible(table.percent_of_scale, cell_visible).reshape(shape3)
    found = problems.problem_areas(
        cell_percent=cell_percent,
        criterion_percent=crit_percent,
        self_percent=np.where(shown[:, None], self_percent, np.nan),
        change_delta=change.delta if change else np.full(d, np.nan),
        change_q=change.q if change else np.full(d, np.nan),
        low_threshold=m.low_threshold,
        self_gap=100.0 / 3.0,
        divergence=m.divergence,
        alpha=m.fdr,
    )
    return CycleScores(
        methodology=m,
        scale=scale,
        n_departments=d,
        n_criteria=c,
        index=index_shown,
        index_ci_low=visible(idx.index - half, shown),
        index_ci_high=visible(idx.index + half, shown),
        adjusted_index=adjusted_shown,
        rank=_rank(official),
        n_raters=np.where(shown, n_raters, 0),
        n_clients=idx.n_clients,
        n_answers=idx.n_answers,
        shown=shown,
        criterion_percent=crit_percent,
        criterion_n=np.where(criterion_visible, criterion_n, 0),
        self_percent=self_percent,
        self_index=self_index,
        cell_n=cell_n,
        cell_mean=visible(table.mean, cell_visible).reshape(shape3),
        cell_top_two=visible(table.top_two_share, cell_visible).reshape(shape3),
        cell_percent=cell_percent,
        cell_sd=visible(table.sd, cell_visible).reshape(shape3),
        cell_ci_low=visible(table.ci_low, cell_visible).reshape(shape3),
        cell_ci_high=visible(table.ci_high, cell_visible).reshape(shape3),
        client_raters=np.where(client_shown, client_raters, 0),
        client_shown=client_shown,
        comments_shown=comments_shown,
        adjustment_factor="rater" if use_raters else "client department",
        adjustment_components=components,
        srm=srm,
        srm_departments=srm_members,
        reliability=_reliability(answers, resp, clients_only),
        change=change,
        integrity=flags,
        problems=found,
    )


def _srm_matrix(resp: ResponseIndex, d: int) -> NDArray[np.float64]:
    others = resp.client != resp.provider
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
    so nothing suppressed ever reaches storage.
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
    for p in range(d):
        shown = bool(scores.shown[p])
        has_self = bool(np.isfinite(scores.self_index[p]))
        providers.append(
            {
                "code": p,
                "shown": shown,
                "rated": bool(scores.n_answers[p] > 0),
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
        "schema": 1,
        "methodology": {
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
