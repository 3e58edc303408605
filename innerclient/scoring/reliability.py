"""Reliability of an evaluation: do raters agree, do criteria measure one thing.

- ``icc``: the six intraclass correlations of Shrout & Fleiss (1979).
- ``krippendorff_alpha``: Krippendorff's alpha for raters x units with missing values.
- ``cronbach_alpha``: internal consistency of the criteria of a questionnaire.
- ``icc1_groups``: ICC(1) of an unbalanced one-way design (raters nested in targets).
- ``krippendorff_alpha_long``, ``krippendorff_alpha_counts``: the same alpha from long data
  or a units x values table, for big data.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")


def _matrix(x: ArrayLike, *, name: str) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {arr.shape}")
    return arr


def icc(x: ArrayLike) -> dict[str, float]:
    """The six intraclass correlations of Shrout & Fleiss (1979) for a complete design.

    ``x`` is n targets x k raters with no missing values. From the two-way ANOVA:

    - BMS = k * sum_i (mean_i. - mean)^2 / (n - 1)            (between targets)
    - JMS = n * sum_j (mean_.j - mean)^2 / (k - 1)            (between raters, "judges")
    - WMS = sum_ij (x_ij - mean_i.)^2 / (n (k - 1))           (within targets)
    - EMS = (SS_total - SS_targets - SS_raters) / ((n - 1)(k - 1))   (residual)

    and then

    - ICC1  = (BMS - WMS) / (BMS + (k - 1) WMS)               one-way random, single rater
    - ICC2  = (BMS - EMS) / (BMS + (k - 1) EMS + k (JMS - EMS) / n)   two-way random, single
    - ICC3  = (BMS - EMS) / (BMS + (k - 1) EMS)               two-way mixed, single (consistency)
    - ICC1k = (BMS - WMS) / BMS                               mean of k raters
    - ICC2k = (BMS - EMS) / (BMS + (JMS - EMS) / n)
    - ICC3k = (BMS - EMS) / BMS
    """
    arr = _matrix(x, name="x")
    n, k = arr.shape
    if n < 2 or k < 2:
        raise ValueError("icc needs at least 2 targets and 2 raters")
    if not np.all(np.isfinite(arr)):
        raise ValueError("icc needs a complete matrix: no nan or inf")
    grand = arr.mean()
    row_means = arr.mean(axis=1)
    col_means = arr.mean(axis=0)
    ss_total = float(((arr - grand) ** 2).sum())
    ss_rows = float(k * ((row_means - grand) ** 2).sum())
    ss_cols = float(n * ((col_means - grand) ** 2).sum())
    # Sums of squares that are zero up to rounding are zero: otherwise a table without
    # variation (every target rated alike) gives 1e-17 / 1e-33 and an "ICC" of 1e16.
    tiny = 1e-12 * max(ss_total, float((arr**2).sum()), 1.0)
    ss_total, ss_rows, ss_cols = (v if abs(v) > tiny else 0.0 for v in (ss_total, ss_rows, ss_cols))
    ss_within, ss_error = (
        v if abs(v) > tiny else 0.0 for v in (ss_total - ss_rows, ss_total - ss_rows - ss_cols)
    )
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    wms = ss_within / (n * (k - 1))
    ems = ss_error / ((n - 1) * (k - 1))
    # A denominator that is zero up to rounding makes the coefficient undefined (nan), not
    # a rounding artefact of 1e16.
    scale = max(abs(bms), abs(jms), abs(wms), abs(ems))

    def ratio(numerator: float, denominator: float) -> float:
        if abs(denominator) <= 1e-12 * scale:
            return float("nan")
        return float(numerator / denominator)

    return {
        "ICC1": ratio(bms - wms, bms + (k - 1) * wms),
        "ICC2": ratio(bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC3": ratio(bms - ems, bms + (k - 1) * ems),
        "ICC1k": ratio(bms - wms, bms),
        "ICC2k": ratio(bms - ems, bms + (jms - ems) / n),
        "ICC3k": ratio(bms - ems, bms),
    }


def _delta_squared(
    values: NDArray[np.float64], n_c: NDArray[np.float64], level: str
) -> NDArray[np.float64]:
    """Krippendorff's difference function delta^2(c, k) for every pair of observed values."""
    c = values[:, None]
    k = values[None, :]
    if level == "nominal":
        return np.asarray(c != k, dtype=float)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            out = ((c - k) / (c + k)) ** 2
        # c + k == 0 only when c == k == 0, where the difference is zero by definition.
        return np.where(c + k == 0, 0.0, out)
    # ordinal: (sum_{g between c and k} n_g - (n_c + n_k) / 2)^2, values sorted ascending.
    cum = np.cumsum(n_c)
    lo = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
    hi = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
    between = cum[hi] - np.concatenate(([0.0], cum))[lo]
    return (between - (n_c[:, None] + n_c[None, :]) / 2) ** 2


