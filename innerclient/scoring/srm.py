"""Social Relations Model (SRM) decomposition of a department round robin.

In a round robin every department rates every other one: X[i, j] is how department i (the
actor, the rater) rates department j (the partner, the rated). The SRM (Warner, Kenny &
Stoto 1979; Kenny 1994, "Interpersonal Perception", appendix B) splits each rating into

    X[i, j] = m + a_i + b_j + g_ij

actor effect a_i (how i rates others: leniency), partner effect b_j (how j is rated by
others: the customer-centricity signal), and relationship g_ij (how i rates j in
particular). Reciprocity comes at two levels: actor-partner (does a department that rates
leniently get rated well?) and dyadic (does i rating j unusually high go with j rating i
unusually high? — the signature of mutual inflation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

MAX_ITERATIONS = 10_000
TOLERANCE = 1e-12


@dataclass(frozen=True)
class RoundRobin:
    """Effects and variance components of one round robin of n departments.

    Variances may come out negative (a method-of-moments estimate of a variance that is
    truly near zero); they are returned as computed and the correlations are nan then.
    ``n_missing_dyads`` counts off-diagonal cells that were missing (see ``round_robin``).
    """

    n: int
    mean: float
    actor_effects: NDArray[np.float64]
    partner_effects: NDArray[np.float64]
    relationship_effects: NDArray[np.float64]
    actor_variance: float
    partner_variance: float
    relationship_variance: float
    actor_partner_covariance: float
    dyadic_covariance: float
    actor_partner_correlation: float
    dyadic_reciprocity: float
    n_missing: int


def _effects(x: NDArray[np.float64]) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Kenny's actor and partner effect estimates for a complete round robin.

    With row means M_i. and column means M_.j over the n - 1 partners and grand mean M:
    a_i = (n-1)^2 / (n(n-2)) M_i. + (n-1) / (n(n-2)) M_.i - (n-1) / (n-2) M, and b_j the
    same with rows and columns exchanged. These differ from plain centred row means because
    the missing diagonal makes row and column means depend on each other.
    """
    n = x.shape[0]
    row = np.nanmean(x, axis=1)
    col = np.nanmean(x, axis=0)
    grand = float(np.nanmean(x))
    c1 = (n - 1) ** 2 / (n * (n - 2))
    c2 = (n - 1) / (n * (n - 2))
    c3 = (n - 1) / (n - 2)
    return grand, c1 * row + c2 * col - c3 * grand, c1 * col + c2 * row - c3 * grand


