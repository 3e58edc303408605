"""Privacy: never show a figure that identifies a rater, directly or by subtraction.

Three rules, used by every output path (pages, exports, API):

1. **Threshold.** A figure resting on fewer than k distinct raters is suppressed (k per
   organization: default 5, allowed 3-10; comments have their own, higher threshold).
2. **Complementary suppression.** In a table published with its totals, a suppressed cell
   could be recovered as total minus the shown cells. More cells (or totals) are suppressed
   until no suppressed entry is determined by what is shown, and every group of hidden
   cells that a subtraction isolates rests on at least k raters.
3. **Differences.** Two published figures over rater sets A and B (two cycles, two filters)
   reveal the raters in A - B and B - A by subtraction; each must be empty or hold >= k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

DEFAULT_THRESHOLD = 5
MIN_THRESHOLD = 3
MAX_THRESHOLD = 10


@dataclass(frozen=True)
class Suppressed:
    """Stands in for a figure that may not be shown, with the reason to show instead.

    It deliberately carries the threshold, not the number of raters: "fewer than 5" must
    not become "exactly 2".
    """

    reason: str
    threshold: int

    def __bool__(self) -> bool:
        # A suppressed figure is falsy, so templates can write {% if figure %}.
        return False


def check_threshold(k: int, *, low: int = MIN_THRESHOLD, high: int = MAX_THRESHOLD) -> int:
    """Return ``k`` if the regulation allows it (3-10 for figures), else raise ValueError."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not low <= k <= high:
        raise ValueError(f"the anonymity threshold must be an integer from {low} to {high}")
    return int(k)


def shown[T](value: T, n_raters: int, k: int = DEFAULT_THRESHOLD) -> T | Suppressed:
    """``value`` if it rests on at least ``k`` distinct raters, else a ``Suppressed`` marker."""
    if n_raters < k:
        return Suppressed(reason=f"fewer than {k} raters", threshold=k)
    return value


