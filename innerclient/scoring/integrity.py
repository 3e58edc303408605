"""Integrity checks: answers and rating patterns that do not look like honest judgement.

- ``mutual_inflation``: pairs of departments that rate each other unusually high, judged by
  the relationship effects of the Social Relations Model (least squares on the observed
  cells), so that a department that is lenient with everybody (a large actor effect) is
  not mistaken for one that favours a partner.
- ``straight_lining``: responses that give the same score to every item.
- ``speeders``: responses completed implausibly fast for the number of items answered.

These are flags for a human to look at, never automatic exclusions: a department may rate
another highly because it serves it well, and a fast, uniform response may be sincere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from innerclient.scoring.adjust import additive

# Fewer departments leave no residual worth judging.
MIN_DEPARTMENTS = 4


@dataclass(frozen=True)
class InflationPair:
    """Two departments whose ratings of each other both stand out.

    ``excess_ab`` is the SRM relationship effect g_ab of ``a`` rating ``b`` (in scale
    points: how much higher a rates b than a's leniency and b's standing predict), and
    ``excess_ba`` the same for b rating a; ``a < b``. Both exceeded ``threshold``.
    """

    a: int
    b: int
    excess_ab: float
    excess_ba: float
    threshold: float


def mutual_inflation(
    matrix: ArrayLike, *, min_excess: float = 0.5, min_sd: float = 2.0
) -> list[InflationPair]:
    """Pairs of departments that both rate the other far above what their standing predicts.

    ``matrix`` is n x n: matrix[i, j] is the mean score the raters of department i gave
    department j, nan where there is none; the diagonal (self-assessment) is ignored.

    Method. The additive part of the Social Relations Model, X[i, j] = m + a_i + b_j + g_ij
    (a_i: how leniently i rates everybody, b_j: how well j is rated by everybody), is
    fitted by least squares to the observed cells (``adjust.additive`` with rater i and
    ratee j); the residual g_ij is the relationship effect: what remains of i's rating of j
    after i's leniency and j's standing. This is the fixed point ``srm.round_robin``'s fill
    converges to, but it keeps every department, so it works on the sparse designs of a
    real company, where many departments rate but are never rated. Adding a constant to a
    department's whole row changes a_i, never g. A residual is informative only when i
    rates at least two departments and j is rated by at least two (otherwise it is zero by
    construction); with s the standard deviation (ddof = 1) of the informative residuals,

        threshold = max(min_excess, min_sd * s)

    and a pair (a, b), a < b, is flagged when g_ab > threshold and g_ba > threshold (both
    strictly). Under independent normal relationship effects one direction passes two
    standard deviations with probability about 2.3 %, both about 0.05 %. ``min_excess``
    (in the matrix's unit) keeps a very homogeneous organization from flagging trivial
    differences.

    Result sorted by min(excess_ab, excess_ba) descending, then (a, b). With fewer than 4
    departments that rate and are rated, or fewer than 2 informative residuals, the check
    is not possible and the result is ``[]``. Raises ValueError for a non-square matrix,
    infinite entries or negative parameters.
    """
    x = np.array(matrix, dtype=float)
    if x.ndim != 2 or x.shape[0] != x.shape[1]:
        raise ValueError(f"matrix must be square (n x n), got shape {x.shape}")
    if np.isinf(x).any():
        raise ValueError("matrix entries must be finite or nan (no rating)")
    if not (np.isfinite(min_excess) and min_excess >= 0):
        raise ValueError("min_excess must be a finite number >= 0")
    if not (np.isfinite(min_sd) and min_sd >= 0):
        raise ValueError("min_sd must be a finite number >= 0")
    np.fill_diagonal(x, np.nan)
    observed = np.isfinite(x)
    both = observed.any(axis=1) & observed.any(axis=0)
    if both.sum() < MIN_DEPARTMENTS:
        return []
    rows, cols = np.nonzero(observed)
    values = x[rows, cols]
    fit = additive(cols, rows, values)
    residual = values - (fit.mean + fit.ratee_effects[cols] + fit.rater_effects[rows])
    informative = (observed.sum(axis=1)[rows] >= 2) & (observed.sum(axis=0)[cols] >= 2)
    if informative.sum() < 2:
        return []
    threshold = max(float(min_excess), float(min_sd) * float(np.std(residual[informative], ddof=1)))
    g = np.full(x.shape, np.nan)
    g[rows[informative], cols[informative]] = residual[informative]
    i, j = np.triu_indices(x.shape[0], k=1)
    g_ij, g_ji = g[i, j], g[j, i]
    # nan compares False, so a dyad with a missing direction is never flagged.
    hit = (g_ij > threshold) & (g_ji > threshold)
    a, b, g_ab, g_ba = i[hit], j[hit], g_ij[hit], g_ji[hit]
    order = np.lexsort((b, a, -np.minimum(g_ab, g_ba)))
    return [
        InflationPair(
            a=int(a[k]),
            b=int(b[k]),
            excess_ab=float(g_ab[k]),
            excess_ba=float(g_ba[k]),
            threshold=threshold,
        )
        for k in order
    ]


def _codes(x: ArrayLike, name: str) -> NDArray[np.int64]:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must hold finite integer values")
        if not np.all(np.equal(np.mod(arr, 1), 0)):
            raise ValueError(f"{name} must hold integer values")
    out = arr.astype(np.int64)
    if out.size and out.min() < 0:
        raise ValueError(f"{name} must be non-negative")
    return out


def straight_lining(
    response: ArrayLike,
    score: ArrayLike,
    n_responses: int | None = None,
    *,
    min_items: int = 5,
) -> NDArray[np.bool_]:
    """Per response code: did it give one and the same score to every item it scored?

    ``response`` is the response code of each answer (0 .. n_responses - 1) and ``score``
    its score, nan where the answer carries none ("did not interact", not scored). With
    S_r the scored answers of response r:

        straight_lined[r] = |S_r| >= min_items  and  max(S_r) = min(S_r)

    Equality is exact (scores are scale points). Computed in one pass without sorting:
    each answer is compared with one reference answer of its response, and
    ``np.bincount`` counts the scored answers and the mismatches per response. A response
    with fewer than ``min_items`` scored answers (too short to judge) is False; the result
    has length ``n_responses`` (default: largest code + 1), codes without answers False.
    """
    r = _codes(response, "response")
    x = np.asarray(score, dtype=float)
    if x.shape != r.shape:
        raise ValueError(f"response and score must have equal length, got {r.shape} and {x.shape}")
    if np.isinf(x).any():
        raise ValueError("scores must be finite or nan (not scored)")
    if isinstance(min_items, bool) or not isinstance(min_items, int | np.integer) or min_items < 2:
        raise ValueError("min_items must be an integer >= 2 (one answer cannot straight-line)")
    size = _size(r, n_responses, "n_responses", "response")
    scored = np.isfinite(x)
    r, x = r[scored], x[scored]
    count = np.bincount(r, minlength=size)
    # Any member of the response serves as its reference; with repeated indices the
    # assignment keeps one of them, which is all the comparison needs.
    reference = np.zeros(size)
    reference[r] = x
    mismatches = np.bincount(r, weights=(x != reference[r]), minlength=size)
    return np.asarray((count >= min_items) & (mismatches == 0), dtype=np.bool_)


def _size(codes: NDArray[np.int64], given: int | None, name: str, what: str) -> int:
    needed = int(codes.max()) + 1 if codes.size else 0
    if given is None:
        return needed
    if isinstance(given, bool) or not isinstance(given, int | np.integer) or given < needed:
        raise ValueError(f"{name} must be an integer above every {what} code (>= {needed})")
    return int(given)


def speeders(
    seconds: ArrayLike,
    items: ArrayLike,
    *,
    fraction: float = 0.3,
    floor_seconds: float = 2.0,
) -> NDArray[np.bool_]:
    """Per response: was it answered too fast to have been read?

    ``seconds`` is the time each response took (nan = unknown), ``items`` the number of
    answers it scored. With rate_r = seconds_r / items_r over the responses whose time is
    known and items_r > 0,

        cutoff = max(floor_seconds, fraction * median(rate))
        speeder[r] = rate_r < cutoff

    The median is the organization's own pace, so a long or a short questionnaire moves
    the cutoff with it; ``floor_seconds`` per item is the pace below which nobody reads an
    item, whatever the median. Unknown time or items = 0 gives False. When no response has
    a known rate the median is undefined and the cutoff is ``floor_seconds`` alone.
    """
    t = np.asarray(seconds, dtype=float)
    if t.ndim != 1:
        raise ValueError("seconds must be 1-D")
    k = _codes(items, "items")
    if k.shape != t.shape:
        raise ValueError(f"seconds and items must have equal length, got {t.shape} and {k.shape}")
    if np.isinf(t).any() or (t < 0).any():
        raise ValueError("seconds must be >= 0 and finite, or nan (unknown)")
    if not (np.isfinite(fraction) and 0 <= fraction <= 1):
        raise ValueError("fraction must lie in [0, 1]")
    if not (np.isfinite(floor_seconds) and floor_seconds >= 0):
        raise ValueError("floor_seconds must be a finite number >= 0")
    known = np.isfinite(t) & (k > 0)
    rate = np.full(t.shape, np.nan)
    rate[known] = t[known] / k[known]
    cutoff = float(floor_seconds)
    if known.any():
        cutoff = max(cutoff, float(fraction) * float(np.median(rate[known])))
    return np.asarray(known & (np.where(known, rate, np.inf) < cutoff), dtype=np.bool_)