def round_robin(matrix: ArrayLike) -> RoundRobin:
    """SRM estimates for a round robin with one observation per directed dyad.

    ``matrix`` is n x n (n >= 4), the diagonal ignored (self-ratings are no part of it).
    Effects as in ``_effects``; relationship effects g_ij = X_ij - a_i - b_j - M. Variance
    components by the ANOVA (method of moments) estimators of Warner, Kenny & Stoto (1979),
    Kenny (1994):

    - MS_a = sum a_i^2 / (n-1),  MS_b = sum b_i^2 / (n-1),  MS_ab = sum a_i b_i / (n-1)
    - MS_s = sum_{i<j} (g_ij + g_ji)^2 / 2 / ((n-1)(n-2)/2 - 1)
    - MS_d = sum_{i<j} (g_ij - g_ji)^2 / 2 / ((n-1)(n-2)/2)
    - relationship variance s_g^2 = (MS_s + MS_d) / 2, dyadic covariance s_gg = (MS_s - MS_d) / 2
    - actor variance  s_a^2 = MS_a - s_g^2 (n-1) / (n(n-2)) - s_gg / (n(n-2))
    - partner variance s_b^2 = MS_b - s_g^2 (n-1) / (n(n-2)) - s_gg / (n(n-2))
    - actor-partner covariance s_ab = MS_ab - s_gg (n-1) / (n(n-2)) - s_g^2 / (n(n-2))
    - correlations: r_ab = s_ab / sqrt(s_a^2 s_b^2), dyadic reciprocity r_gg = s_gg / s_g^2

    Missing dyads (nan off the diagonal) make the closed formulas inapplicable. We then use
    the least-squares approximation: the missing cells are filled with m + a_i + b_j and the
    effects re-estimated until the filled values stop changing (an EM iteration: its fixed
    point is the least-squares fit of the additive part to the observed cells). Relationship
    effects of missing cells stay nan; the dyad sums in MS_s and MS_d run over complete
    dyads only and are scaled up by (all dyads / complete dyads). With few missing cells the
    estimates are close to those of the complete matrix; with many they are rough, and the
    caller should say so (``n_missing``).
    """
    x = np.array(matrix, dtype=float)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise ValueError("a round robin is a square matrix")
    n = x.shape[0]
    if n < 4:
        raise ValueError("the SRM needs at least 4 departments")
    np.fill_diagonal(x, np.nan)
    off = ~np.eye(n, dtype=bool)
    missing = off & ~np.isfinite(x)
    n_missing = int(missing.sum())
    if n_missing and (np.all(missing | ~off, axis=1).any() or np.all(missing | ~off, axis=0).any()):
        raise ValueError("every department must rate and be rated at least once")

    if n_missing:
        filled = x.copy()
        # Start from the observed row and column means, a fair first guess.
        start = (np.nanmean(x, axis=1)[:, None] + np.nanmean(x, axis=0)[None, :]) / 2
        filled[missing] = start[missing]
        for _ in range(MAX_ITERATIONS):
            grand, a, b = _effects(filled)
            update = (grand + a[:, None] + b[None, :])[missing]
            change = float(np.max(np.abs(update - filled[missing])))
            filled[missing] = update
            if change < TOLERANCE * max(1.0, abs(grand)):
                break
        else:
            raise RuntimeError("round robin imputation did not converge")
        work = filled
    else:
        work = x
    grand, a, b = _effects(work)
    g = work - grand - a[:, None] - b[None, :]
    np.fill_diagonal(g, np.nan)
    g[missing] = np.nan

    upper = np.triu(off, k=1)
    gij = g[upper]
    gji = g.T[upper]
    complete = np.isfinite(gij) & np.isfinite(gji)
    n_dyads = n * (n - 1) // 2
    scale_up = n_dyads / complete.sum() if complete.any() else np.nan
    ss_sum = float(((gij[complete] + gji[complete]) ** 2 / 2).sum()) * scale_up
    ss_diff = float(((gij[complete] - gji[complete]) ** 2 / 2).sum()) * scale_up
    ms_s = ss_sum / ((n - 1) * (n - 2) / 2 - 1)
    ms_d = ss_diff / ((n - 1) * (n - 2) / 2)
    var_g = (ms_s + ms_d) / 2
    cov_g = (ms_s - ms_d) / 2
    ms_a = float((a**2).sum() / (n - 1))
    ms_b = float((b**2).sum() / (n - 1))
    ms_ab = float((a * b).sum() / (n - 1))
    k = n * (n - 2)
    var_a = ms_a - var_g * (n - 1) / k - cov_g / k
    var_b = ms_b - var_g * (n - 1) / k - cov_g / k
    cov_ab = ms_ab - cov_g * (n - 1) / k - var_g / k
    r_ab = cov_ab / np.sqrt(var_a * var_b) if var_a > 0 and var_b > 0 else float("nan")
    r_gg = cov_g / var_g if var_g > 0 else float("nan")
    return RoundRobin(
        n=n,
        mean=grand,
        actor_effects=a,
        partner_effects=b,
        relationship_effects=g,
        actor_variance=float(var_a),
        partner_variance=float(var_b),
        relationship_variance=float(var_g),
        actor_partner_covariance=float(cov_ab),
        dyadic_covariance=float(cov_g),
        actor_partner_correlation=float(r_ab),
        dyadic_reciprocity=float(r_gg),
        n_missing=n_missing,
    )
