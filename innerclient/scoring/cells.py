"""Cell statistics: what one group of answers says (a provider x criterion x client cell).

The Russian practice reports, per criterion, the mean (5*n5 + 4*n4 + ... + 1*n1) / n, the
share of the two top scale points and the mean as a percentage of the scale; we add the
standard deviation and a 95% t-interval so that a difference can be judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike, NDArray

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Scale:
    """An integer rating scale from ``minimum`` to ``maximum`` (1-5, 1-10, 0-10)."""

    minimum: int
    maximum: int

    def __post_init__(self) -> None:
        if self.maximum - self.minimum < 1:
            raise ValueError("a scale needs maximum > minimum")

    @property
    def top_two(self) -> int:
        """The lowest of the two top scale points (4 on a 1-5 scale)."""
        return self.maximum - 1

    def percent(self, value: ArrayLike) -> NDArray[np.float64]:
        """(value - minimum) / (maximum - minimum) * 100: 0 at the bottom, 100 at the top."""
        return (np.asarray(value, dtype=float) - self.minimum) / (self.maximum - self.minimum) * 100


@dataclass(frozen=True)
class Cell:
    """Statistics of one cell. ``sd`` and the interval are nan below two answers."""

    n: int
    mean: float
    top_two_share: float
    percent_of_scale: float
    sd: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class CellTable:
    """The same statistics for many cells at once, indexed by cell code."""

    n: NDArray[np.int64]
    mean: NDArray[np.float64]
    top_two_share: NDArray[np.float64]
    percent_of_scale: NDArray[np.float64]
    sd: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]

    def cell(self, code: int) -> Cell:
        return Cell(
            n=int(self.n[code]),
            mean=float(self.mean[code]),
            top_two_share=float(self.top_two_share[code]),
            percent_of_scale=float(self.percent_of_scale[code]),
            sd=float(self.sd[code]),
            ci_low=float(self.ci_low[code]),
            ci_high=float(self.ci_high[code]),
        )


def _check_scores(scores: NDArray[np.float64], scale: Scale) -> None:
    if not np.all(np.isfinite(scores)):
        raise ValueError("scores must be finite ('did not interact' is no score: drop it)")
    if scores.size and (scores.min() < scale.minimum or scores.max() > scale.maximum):
        raise ValueError(f"scores must lie on the scale {scale.minimum}..{scale.maximum}")


def cell_table(
    cell: ArrayLike, score: ArrayLike, scale: Scale, n_cells: int | None = None
) -> CellTable:
    """Statistics per cell code in one pass (``np.bincount``), for any number of cells.

    For the answers x_1..x_n of a cell:

    - mean = sum x / n;  top_two_share = #{x >= max - 1} / n
    - percent_of_scale = (mean - min) / (max - min) * 100
    - sd = sqrt(sum (x - mean)^2 / (n - 1))
    - 95% interval = mean -/+ t_{0.975, n-1} * sd / sqrt(n)

    Empty cells get n = 0 and nan elsewhere.
    """
    codes = np.asarray(cell, dtype=np.int64).ravel()
    x = np.asarray(score, dtype=float).ravel()
    if codes.shape != x.shape:
        raise ValueError("cell and score must have equal length")
    _check_scores(x, scale)
    size = n_cells if n_cells is not None else (int(codes.max()) + 1 if codes.size else 0)
    n = np.bincount(codes, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(codes, weights=x, minlength=size) / n
        top = np.bincount(codes, weights=(x >= scale.top_two).astype(float), minlength=size) / n
        # Two-pass variance (around each cell's own mean) avoids cancellation.
        dev2 = np.bincount(codes, weights=(x - mean[codes]) ** 2, minlength=size)
        sd = np.where(n >= 2, np.sqrt(dev2 / (n - 1)), np.nan)
        tcrit = np.where(
            n >= 2, scipy.stats.t.ppf(0.5 + CONFIDENCE / 2, np.maximum(n - 1, 1)), np.nan
        )
        half = tcrit * sd / np.sqrt(n)
    return CellTable(
        n=n.astype(np.int64),
        mean=mean,
        top_two_share=top,
        percent_of_scale=scale.percent(mean),
        sd=sd,
        ci_low=mean - half,
        ci_high=mean + half,
    )


def cell_stats(score: ArrayLike, scale: Scale) -> Cell:
    """Statistics of a single cell; see ``cell_table`` for the formulas."""
    x = np.asarray(score, dtype=float).ravel()
    return cell_table(np.zeros(x.size, dtype=np.int64), x, scale, n_cells=1).cell(0)
