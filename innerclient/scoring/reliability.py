"""Reliability of an evaluation: do raters agree, do criteria measure one thing.

- ``icc``: the six intraclass correlations of Shrout & Fleiss (1979).
- ``krippendorff_alpha``: Krippendorff's alpha for raters x units with missing values.
- ``cronbach_alpha``: internal consistency of the criteria of a questionnaire.
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
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    wms = (ss_total - ss_rows) / (n * (k - 1))
    ems = (ss_total - ss_rows - ss_cols) / ((n - 1) * (k - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "ICC1": float(np.divide(bms - wms, bms + (k - 1) * wms)),
            "ICC2": float(np.divide(bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n)),
            "ICC3": float(np.divide(bms - ems, bms + (k - 1) * ems)),
            "ICC1k": float(np.divide(bms - wms, bms)),
            "ICC2k": float(np.divide(bms - ems, bms + (jms - ems) / n)),
            "ICC3k": float(np.divide(bms - ems, bms)),
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
    weighted = counts / (m_u - 1)[:, None]
    coincidence = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    delta2 = _delta_squared(values, n_c, level)
    observed = float((coincidence * delta2).sum())
    expected = float((np.outer(n_c, n_c) * delta2).sum())
    if expected == 0:
        return float("nan")
    return float(1.0 - (n - 1) * observed / expected)


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
