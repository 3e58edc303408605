"""Change between cycles: did a department improve or decline, and is the trend real.

- ``welch``: difference of means with Welch's unequal-variance t interval and test.
- ``brunner_munzel``: the ordinal check (no interval-scale assumption, ties allowed).
- ``benjamini_hochberg``: false-discovery-rate adjustment across departments.
- ``trend``: OLS slope over three or more cycles, with its 95% interval.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike, NDArray

CONFIDENCE = 0.95


def _sample(x: ArrayLike, name: str, minimum: int = 2) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=float).ravel()
    arr = arr[np.isfinite(arr)]
    if arr.size < minimum:
        raise ValueError(f"{name} needs at least {minimum} finite values, got {arr.size}")
    return arr


@dataclass(frozen=True)
class Change:
    """delta = mean(after) - mean(before), its 95% interval, two-sided p and Welch df."""

    delta: float
    ci_low: float
    ci_high: float
    p: float
    df: float
    n_before: int
    n_after: int


def welch(before: ArrayLike, after: ArrayLike) -> Change:
    """Welch's two-sample comparison of means (unequal variances).

    delta = mean(after) - mean(before); se = sqrt(s_a^2 / n_a + s_b^2 / n_b) with sample
    variances (ddof = 1); Welch-Satterthwaite

        df = se^4 / ((s_a^2 / n_a)^2 / (n_a - 1) + (s_b^2 / n_b)^2 / (n_b - 1));

    t = delta / se, p = 2 * P(T_df > |t|), interval delta -/+ t_{0.975, df} * se.
    Both samples need two values; when both have zero variance the test is undefined
    (p and df nan, the interval collapses to delta).
    """
    b = _sample(before, "before")
    a = _sample(after, "after")
    va = a.var(ddof=1) / a.size
    vb = b.var(ddof=1) / b.size
    delta = float(a.mean() - b.mean())
    se2 = va + vb
    if se2 == 0:
        return Change(delta, delta, delta, float("nan"), float("nan"), b.size, a.size)
    se = math.sqrt(se2)
    df = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    t = delta / se
    p = float(2 * scipy.stats.t.sf(abs(t), df))
    half = float(scipy.stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    return Change(delta, delta - half, delta + half, p, float(df), b.size, a.size)


@dataclass(frozen=True)
class BrunnerMunzel:
    """Brunner-Munzel test of before vs after.

    ``p_after_higher`` estimates P(after > before) + P(after = before) / 2: 0.5 means no
    tendency, above 0.5 the after-cycle ratings tend to be higher.
    """

    p_after_higher: float
    statistic: float
    p: float
    df: float
    n_before: int
    n_after: int


def brunner_munzel(before: ArrayLike, after: ArrayLike) -> BrunnerMunzel:
    """Brunner & Munzel (2000) rank test, the ordinal check beside ``welch``.

    With mid-ranks R of the pooled sample, p_hat = (mean R_after - (n_after + 1) / 2) / n_before
    = P(after > before) + P(tie) / 2. Statistic, df and two-sided p are scipy's
    ``scipy.stats.brunnermunzel(before, after)`` (t distribution with Welch-type df).
    When all values are tied the statistic is undefined: p_hat = 0.5, p = 1.
    """
    b = _sample(before, "before")
    a = _sample(after, "after")
    ranks = scipy.stats.rankdata(np.concatenate([b, a]))
    p_hat = float((ranks[b.size :].mean() - (a.size + 1) / 2) / b.size)
    if np.all(np.concatenate([b, a]) == b[0]):
        return BrunnerMunzel(0.5, 0.0, 1.0, float("nan"), b.size, a.size)
    with warnings.catch_warnings():
        # scipy warns when one sample has no within-sample rank variance; the result it
        # returns (an infinite statistic and p = 0 for complete separation) is what we want.
        warnings.simplefilter("ignore", RuntimeWarning)
        res = scipy.stats.brunnermunzel(b, a)
    df = getattr(res, "df", float("nan"))
    return BrunnerMunzel(p_hat, float(res.statistic), float(res.pvalue), float(df), b.size, a.size)


def benjamini_hochberg(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg (1995) adjusted p-values (q-values), in the input order.

    With the m finite p-values sorted ascending p_(1) <= ... <= p_(m):
    q_(i) = min_{j >= i} min(1, m * p_(j) / j). Reject at FDR level f where q <= f.
    ``nan`` entries (no test possible) stay ``nan`` and do not count in m.
    """
    arr = np.asarray(p, dtype=float)
    out = np.full(arr.shape, np.nan)
    flat = arr.ravel()
    finite = np.isfinite(flat)
    vals = flat[finite]
    if np.any((vals < 0) | (vals > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    m = vals.size
    if m == 0:
        return out
    order = np.argsort(vals)
    scaled = vals[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    q = np.empty(m)
    q[order] = q_sorted
    out_flat = out.ravel()
    out_flat[finite] = q
    return out_flat.reshape(arr.shape)


@dataclass(frozen=True)
class Trend:
    """OLS line y = intercept + slope * x over cycles, with the slope's 95% interval."""

    slope: float
    intercept: float
    ci_low: float
    ci_high: float
    p: float
    df: int
    n: int


def trend(x: ArrayLike, y: ArrayLike) -> Trend:
    """Least-squares trend of a score ``y`` over cycle positions ``x`` (three or more cycles).

    slope = S_xy / S_xx, intercept = mean(y) - slope * mean(x); residual variance
    s^2 = SSE / (n - 2); se(slope) = s / sqrt(S_xx); t = slope / se with df = n - 2;
    interval slope -/+ t_{0.975, n-2} * se. ``x`` is usually 0, 1, 2, ... or the cycle's
    start expressed in years. Pairs with a missing value are dropped.
    """
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    if xa.shape != ya.shape:
        raise ValueError("x and y must have equal length")
    ok = np.isfinite(xa) & np.isfinite(ya)
    xa, ya = xa[ok], ya[ok]
    n = xa.size
    if n < 3:
        raise ValueError("a trend needs at least 3 cycles")
    sxx = float(((xa - xa.mean()) ** 2).sum())
    if sxx == 0:
        raise ValueError("x must vary")
    slope = float(((xa - xa.mean()) * (ya - ya.mean())).sum() / sxx)
    intercept = float(ya.mean() - slope * xa.mean())
    resid = ya - intercept - slope * xa
    df = n - 2
    s2 = float((resid**2).sum() / df)
    se = math.sqrt(s2 / sxx)
    if se == 0:
        p = 0.0 if slope != 0 else 1.0
        return Trend(slope, intercept, slope, slope, p, df, n)
    p = float(2 * scipy.stats.t.sf(abs(slope / se), df))
    half = float(scipy.stats.t.ppf(0.5 + CONFIDENCE / 2, df)) * se
    return Trend(slope, intercept, slope - half, slope + half, p, df, n)