def distinct_raters(
    cell: ArrayLike, rater: ArrayLike, n_cells: int | None = None
) -> NDArray[np.int64]:
    """Number of distinct raters behind each cell code (answers are rows; a rater answering
    several criteria of a cell counts once)."""
    c = np.asarray(cell, dtype=np.int64).ravel()
    r = np.asarray(rater, dtype=np.int64).ravel()
    if c.shape != r.shape:
        raise ValueError("cell and rater must have equal length")
    size = n_cells if n_cells is not None else (int(c.max()) + 1 if c.size else 0)
    if c.size == 0:
        return np.zeros(size, dtype=np.int64)
    pairs = np.unique(c * (int(r.max()) + 1) + r)
    return np.bincount(pairs // (int(r.max()) + 1), minlength=size).astype(np.int64)


def difference_is_safe(
    raters_a: ArrayLike, raters_b: ArrayLike, k: int = DEFAULT_THRESHOLD
) -> bool:
    """Whether two figures over rater sets A and B may both be shown.

    Subtracting one from the other isolates A - B and B - A; each must be empty or have at
    least ``k`` raters (the cross-cycle and cross-filter protection).
    """
    a = set(np.asarray(raters_a).ravel().tolist())
    b = set(np.asarray(raters_b).ravel().tolist())
    return all(len(d) == 0 or len(d) >= k for d in (a - b, b - a))


@dataclass(frozen=True)
class Suppression:
    """Which entries of a table with totals to hide.

    ``cells`` is rows x cols; ``row_totals``, ``col_totals`` and ``total`` say whether the
    margins are hidden too. ``primary`` marks cells hidden by the threshold itself, the rest
    of ``cells`` are complementary.
    """

    cells: NDArray[np.bool_]
    row_totals: NDArray[np.bool_]
    col_totals: NDArray[np.bool_]
    total: bool
    primary: NDArray[np.bool_]


def _extended(counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """The table with its row totals as an extra column and column totals as an extra row."""
    r, c = counts.shape
    ext = np.zeros((r + 1, c + 1), dtype=np.int64)
    ext[:r, :c] = counts
    ext[:r, c] = counts.sum(axis=1)
    ext[r, :c] = counts.sum(axis=0)
    ext[r, c] = counts.sum()
    return ext


def recoverable(hidden: NDArray[np.bool_], counts: ArrayLike) -> NDArray[np.bool_]:
    """Which hidden entries of the extended table (cells plus totals) are determined by the
    shown ones through the additivity equations (each row and column of cells sums to its
    total; the totals sum to the grand total). Empty cells (0 raters) are known zeros.

    An entry v is determined iff every solution of the homogeneous system over the hidden
    entries has v = 0, i.e. iff row v of a null-space basis is zero.
    """
    ext = _extended(np.asarray(counts, dtype=np.int64))
    rows, cols = ext.shape
    unknown = hidden & (ext > 0)
    idx = -np.ones(ext.shape, dtype=np.int64)
    idx[unknown] = np.arange(int(unknown.sum()))
    m = int(unknown.sum())
    out = np.zeros(ext.shape, dtype=bool)
    if m == 0:
        return out
    equations = []
    for i in range(rows):
        eq = np.zeros(m)
        for j in range(cols):
            if unknown[i, j]:
                eq[idx[i, j]] = -1.0 if j == cols - 1 else 1.0
        equations.append(eq)
    for j in range(cols):
        eq = np.zeros(m)
        for i in range(rows):
            if unknown[i, j]:
                eq[idx[i, j]] = -1.0 if i == rows - 1 else 1.0
        equations.append(eq)
    basis = scipy.linalg.null_space(np.array(equations))
    determined = np.linalg.norm(basis, axis=1) < 1e-9 if basis.size else np.ones(m, dtype=bool)
    out[unknown] = determined
    return out


def complementary_suppression(counts: ArrayLike, k: int = DEFAULT_THRESHOLD) -> Suppression:
    """Primary and complementary suppression for a table published with its totals.

    ``counts[i, j]`` is the number of distinct raters behind cell (i, j); the cells of a
    row (and of a column) are taken to rest on disjoint raters, as cells split by client
    department do, so that totals are sums. Steps, repeated until nothing changes:

    1. Primary: hide every non-empty entry (cell or total) with fewer than k raters.
    2. Line rule: in a row or column whose total is shown, the hidden cells together must
       rest on at least k raters (one hidden cell alone is recovered as total minus the
       rest); otherwise hide the smallest shown non-empty cell of that line, or, if there
       is none, the line's total.
    3. Linear check: any hidden entry still determined by the shown ones (``recoverable``,
       e.g. a cell bridging two otherwise protected groups) gets a partner: the smallest
       shown non-empty entry of its row or column is hidden too.

    Hiding only grows, so the loop ends; in the worst case everything is hidden.
    """
    table = np.asarray(counts, dtype=np.int64)
    if table.ndim != 2:
        raise ValueError("counts must be a 2-D table")
    if np.any(table < 0):
        raise ValueError("counts must be non-negative")
    ext = _extended(table)
    rows, cols = ext.shape
    nonempty = ext > 0
    hidden = nonempty & (ext < k)
    primary = hidden[:-1, :-1].copy()

    def hide_smallest(candidates: NDArray[np.bool_]) -> bool:
        """Hide one more entry among ``candidates``; False if there is none to hide.

        Prefer an entry whose other line already has a hidden entry: it closes a cycle of
        hidden cells instead of starting a new line that would need a partner of its own
        (greedy, not optimal; cell suppression at minimum cost is NP-hard). Among those,
        the entry with the fewest raters, so as little as possible is lost.
        """
        pool = candidates & nonempty & ~hidden
        if not pool.any():
            return False
        live = hidden & nonempty
        per_row = live.sum(axis=1)
        per_col = live.sum(axis=0)
        best: tuple[int, int, int, int] | None = None
        for i, j in np.argwhere(pool):
            key = (0 if per_row[i] + per_col[j] >= 2 else 1, int(ext[i, j]), int(i), int(j))
            if best is None or key < best:
                best = key
        assert best is not None
        hidden[best[2], best[3]] = True
        return True

    # Every line of the extended table: its cells and the position of its total.
    lines: list[tuple[NDArray[np.bool_], tuple[int, int]]] = []
    for i in range(rows):
        mask = np.zeros_like(hidden)
        mask[i, : cols - 1] = True
        lines.append((mask, (i, cols - 1)))
    for j in range(cols):
        mask = np.zeros_like(hidden)
        mask[: rows - 1, j] = True
        lines.append((mask, (rows - 1, j)))

    changed = True
    while changed:
        changed = False
        for cells, total_pos in lines:
            if hidden[total_pos]:
                continue
            hidden_cells = cells & hidden & nonempty
            hidden_sum = int(ext[hidden_cells].sum())
            if hidden_cells.sum() == 1 or 0 < hidden_sum < k:
                if not hide_smallest(cells):
                    hidden[total_pos] = True
                changed = True
        if changed:
            continue
        bad = recoverable(hidden, table)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            cross = np.zeros_like(hidden)
            cross[i, :] = True
            cross[:, j] = True
            if not hide_smallest(cross):
                hidden |= nonempty  # nothing left to pair with: hide everything
            changed = True
    return Suppression(
        cells=hidden[:-1, :-1].copy(),
        row_totals=hidden[:-1, -1].copy(),
        col_totals=hidden[-1, :-1].copy(),
        total=bool(hidden[-1, -1]),
        primary=primary,
    )
