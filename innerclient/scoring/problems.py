"""Problem areas: the findings a provider department should look at first.

``problem_areas`` turns a cycle's figures into a ranked list of ``Problem``s of five kinds:
low cells, significant drops of the index, the weakest criterion, self-assessment well above
the clients' view, and a client whose view differs from the other clients'. All figures are
on one footing, points of the 0-100 scale (percent of scale, or index points, which are
the same unit), so that one severity rule serves every kind:

    severity = how far the figure lies past its threshold, in points (never below 0).

A threshold reached within ``TOLERANCE`` (1e-9 points) counts as reached, and a severity
within it counts as 0, so that the rounding of the percent conversion (on a 1-5 scale a
client mean of 11/3 is 66.66...7 %, and 100 minus it is not exactly 100/3 in binary) cannot
decide a boundary case.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

TOLERANCE = 1e-9


class ProblemKind(StrEnum):
    """The kinds of problem, in the order used to break ties in the ranking."""

    LOW_CELL = "low_cell"
    SIGNIFICANT_DROP = "significant_drop"
    WEAKEST_CRITERION = "weakest_criterion"
    SELF_GAP = "self_gap"
    DIVERGENT_CLIENT = "divergent_client"


KIND_ORDER: tuple[ProblemKind, ...] = tuple(ProblemKind)


@dataclass(frozen=True)
class Problem:
    """One finding about a provider department; see ``problem_areas`` for each kind's
    ``value``, ``threshold`` and ``severity``. ``criterion`` and ``client`` are None
    where the kind (or the department-level self gap) does not refer to one."""

    kind: ProblemKind
    department: int
    criterion: int | None
    client: int | None
    value: float
    threshold: float
    severity: float


def _figures(x: ArrayLike, name: str, ndim: int, *, percent: bool) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if np.isinf(arr).any():
        raise ValueError(f"{name} must be finite or nan (no figure)")
    if percent and ((arr < -TOLERANCE) | (arr > 100 + TOLERANCE)).any():
        raise ValueError(f"{name} must be percent of the scale, 0-100")
    return arr


def _number(value: float, name: str, low: float, high: float) -> float:
    if not (np.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value}")
    return float(value)


@dataclass
class _Found:
    """Problems of one kind as parallel arrays (codes -1 stand for None)."""

    kind: ProblemKind
    department: NDArray[np.int64]
    criterion: NDArray[np.int64]
    client: NDArray[np.int64]
    value: NDArray[np.float64]
    threshold: float
    severity: NDArray[np.float64]


def _found(
    kind: ProblemKind,
    department: NDArray[np.intp],
    value: NDArray[np.float64],
    threshold: float,
    severity: NDArray[np.float64],
    criterion: NDArray[np.intp] | None = None,
    client: NDArray[np.intp] | None = None,
) -> _Found:
    none = np.full(department.size, -1, dtype=np.int64)
    return _Found(
        kind=kind,
        department=department.astype(np.int64),
        criterion=none if criterion is None else criterion.astype(np.int64),
        client=none if client is None else client.astype(np.int64),
        value=value,
        threshold=threshold,
        # Past the threshold by no more than the rounding tolerance is exactly at it.
        severity=np.where(severity > TOLERANCE, severity, 0.0),
    )


def problem_areas(
    *,
    cell_percent: ArrayLike,
    criterion_percent: ArrayLike,
    self_percent: ArrayLike,
    change_delta: ArrayLike,
    change_q: ArrayLike,
    low_threshold: float = 60.0,
    self_gap: float = 100.0 / 3.0,
    divergence: float = 25.0,
    alpha: float = 0.05,
    min_clients_for_divergence: int = 3,
) -> list[Problem]:
    """The problems of every provider department, most severe first.

    Inputs (P providers, C criteria, K clients; codes are positions; nan = no figure):

    - ``cell_percent`` P x C x K: a cell's mean as percent of the scale (0-100), nan when
      empty or suppressed for anonymity.
    - ``criterion_percent`` P x C: the clients' view of each criterion (percent of scale).
    - ``self_percent`` P x C: the head's self-assessment (percent of scale).
    - ``change_delta`` P: change of the index against the previous cycle (index points);
      ``change_q`` P: its Benjamini-Hochberg adjusted p-value.

    Kinds, with what each reports as ``value`` and ``threshold``, and its severity:

    - LOW_CELL, one per cell with cell_percent < low_threshold: value = the cell,
      threshold = low_threshold, severity = low_threshold - value.
    - SIGNIFICANT_DROP, one per provider with change_delta < 0 and change_q <= alpha:
      value = delta (negative), threshold = 0, severity = -delta (index points lost).
    - WEAKEST_CRITERION, one per provider with any criterion figure: the criterion with the
      lowest criterion_percent (ties: the lowest code); value = its figure, threshold =
      low_threshold, severity = max(0, low_threshold - value), so it ranks high only when
      the weakest criterion is low in absolute terms.
    - SELF_GAP, per criterion with gap = self_percent - criterion_percent >= self_gap (the
      head rates above his clients by at least a third of the scale by default): value =
      gap, threshold = self_gap, severity = gap - self_gap. Also one per provider, criterion
      None, when the mean gap over the criteria having both figures is >= self_gap (same
      value, threshold and severity, with the mean gap).
    - DIVERGENT_CLIENT, for providers where at least ``min_clients_for_divergence`` clients
      have a figure: with m_k the client's mean over its criteria with figures, and o_k the
      mean of the other clients' m, one per client with |m_k - o_k| >= divergence: value =
      m_k - o_k (signed: negative = this client sees the provider worse), threshold =
      divergence, severity = |value| - divergence.

    Every severity is therefore the distance past the threshold in points of the 0-100
    scale (>= 0; a figure exactly at a ">=" threshold has severity 0). Ranking: severity
    descending, then kind in the order above, department, criterion, client (None first).
    Raises ValueError on inconsistent shapes, infinite figures, percent figures outside
    0-100, q outside [0, 1] or parameters out of range.
    """
    cells = _figures(cell_percent, "cell_percent", 3, percent=True)
    crit = _figures(criterion_percent, "criterion_percent", 2, percent=True)
    own = _figures(self_percent, "self_percent", 2, percent=True)
    delta = _figures(change_delta, "change_delta", 1, percent=False)
    q = _figures(change_q, "change_q", 1, percent=False)
    n_p, n_c = crit.shape
    if cells.shape[:2] != (n_p, n_c):
        raise ValueError(
            f"cell_percent must be providers x criteria x clients with providers x criteria "
            f"{crit.shape} as in criterion_percent, got {cells.shape}"
        )
    if own.shape != crit.shape:
        raise ValueError(
            f"self_percent must have the shape of criterion_percent {crit.shape}, got {own.shape}"
        )
    for name, arr in (("change_delta", delta), ("change_q", q)):
        if arr.shape != (n_p,):
            raise ValueError(f"{name} must have one entry per provider ({n_p}), got {arr.shape}")
    if ((q < 0) | (q > 1)).any():
        raise ValueError("change_q must lie in [0, 1] (or nan)")
    low = _number(low_threshold, "low_threshold", 0.0, 100.0)
    gap_min = _number(self_gap, "self_gap", 0.0, 100.0)
    div_min = _number(divergence, "divergence", 0.0, 100.0)
    level = _number(alpha, "alpha", 0.0, 1.0)
    if (
        isinstance(min_clients_for_divergence, bool)
        or not isinstance(min_clients_for_divergence, int | np.integer)
        or min_clients_for_divergence < 2
    ):
        raise ValueError("min_clients_for_divergence must be an integer >= 2")

    found = [
        _low_cells(cells, low),
        _drops(delta, q, level),
        _weakest(crit, low),
        *_self_gaps(own, crit, gap_min),
        _divergent(cells, div_min, int(min_clients_for_divergence)),
    ]
    return _ranked(found)


def _low_cells(cells: NDArray[np.float64], low: float) -> _Found:
    hit = cells < low - TOLERANCE  # nan compares False: empty cells are no problem
    p, c, k = np.nonzero(hit)
    value = cells[hit]
    return _found(ProblemKind.LOW_CELL, p, value, low, low - value, criterion=c, client=k)


def _drops(delta: NDArray[np.float64], q: NDArray[np.float64], level: float) -> _Found:
    hit = (delta < 0) & (q <= level)  # nan compares False: no test, no drop
    (p,) = np.nonzero(hit)
    return _found(ProblemKind.SIGNIFICANT_DROP, p, delta[p], 0.0, -delta[p])


def _weakest(crit: NDArray[np.float64], low: float) -> _Found:
    has = np.isfinite(crit).any(axis=1)
    (p,) = np.nonzero(has)
    # argmin returns the first minimum, i.e. the lowest criterion code among ties.
    c = np.argmin(np.where(np.isfinite(crit), crit, np.inf)[p], axis=1)
    value = crit[p, c]
    return _found(ProblemKind.WEAKEST_CRITERION, p, value, low, low - value, criterion=c)


def _self_gaps(
    own: NDArray[np.float64], crit: NDArray[np.float64], gap_min: float
) -> tuple[_Found, _Found]:
    gap = own - crit  # nan where either figure is missing
    hit = gap >= gap_min - TOLERANCE
    p, c = np.nonzero(hit)
    per_criterion = _found(
        ProblemKind.SELF_GAP, p, gap[hit], gap_min, gap[hit] - gap_min, criterion=c
    )
    both = np.isfinite(gap)
    count = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gap = np.where(both, gap, 0.0).sum(axis=1) / count
    (d,) = np.nonzero((count > 0) & (mean_gap >= gap_min - TOLERANCE))
    per_department = _found(ProblemKind.SELF_GAP, d, mean_gap[d], gap_min, mean_gap[d] - gap_min)
    return per_criterion, per_department


def _divergent(cells: NDArray[np.float64], div_min: float, min_clients: int) -> _Found:
    has = np.isfinite(cells)
    n_crit = has.sum(axis=1)  # P x K: criteria with a figure per client
    with np.errstate(invalid="ignore", divide="ignore"):
        client_mean = np.where(has, cells, 0.0).sum(axis=1) / n_crit
    present = n_crit > 0
    m = present.sum(axis=1, keepdims=True)  # clients with figures per provider
    total = np.where(present, client_mean, 0.0).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        others = (total - np.where(present, client_mean, 0.0)) / (m - 1)
    diff = client_mean - others
    hit = present & (m >= min_clients) & (np.abs(diff) >= div_min - TOLERANCE)
    p, k = np.nonzero(hit)
    value = diff[hit]
    return _found(
        ProblemKind.DIVERGENT_CLIENT, p, value, div_min, np.abs(value) - div_min, client=k
    )


def _ranked(found: list[_Found]) -> list[Problem]:
    kind = np.concatenate([np.full(f.department.size, KIND_ORDER.index(f.kind)) for f in found])
    department = np.concatenate([f.department for f in found])
    criterion = np.concatenate([f.criterion for f in found])
    client = np.concatenate([f.client for f in found])
    value = np.concatenate([f.value for f in found])
    threshold = np.concatenate([np.full(f.department.size, f.threshold) for f in found])
    severity = np.concatenate([f.severity for f in found])
    # lexsort sorts by the last key first; None is coded -1, so it comes first.
    order = np.lexsort((client, criterion, department, kind, -severity))
    return [
        Problem(
            kind=KIND_ORDER[kind[i]],
            department=int(department[i]),
            criterion=None if criterion[i] < 0 else int(criterion[i]),
            client=None if client[i] < 0 else int(client[i]),
            value=float(value[i]),
            threshold=float(threshold[i]),
            severity=float(severity[i]),
        )
        for i in order.tolist()
    ]
