"""Leniency adjustment: the additive two-way model for an incomplete rating design.

A lenient rater lifts every department he rates; a department rated only by lenient raters
looks better than it is. The additive model separates the two:

    score_r = mean + ratee_effect[ratee_r] + rater_effect[rater_r] + error_r

fitted by ordinary least squares over the answers actually given (an incomplete design),
with sum-to-zero effects: sum of ratee effects = 0 and sum of rater effects = 0, each sum
taken over the codes that occur, every code counted once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.csgraph
import scipy.sparse.linalg
from numpy.typing import ArrayLike, NDArray

# Above this many levels of the kept factor the reduced system is solved by conjugate
# gradients instead of a dense Cholesky factorisation (which grows with the cube).
DENSE_LIMIT = 2000


@dataclass(frozen=True)
class Additive:
    """The fitted additive model.

    ``ratee_effects[c]`` and ``rater_effects[c]`` are indexed by code; a code that never
    occurs gets ``nan``. ``ratee_component`` / ``rater_component`` say which connected part
    of the design each code belongs to (-1 for absent codes); with ``n_components`` > 1,
    ratee effects are only comparable within a component (see ``additive``).
    """

    mean: float
    ratee_effects: NDArray[np.float64]
    rater_effects: NDArray[np.float64]
    n_components: int
    ratee_component: NDArray[np.int64]
    rater_component: NDArray[np.int64]

    def fitted(self, ratee: ArrayLike, rater: ArrayLike) -> NDArray[np.float64]:
        """mean + ratee effect + rater effect for each (ratee, rater) pair."""
        return (
            self.mean
            + self.ratee_effects[np.asarray(ratee, dtype=np.int64)]
            + self.rater_effects[np.asarray(rater, dtype=np.int64)]
        )


def _codes(x: ArrayLike, name: str) -> NDArray[np.int64]:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D")
    fractional = arr.size and not np.issubdtype(arr.dtype, np.integer)
    if fractional and not np.all(np.equal(np.mod(arr, 1), 0)):
        raise ValueError(f"{name} must hold integer codes")
    arr = arr.astype(np.int64)
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} codes must be non-negative")
    return arr


def _solve_reduced(
    keep_d: NDArray[np.float64],
    cross: scipy.sparse.csr_array,
    abs_d: NDArray[np.float64],
    rhs: NDArray[np.float64],
    anchors: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Solve (D_keep - C D_abs^-1 C') x = rhs, a singular positive semi-definite system.

    Each connected component contributes exactly one null direction (its constant vector)
    and the right-hand side sums to zero inside every component, so the system is
    consistent. Small systems: one level per component is fixed at 0, which leaves a
    positive-definite matrix for a dense Cholesky solve. Large ones: conjugate gradients
    on the operator itself, never formed (a near-dense matrix of that size would not fit),
    with a Jacobi preconditioner; any drift along the null directions is removed later by
    the centring, because it does not change fitted values.
    """
    m = keep_d.size
    scaled = cross @ scipy.sparse.diags_array(1.0 / abs_d)
    if m <= DENSE_LIMIT:
        reduced = np.diag(keep_d) - (scaled @ cross.T).toarray()
        keep = np.ones(m, dtype=bool)
        keep[anchors] = False
        out = np.zeros(m)
        if keep.any():
            out[keep] = scipy.linalg.solve(reduced[np.ix_(keep, keep)], rhs[keep], assume_a="pos")
        return out

    def matvec(v: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(keep_d * v - scaled @ (cross.T @ v), dtype=float)

    operator = scipy.sparse.linalg.LinearOperator((m, m), matvec=matvec, dtype=float)
    diagonal = keep_d - np.asarray((scaled.multiply(cross)).sum(axis=1)).ravel()
    precond = scipy.sparse.diags_array(1.0 / np.maximum(diagonal, 1e-12 * keep_d))
    out, info = scipy.sparse.linalg.cg(
        operator, rhs, rtol=1e-12, atol=0.0, maxiter=10 * m, M=precond
    )
    if info != 0:
        raise RuntimeError(f"conjugate gradients did not converge (info={info})")
    return np.asarray(out, dtype=float)


def additive(ratee: ArrayLike, rater: ArrayLike, score: ArrayLike) -> Additive:
    """Least-squares fit of score = mean + ratee effect + rater effect + error.

    Method (exact, no dense design matrix): let N be the sparse ratee x rater count matrix,
    D_a, D_b the answer counts per ratee and per rater, s_a, s_b the score sums. The normal
    equations are D_a a + N b = s_a and N' a + D_b b = s_b. Absorbing the factor with more
    levels (say b = D_b^-1 (s_b - N' a)) leaves the small reduced system

        (D_a - N D_b^-1 N') a = s_a - N D_b^-1 s_b,

    solved per connected component with one level anchored; the other factor follows by
    back-substitution. The cost is one pass over the answers plus a solve whose size is
    the smaller number of levels, so a million answers take well under a second.

    Identification. Within a connected part of the design (ratees and raters linked by
    answers) only differences of effects are estimable. Effects are centred so that rater
    effects sum to zero inside every component, then ratee effects sum to zero over all
    ratees and the overall mean absorbs the rest. When the design is disconnected, this
    means the average leniency of each component's raters is taken as equal: between
    components no adjustment is possible, so ratees there are compared as raw means would
    compare them. ``n_components`` and the component arrays let the caller say so.
    """
    a = _codes(ratee, "ratee")
    b = _codes(rater, "rater")
    y = np.asarray(score, dtype=float)
    if not (a.shape == b.shape == y.shape):
        raise ValueError("ratee, rater and score must have equal length")
    if y.size == 0:
        raise ValueError("additive needs at least one answer")
    if not np.all(np.isfinite(y)):
        raise ValueError("scores must be finite")

    n_a_codes = int(a.max()) + 1
    n_b_codes = int(b.max()) + 1
    count_a = np.bincount(a, minlength=n_a_codes).astype(float)
    count_b = np.bincount(b, minlength=n_b_codes).astype(float)
    present_a = np.nonzero(count_a)[0]
    present_b = np.nonzero(count_b)[0]
    # Compact codes: absent codes would make the system singular for no reason.
    a_map = np.full(n_a_codes, -1, dtype=np.int64)
    a_map[present_a] = np.arange(present_a.size)
    b_map = np.full(n_b_codes, -1, dtype=np.int64)
    b_map[present_b] = np.arange(present_b.size)
    ai = a_map[a]
    bi = b_map[b]
    p, q = present_a.size, present_b.size

    # Centre the scores first: it keeps the sums small and the solve well conditioned.
    shift = float(y.mean())
    yc = y - shift
    da = count_a[present_a]
    db = count_b[present_b]
    sa = np.bincount(ai, weights=yc, minlength=p)
    sb = np.bincount(bi, weights=yc, minlength=q)
    counts = scipy.sparse.csr_array(
        (np.ones(y.size), (ai, bi)), shape=(p, q)
    )  # duplicates are summed: several answers by one rater about one ratee
    counts.sum_duplicates()

    # Connected components of the bipartite ratee-rater graph.
    # Adjacency of the bipartite graph: ratee nodes 0..p-1, rater nodes p..p+q-1.
    graph = scipy.sparse.coo_array((np.ones(y.size), (ai, p + bi)), shape=(p + q, p + q)).tocsr()
    n_comp, labels = scipy.sparse.csgraph.connected_components(graph, directed=False)
    comp_a = labels[:p]
    comp_b = labels[p:]

    # Keep the factor with fewer levels, absorb the other.
    if p <= q:
        keep_d, keep_s, abs_d, abs_s, cross, comp_keep = da, sa, db, sb, counts, comp_a
    else:
        keep_d, keep_s, abs_d, abs_s, cross, comp_keep = db, sb, da, sa, counts.T.tocsr(), comp_b
    rhs = keep_s - cross @ (abs_s / abs_d)
    # One anchor per component: its first kept level. Components are contiguous in neither
    # factor, so find the first index of each label.
    _, anchors = np.unique(comp_keep, return_index=True)
    kept = _solve_reduced(keep_d, cross, abs_d, rhs, anchors.astype(np.int64))
    absorbed = (abs_s - cross.T @ kept) / abs_d
    if p <= q:
        alpha, beta = kept, absorbed
    else:
        alpha, beta = absorbed, kept

    # Identification: rater effects sum to zero inside each component; the ratee effects
    # of that component take the opposite shift, which leaves fitted values unchanged.
    beta_comp_mean = np.bincount(comp_b, weights=beta, minlength=n_comp) / np.bincount(
        comp_b, minlength=n_comp
    )
    beta = beta - beta_comp_mean[comp_b]
    alpha = alpha + beta_comp_mean[comp_a]
    grand = float(alpha.mean())
    alpha = alpha - grand

    ratee_effects = np.full(n_a_codes, np.nan)
    ratee_effects[present_a] = alpha
    rater_effects = np.full(n_b_codes, np.nan)
    rater_effects[present_b] = beta
    ratee_component = np.full(n_a_codes, -1, dtype=np.int64)
    ratee_component[present_a] = comp_a
    rater_component = np.full(n_b_codes, -1, dtype=np.int64)
    rater_component[present_b] = comp_b
    return Additive(
        mean=shift + grand,
        ratee_effects=ratee_effects,
        rater_effects=rater_effects,
        n_components=int(n_comp),
        ratee_component=ratee_component,
        rater_component=rater_component,
    )
