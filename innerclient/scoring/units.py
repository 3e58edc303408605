"""Publication units: the groups of raters that every published figure is built from.

Why. A figure computed from the answers of a provider's client departments is a linear
function of the departments' views. Two figures that weigh the views differently (client
departments equal against raters equal, two results versions, a filter, a history row
under another mode) are two equations; with two hidden views they solve for both. Checking
pairs of figures after the fact misses combinations nobody thought of, so the rule is made
by construction instead:

1. Once per cycle, from the cycle's own answers and its threshold k, and from nothing a
   coordinator can change afterwards, the raters of each provider are split into **units**:
   every client department whose view survives the threshold and complementary suppression
   is a unit of its own; all other client departments of that provider form one **pooled**
   unit ("other client departments"), which complementary suppression makes rest on at
   least k raters.
2. Nothing below k enters any computation: answers about a provider with fewer than k
   raters, and the answers of a (unit, criterion) cell with fewer than k raters, are
   dropped before scoring.
3. Inside the pooled unit the client department is forgotten: its answers are relabelled
   to one pseudo client, ``pooled_code`` (= n_departments). Every later step (every
   aggregation mode, cells, the leniency model, the Social Relations Model, integrity
   flags, history rows, change) sees the pooled unit as one group of exchangeable raters.

So every published figure, of every version and mode, is a function of unit statistics
over at least k raters each; raters inside a unit are exchangeable, and no difference of
figures can isolate fewer than k of them. ``tests/scoring/test_units.py`` and the
adversarial tests in ``tests/results/test_differencing.py`` check it.

Excluding a shown unit (an upheld appeal) removes a whole unit of at least k raters; it
never changes how the rest is split, because units are decided on the cycle's full data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from innerclient.scoring import privacy


@dataclass(frozen=True)
class Units:
    """How one cycle's raters are grouped, per provider (clients only, self excluded).

    ``view_raters[P, K]`` distinct raters of client department K about provider P;
    ``provider_shown[P]`` P rests on at least k raters; ``own_unit[P, K]`` K's view of P is a
    unit of its own (shown); ``pooled[P, K]`` K's view of P is inside P's pooled unit.
    """

    k: int
    n_departments: int
    view_raters: NDArray[np.int64]
    provider_shown: NDArray[np.bool_]
    own_unit: NDArray[np.bool_]
    pooled: NDArray[np.bool_]

    @property
    def pooled_code(self) -> int:
        """The client code every pooled answer is relabelled to."""
        return self.n_departments

    @property
    def pooled_departments(self) -> NDArray[np.int64]:
        """How many client departments each provider's pooled unit stands for."""
        return self.pooled.sum(axis=1).astype(np.int64)

    def unit_weights(self, volume: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """providers x (departments + 1): each unit's weight when client departments count
        equally (the pooled unit counts as the departments it stands for) or, given the
        interaction map's volumes, by volume (the pooled unit's is their sum)."""
        d = self.n_departments
        out = np.zeros((d, d + 1))
        if volume is None:
            out[:, :d] = self.own_unit
            out[:, d] = self.pooled_departments
        else:
            v = np.asarray(volume, dtype=float)
            out[:, :d] = np.where(self.own_unit, v, 0.0)
            out[:, d] = np.where(self.pooled, v, 0.0).sum(axis=1)
        return out


def view_raters(
    provider: ArrayLike, client: ArrayLike, rater: ArrayLike, n_departments: int
) -> NDArray[np.int64]:
    """Distinct raters per (provider, client department), from answer rows (self excluded by
    the caller)."""
    d = n_departments
    p = np.asarray(provider, dtype=np.int64)
    c = np.asarray(client, dtype=np.int64)
    return privacy.distinct_raters(p * d + c, rater, d * d).reshape(d, d)


def publication_units(
    provider: ArrayLike, client: ArrayLike, rater: ArrayLike, n_departments: int, k: int
) -> Units:
    """Split each provider's raters into units (see the module docstring).

    Arrays are answer rows of client ratings only (no self-assessment). A provider with
    fewer than k distinct raters has no unit at all. Otherwise the column of its views'
    rater counts goes through ``privacy.complementary_suppression``; the views it leaves
    shown are units of their own, the rest are pooled. Suppression guarantees the pooled
    unit is empty or rests on at least k raters, and never holds exactly one view.
    """
    privacy.check_threshold(k)
    d = n_departments
    counts = view_raters(provider, client, rater, d)
    totals = privacy.distinct_raters(np.asarray(provider, dtype=np.int64), rater, d)
    provider_shown = totals >= k
    own = np.zeros((d, d), dtype=bool)
    for p in np.nonzero(provider_shown)[0]:
        present = counts[p] > 0
        small = present & (counts[p] < k)
        if not small.any():
            own[p] = present
            continue
        hidden = privacy.complementary_suppression(counts[p][:, None], k).cells[:, 0]
        own[p] = present & ~hidden
    pooled = (counts > 0) & ~own & provider_shown[:, None]
    return Units(
        k=k,
        n_departments=d,
        view_raters=counts,
        provider_shown=provider_shown,
        own_unit=own,
        pooled=pooled,
    )


@dataclass(frozen=True)
class UnitAnswers:
    """The answers every figure may rest on: rows kept (a mask over the input rows) and
    each kept row's unit code in place of its client department."""

    keep: NDArray[np.bool_]
    unit: NDArray[np.int64]


def unit_answers(
    units: Units,
    provider: ArrayLike,
    client: ArrayLike,
    rater: ArrayLike,
    criterion: ArrayLike,
    n_criteria: int,
    excluded: NDArray[np.bool_] | None = None,
) -> UnitAnswers:
    """Keep the client answers that may enter scoring and relabel them to units.

    Dropped: answers about providers without units, answers of ``excluded`` views
    (providers x departments, each of which must be a unit of its own), and every answer of
    a (provider, unit, criterion) cell that has fewer than k distinct raters.
    """
    d, k = units.n_departments, units.k
    p = np.asarray(provider, dtype=np.int64)
    c = np.asarray(client, dtype=np.int64)
    r = np.asarray(rater, dtype=np.int64)
    crit = np.asarray(criterion, dtype=np.int64)
    if excluded is not None:
        if np.any(excluded & ~units.own_unit):
            raise ValueError("only a client view shown as a unit of its own can be excluded")
        drop = excluded
    else:
        drop = np.zeros((d, d), dtype=bool)
    keep = units.provider_shown[p] & ~drop[p, c]
    unit = np.where(units.pooled[p, c], units.pooled_code, c)
    width = d + 1
    cell = (p * n_criteria + crit) * width + unit
    raters_per_cell = np.zeros(d * n_criteria * width, dtype=np.int64)
    if keep.any():
        raters_per_cell = privacy.distinct_raters(cell[keep], r[keep], d * n_criteria * width)
    keep &= raters_per_cell[cell] >= k
    return UnitAnswers(keep=keep, unit=unit)