def krippendorff_alpha(x: ArrayLike, level: Level | str = "interval") -> float:
    """Krippendorff's alpha for reliability data ``x``: raters x units, ``nan`` for missing.

    Only units with at least two values are pairable. With m_u values in unit u, the
    coincidence matrix is o_ck = sum_u (number of ordered pairs (c, k) of values from
    different raters in u) / (m_u - 1); n_c = sum_k o_ck and n = sum_c n_c. Then

        alpha = 1 - D_o / D_e = 1 - (n - 1) * sum_ck o_ck delta^2_ck / sum_ck n_c n_k delta^2_ck

    with delta^2 = [c != k] (nominal), (c - k)^2 (interval), ((c - k) / (c + k))^2 (ratio),
    (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2 (ordinal). Krippendorff, "Computing Krippendorff's
    Alpha-Reliability" (2011). Returns nan when there is no variation to disagree about.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    arr = _matrix(x, name="x")
    present = np.isfinite(arr)
    m_u = present.sum(axis=0)
    pairable = m_u >= 2
    data = arr[:, pairable]
    present = present[:, pairable]
    m_u = m_u[pairable]
    if data.size == 0:
        return float("nan")
    values = np.unique(data[present])
    if len(values) < 2:
        return float("nan")
    # counts[u, v]: how many raters gave value v to unit u. Transposing makes both the
    # boolean indexing and nonzero() walk unit by unit, so unit_index and codes line up.
    unit_index = np.nonzero(present.T)[0]
    codes = np.searchsorted(values, data.T[present.T])
    counts = np.zeros((data.shape[1], len(values)))
    np.add.at(counts, (unit_index, codes), 1.0)
    return krippendorff_alpha_counts(counts, values, level)


def krippendorff_alpha_counts(
    counts: ArrayLike, values: ArrayLike, level: Level | str = "interval"
) -> float:
    """Krippendorff's alpha from a units x values table: ``counts[u, v]`` raters gave unit u
    the value ``values[v]`` (``values`` ascending, distinct).

    Same coefficient as ``krippendorff_alpha`` (the rater's identity is not needed once the
    values of a unit are counted): with m_u = sum_v counts[u, v], units with m_u >= 2 give
    o_ck = sum_u (n_uc n_uk - [c = k] n_uc) / (m_u - 1). It needs memory for units x values
    only, so a million answers are cheap.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    table = np.asarray(counts, dtype=float)
    vals = np.asarray(values, dtype=float).ravel()
    if table.ndim != 2 or table.shape[1] != vals.size:
        raise ValueError("counts must be units x values, one column per value")
    if np.any(np.diff(vals) <= 0):
        raise ValueError("values must be ascending and distinct")
    m_u = table.sum(axis=1)
    table = table[m_u >= 2]
    m_u = m_u[m_u >= 2]
    used = table.sum(axis=0) > 0
    table, vals = table[:, used], vals[used]
    if table.size == 0 or vals.size < 2:
        return float("nan")
    weighted = table / (m_u - 1)[:, None]
    coincidence = weighted.T @ table - np.diag(weighted.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    delta2 = _delta_squared(vals, n_c, level)
    observed = float((coincidence * delta2).sum())
    expected = float((np.outer(n_c, n_c) * delta2).sum())
    if expected == 0:
        return float("nan")
    return float(1.0 - (n - 1) * observed / expected)


def krippendorff_alpha_long(
    unit: ArrayLike, value: ArrayLike, level: Level | str = "interval"
) -> float:
    """Krippendorff's alpha from long data: one row per value, ``unit`` its unit code (the
    counts of ``krippendorff_alpha_counts`` are built here). nan values are ignored."""
    u = np.asarray(unit, dtype=np.int64).ravel()
    v = np.asarray(value, dtype=float).ravel()
    if u.shape != v.shape:
        raise ValueError("unit and value must have equal length")
    ok = np.isfinite(v)
    u, v = u[ok], v[ok]
    if u.size == 0:
        return float("nan")
    values, codes = np.unique(v, return_inverse=True)
    units, unit_index = np.unique(u, return_inverse=True)
    counts = np.bincount(
        unit_index * values.size + codes, minlength=units.size * values.size
    ).reshape(units.size, values.size)
    return krippendorff_alpha_counts(counts, values, level)


def icc1_groups(group: ArrayLike, value: ArrayLike) -> float:
    """ICC(1) for raters nested in targets with unequal group sizes (one-way random ANOVA).

    With g groups (targets) of sizes n_i, N = sum n_i: MSB = sum n_i (mean_i - mean)^2 /
    (g - 1), MSW = sum_i sum_j (x_ij - mean_i)^2 / (N - g), and the average group size
    n0 = (N - sum n_i^2 / N) / (g - 1) (Snedecor & Cochran; McGraw & Wong 1996). Then

        ICC(1) = (MSB - MSW) / (MSB + (n0 - 1) MSW).

    With equal group sizes it equals Shrout & Fleiss's ICC1. It is the share of the
    variance of one rater's figure that lies between targets: near 0, raters of the same
    department agree no more than raters of different departments. Groups with one value
    carry no within-group information and are dropped; nan when fewer than 2 groups remain.
    """
    gr = np.asarray(group, dtype=np.int64).ravel()
    x = np.asarray(value, dtype=float).ravel()
    if gr.shape != x.shape:
        raise ValueError("group and value must have equal length")
    ok = np.isfinite(x)
    gr, x = gr[ok], x[ok]
    if gr.size == 0:
        return float("nan")
    if gr.min() < 0:
        raise ValueError("group codes must be non-negative")
    # Groups with one value carry no within-group information: drop them, then compact.
    counts = np.bincount(gr)
    keep = counts[gr] >= 2
    gr, x = gr[keep], x[keep]
    present = np.nonzero(counts >= 2)[0]
    g = present.size
    if g < 2:
        return float("nan")
    compact = np.full(counts.size, -1, dtype=np.int64)
    compact[present] = np.arange(g)
    gi = compact[gr]
    sizes = counts[present].astype(float)
    big_n = float(sizes.sum())
    means = np.bincount(gi, weights=x) / sizes
    grand = float(x.mean())
    msb = float((sizes * (means - grand) ** 2).sum() / (g - 1))
    msw = float(((x - means[gi]) ** 2).sum() / (big_n - g))
    n0 = (big_n - float((sizes**2).sum()) / big_n) / (g - 1)
    denominator = msb + (n0 - 1) * msw
    if denominator == 0:
        return float("nan")
    return float((msb - msw) / denominator)


def cronbach_alpha(x: ArrayLike) -> float:
    """Cronbach's alpha of ``x``: respondents x items.

    alpha = k / (k - 1) * (1 - sum_j var(item_j) / var(sum of items)), sample variances
    (ddof = 1). Respondents with a missing item are dropped (listwise), because the
    formula compares variances of the same people. Needs k >= 2 items and 2 respondents.
    """
    arr = _matrix(x, name="x")
    arr = arr[np.all(np.isfinite(arr), axis=1)]
    n, k = arr.shape
    if k < 2 or n < 2:
        raise ValueError("cronbach_alpha needs at least 2 complete respondents and 2 items")
    item_var = arr.var(axis=0, ddof=1).sum()
    total_var = arr.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return float("nan")
    return float(k / (k - 1) * (1 - item_var / total_var))
