"""The department index 0-100 (индекс внутренней клиентоориентированности).

Every answer is first put on a 0-100 footing, p = (score - min) / (max - min) * 100, so
that criteria and scales can be combined. Per provider department P and criterion c the
criterion score S[P, c] aggregates the answers of P's client departments in one of three
modes; the index is the weighted mean of criterion scores:

    index[P] = sum_c w_c * S[P, c] / sum_c w_c     (over criteria c with answers about P)

Self-assessments (client department == provider department) never enter the index: they
are dropped here and reported beside it by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from innerclient.scoring.cells import Scale

Mode = Literal["client_equal", "rater_equal", "volume"]
MODES: tuple[str, ...] = ("client_equal", "rater_equal", "volume")


@dataclass(frozen=True)
class DepartmentIndex:
    """``index[P]`` (0-100, nan without answers), ``criterion_scores[P, c]`` (0-100),
    ``n_answers[P]`` and ``n_clients[P]`` (distinct client departments that answered)."""

    index: NDArray[np.float64]
    criterion_scores: NDArray[np.float64]
    n_answers: NDArray[np.int64]
    n_clients: NDArray[np.int64]
    mode: str


def _group_mean(
    keys: NDArray[np.int64], values: NDArray[np.float64], size: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    n = np.bincount(keys, minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.bincount(keys, weights=values, minlength=size) / n, n


def department_index(
    provider: ArrayLike,
    client: ArrayLike,
    criterion: ArrayLike,
    score: ArrayLike,
    *,
    scale: Scale,
    weights: ArrayLike,
    mode: Mode | str = "client_equal",
    rater: ArrayLike | None = None,
    volume: ArrayLike | None = None,
    n_departments: int | None = None,
    client_weight: ArrayLike | None = None,
) -> DepartmentIndex:
    """Department index per provider code from answers (one row per answer).

    ``provider`` and ``client`` are department codes (0..D-1), ``criterion`` codes index
    ``weights``. Modes for S[P, c], with m[P, c, k] the mean of p over the answers of
    client department k:

    - ``client_equal`` (default): S = mean over client departments k of m[P, c, k]; every
      client department has an equal voice, however many raters it sent.
    - ``rater_equal``: S = mean over raters r of their mean p about (P, c); every rater has
      an equal voice (``rater`` codes needed only if a rater can answer twice about a cell;
      without them each answer counts once).
    - ``volume``: S = sum_k v[P, k] m[P, c, k] / sum_k v[P, k], where ``volume[P, k]`` is the
      number of requests client department k sent to provider P in the interaction map.
      Clients with no answers drop out of both sums; if the rest have zero volume, S = nan.

    Criteria without answers about P drop out and the weights of the others are renormalised.

    ``client_weight[P, k]`` (providers x clients), when given, replaces the equal weight of
    each client in ``client_equal`` mode: the pipeline's pooled unit of several small client
    departments (``scoring.units``) counts as the departments it stands for. Client codes may
    then run past D - 1 (the pooled unit's code), and ``volume`` has as many columns.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    prov = np.asarray(provider, dtype=np.int64).ravel()
    cli = np.asarray(client, dtype=np.int64).ravel()
    crit = np.asarray(criterion, dtype=np.int64).ravel()
    x = np.asarray(score, dtype=float).ravel()
    w = np.asarray(weights, dtype=float).ravel()
    if not (prov.shape == cli.shape == crit.shape == x.shape):
        raise ValueError("provider, client, criterion and score must have equal length")
    if np.any(w < 0) or not np.any(w > 0):
        raise ValueError("weights must be non-negative with a positive sum")
    if crit.size and crit.max() >= w.size:
        raise ValueError("a criterion code has no weight")
    if x.size and (x.min() < scale.minimum or x.max() > scale.maximum):
        raise ValueError(f"scores must lie on the scale {scale.minimum}..{scale.maximum}")
    size = n_departments
    if size is None:
        size = int(max(prov.max(initial=-1), cli.max(initial=-1))) + 1

    not_self = prov != cli
    prov, cli, crit, x = prov[not_self], cli[not_self], crit[not_self], scale.percent(x[not_self])
    rat = None if rater is None else np.asarray(rater, dtype=np.int64).ravel()[not_self]
    crit_scores = criterion_scores(
        prov,
        cli,
        crit,
        x,
        n_providers=size,
        n_criteria=w.size,
        mode=mode,
        rater=rat,
        volume=volume,
        client_weight=client_weight,
    )
    idx = weighted_index(crit_scores, w)
    n_answers = np.bincount(prov, minlength=size).astype(np.int64)
    width = max(size, int(cli.max(initial=-1)) + 1)
    answered = np.bincount(prov * width + cli, minlength=size * width) > 0
    n_clients = answered.reshape(size, width).sum(axis=1).astype(np.int64)
    return DepartmentIndex(idx, crit_scores, n_answers, n_clients, str(mode))


def weighted_index(crit_scores: NDArray[np.float64], weights: ArrayLike) -> NDArray[np.float64]:
    """sum_c w_c S[P, c] / sum_c w_c over the criteria with a figure (nan when none)."""
    w = np.asarray(weights, dtype=float).ravel()
    present = np.isfinite(crit_scores)
    wsum = (present * w).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        idx = np.where(present, crit_scores, 0.0) @ w / wsum
    return np.where(wsum > 0, idx, np.nan)


def criterion_scores(
    provider: NDArray[np.int64],
    client: NDArray[np.int64],
    criterion: NDArray[np.int64],
    percent: NDArray[np.float64],
    *,
    n_providers: int,
    n_criteria: int,
    mode: str,
    rater: NDArray[np.int64] | None = None,
    volume: ArrayLike | None = None,
    client_weight: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """S[P, c] of ``department_index`` from values already on the 0-100 footing (no range
    check: the pipeline also aggregates leniency-adjusted values this way, so that raw and
    adjusted figures are the same estimand)."""
    size, n_crit = n_providers, n_criteria
    prov, cli, crit, x = provider, client, criterion, percent
    pc = prov * n_crit + crit
    if mode == "rater_equal":
        if rater is None:
            crit_scores, _ = _group_mean(pc, x, size * n_crit)
        else:
            rat = rater
            # Average each rater's answers about a cell first, then average raters.
            uniq, inverse = np.unique(pc * (int(rat.max()) + 1) + rat, return_inverse=True)
            per_rater, _ = _group_mean(inverse, x, uniq.size)
            crit_scores, _ = _group_mean(uniq // (int(rat.max()) + 1), per_rater, size * n_crit)
        return np.asarray(crit_scores, dtype=float).reshape(size, n_crit)
    width = size
    for matrix in (client_weight, volume):
        if matrix is not None:
            width = max(width, np.asarray(matrix).shape[1])
    width = max(width, int(cli.max(initial=-1)) + 1)
    pck = pc * width + cli
    cell_mean, cell_n = _group_mean(pck, x, size * n_crit * width)
    cell_mean = cell_mean.reshape(size, n_crit, width)
    has = cell_n.reshape(size, n_crit, width) > 0
    if mode == "client_equal":
        if client_weight is None:
            k_weight = has.astype(float)
        else:
            cw = _matrix(client_weight, size, width, "client_weight")
            k_weight = has * cw[:, None, :]
    else:
        if volume is None:
            raise ValueError("mode 'volume' needs the volume matrix")
        v = _matrix(volume, size, width, "volume")
        k_weight = has * v[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        crit_scores = (np.where(has, cell_mean, 0.0) * k_weight).sum(axis=2) / k_weight.sum(axis=2)
    return np.asarray(crit_scores, dtype=float).reshape(size, n_crit)


def _matrix(value: ArrayLike, rows: int, width: int, name: str) -> NDArray[np.float64]:
    m = np.asarray(value, dtype=float)
    if m.ndim != 2 or m.shape[0] != rows or m.shape[1] > width or np.any(m < 0):
        raise ValueError(f"{name} must be a non-negative {rows}x{rows} matrix")
    if m.shape[1] < width:
        m = np.hstack([m, np.zeros((rows, width - m.shape[1]))])
    return m
