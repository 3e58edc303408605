"""The differencing attack: everything published about a cycle, in every version and mode and
in later cycles' history, taken as one linear system, recovers no client view that is hidden.

The attacker is as strong as we can make him. He knows the methodology (the code is open)
and every count: how many raters of each client department answered about each provider
on each criterion (the coordinator sees response counts; assume the worst). He reads every
published figure of every results version: the cycle computed with client departments
equal, raters equal and by volume, a version after an upheld appeal excluded a shown view,
and a later cycle's history row for this one in every mode. His unknowns are the means of
the hidden client views, one per (provider, client department, criterion).

The coefficients of his equations are measured, not assumed: each unknown is moved by
shifting all answers of that view on that criterion, and every published figure that moves
in proportion (a linear function of the unknowns) becomes an equation. An unknown is
recovered when its unit vector lies in the row space of the system. The tests require that
nothing is recovered and that all the system can ever tell is, per provider and criterion,
the raters' mean of the pooled unit, which rests on at least k raters.
"""

import numpy as np
import pytest

from innerclient.scoring import pipeline
from innerclient.scoring.cells import Scale
from innerclient.scoring.pipeline import CycleAnswers, Methodology, as_json, score_cycle
from innerclient.scoring.units import publication_units

SCALE = Scale(1, 5)
K = 5
CRITERIA = 2
# Base scores lie in 2..4, so 2 * DELTA keeps every answer on the scale.
DELTA = 0.25
TOLERANCE = 1e-6


def _design(seed: int, departments: int = 8):
    """Client departments rate providers; raters of a department share its view and each
    rates every provider of that department that drew him. View sizes are a mix of shown
    (5-9 raters) and hidden (1-4) ones; two providers are rated by fewer than k in all."""
    rng = np.random.default_rng(seed)
    rows = []  # (provider, client, rater, criterion, response, base score)
    rater_codes = {}
    response = 0
    view_n = {}
    for provider in range(departments):
        thin = provider in (0, 1)
        for client in range(departments):
            if client == provider or rng.random() < 0.25 or (thin and client > 3):
                continue
            n = 1 if thin else int(rng.choice([1, 2, 2, 3, 4, 5, 6, 8]))
            view_n[provider, client] = n
            for j in range(n):
                rater = rater_codes.setdefault((client, j), len(rater_codes))
                for criterion in range(CRITERIA):
                    score = int(np.clip(round(rng.normal(3, 0.8)), 2, 4))
                    rows.append((provider, client, rater, criterion, response, score))
                response += 1
    # A self-assessment for every provider: shown only beside shown figures.
    for provider in range(departments):
        rater = len(rater_codes) + provider
        for criterion in range(CRITERIA):
            rows.append((provider, provider, rater, criterion, response, 4))
        response += 1
    data = np.array(rows, dtype=float)
    volume = rng.integers(1, 50, (departments, departments)).astype(float)
    return data, volume, view_n


def _answers(data, volume, departments, shift=None, excluded=()):
    score = data[:, 5].copy()
    if shift is not None:
        score = score + shift
    return CycleAnswers.build(
        scale=SCALE,
        weights=np.arange(1, CRITERIA + 1, dtype=float),
        n_departments=departments,
        provider=data[:, 0],
        client=data[:, 1],
        rater=data[:, 2],
        criterion=data[:, 3],
        response=data[:, 4],
        score=score,
        response_seconds=np.full(int(data[:, 4].max()) + 1, 90.0),
        volume=volume,
        k=K,
        excluded=excluded,
    )


# Figures that are no linear function of the views' means, whatever the numbers say at a
# small step: spreads, intervals, tests, reliabilities, variance components, counts. With
# the views' spreads unknown as well they add more unknowns than equations; the
# invariance test in tests/results/test_differencing.py covers them.
SECOND_MOMENT_NAMES = {
    "ci_low",
    "ci_high",
    "sd",
    "p",
    "q",
    "ordinal_p",
    "p_after_higher",
    "trend_p",
    "top_two_share",
    "threshold",
}
SECOND_MOMENT_SECTIONS = ("/reliability", "/integrity")


def _second_moment(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].split("[", 1)[0]
    return (
        name in SECOND_MOMENT_NAMES
        or name.startswith("n_")
        or name == "n"
        or name.endswith(("variance", "correlation", "reciprocity"))
        or any(section in path for section in SECOND_MOMENT_SECTIONS)
    )


def _problems_by_key(payload):
    """Problem areas keyed by what they are about, not by their position in the ranking."""
    if isinstance(payload, dict) and isinstance(payload.get("problems"), list):
        payload = dict(payload)
        payload["problems"] = {
            f"{p['kind']}:{p['department']}:{p['criterion']}:{p['client']}": p
            for p in payload["problems"]
        }
    return payload


def _numbers(payload, prefix=""):
    """Every first-moment number in a payload, by its path."""
    payload = _problems_by_key(payload)
    out = {}
    if isinstance(payload, dict):
        for key, value in payload.items():
            out.update(_numbers(value, f"{prefix}/{key}"))
    elif isinstance(payload, list):
        for i, value in enumerate(payload):
            out.update(_numbers(value, f"{prefix}[{i}]"))
    elif _second_moment(prefix) or isinstance(payload, bool | str):
        pass
    elif isinstance(payload, int | float):
        out[prefix] = float(payload)
    elif payload is None:
        out[prefix] = float("nan")
    return out


def _published(data, volume, departments, later, shift=None):
    """Every figure anyone can read about the cycle, as {path: value}."""
    current = _answers(data, volume, departments, shift)
    scores = score_cycle(current, Methodology(k=K))
    figures = {}
    for mode in ("client_equal", "rater_equal", "volume"):
        payload = as_json(score_cycle(current, Methodology(k=K, mode=mode)))
        figures.update(_numbers(payload, f"v-{mode}"))
        # The later cycle's history row and change for this cycle, in the same mode.
        after = as_json(score_cycle(later, Methodology(k=K, mode=mode), [current]))
        figures.update(_numbers(after["change"], f"later-{mode}"))
    # An upheld appeal excludes one shown view: a new version.
    shown = np.argwhere(scores.client_shown)
    if shown.size:
        excluded = [tuple(int(v) for v in shown[0])]
        appealed = _answers(data, volume, departments, shift, excluded)
        figures.update(_numbers(as_json(score_cycle(appealed, Methodology(k=K))), "appeal"))
    return figures


def _hidden_unknowns(data, departments):
    clients = data[:, 0] != data[:, 1]
    units = publication_units(
        data[clients, 0].astype(int),
        data[clients, 1].astype(int),
        data[clients, 2].astype(int),
        departments,
        K,
    )
    hidden = (units.view_raters > 0) & ~units.own_unit
    unknowns = [(p, k, c) for p, k in np.argwhere(hidden) for c in range(CRITERIA)]
    return units, unknowns


def _system(seed):
    departments = 8
    data, volume, _view_n = _design(seed, departments)
    later_data, _v, _n = _design(seed + 1000, departments)
    later = _answers(later_data, volume, departments)
    units, unknowns = _hidden_unknowns(data, departments)
    base = _published(data, volume, departments, later)
    keys = sorted(base)
    steps = []
    for provider, client, criterion in unknowns:
        rows = (data[:, 0] == provider) & (data[:, 1] == client) & (data[:, 3] == criterion)
        one = np.where(rows, DELTA, 0.0)
        f1 = _published(data, volume, departments, later, one)
        f2 = _published(data, volume, departments, later, 2 * one)
        steps.append(
            [(f1.get(key, np.nan) - base[key], f2.get(key, np.nan) - base[key]) for key in keys]
        )
    step = np.array(steps)  # unknowns x figures x (one step, two steps)
    same_null = np.isnan(step).all(axis=2) & ~np.isfinite([base[key] for key in keys])
    d1 = np.where(same_null, 0.0, step[:, :, 0])
    d2 = np.where(same_null, 0.0, step[:, :, 1])
    # A figure is an equation when it moves in proportion under every probe. One that jumps
    # (a rank, a problem area appearing) or curves (a spread, a p-value) is none: with the
    # views' spreads unknown too it adds more unknowns than equations; the invariance test
    # in tests/results/test_differencing.py covers those figures.
    linear = (np.isfinite(d1) & np.isfinite(d2) & (np.abs(d2 - 2 * d1) < 1e-9)).all(axis=0)
    columns = d1[:, linear] / DELTA
    return units, unknowns, columns.T, data


@pytest.fixture
def unrounded(monkeypatch):
    """Payload figures without their rounding to 1e-6, so that coefficients are measured
    exactly (rounding only takes information away from the attacker)."""

    def exact(x):
        value = float(x)
        return value if np.isfinite(value) else None

    monkeypatch.setattr(pipeline, "_num", exact)


@pytest.mark.parametrize("seed", [1, 2])
def test_no_version_mode_or_later_cycle_recovers_a_hidden_view(seed, unrounded):
    units, unknowns, system, data = _system(seed)
    assert len(unknowns) > 20, "the design has hidden views to attack"
    assert units.pooled.sum() >= 4 and (~units.provider_shown).sum() >= 2
    # What the attacker can determine: unknown j is recovered iff e_j is in the row space.
    basis = np.linalg.svd(system, full_matrices=True)[2]
    rank = int((np.linalg.svd(system, compute_uv=False) > 1e-8).sum())
    null = basis[rank:].T  # unknowns x null directions
    determined = np.linalg.norm(null, axis=1) < TOLERANCE
    recovered = [unknowns[j] for j in np.nonzero(determined)[0]]
    assert recovered == [], f"{len(recovered)} hidden view means recovered: {recovered[:5]}"
    # And all the system tells is each pooled unit's raters' mean per criterion.
    n = {}
    for provider, client, criterion in unknowns:
        picked = (data[:, 0] == provider) & (data[:, 1] == client) & (data[:, 3] == criterion)
        n[provider, client, criterion] = picked.sum()
    pooled_directions = []
    for provider in np.nonzero(units.provider_shown)[0]:
        for criterion in range(CRITERIA):
            w = np.array(
                [n[u] if u[0] == provider and u[2] == criterion else 0.0 for u in unknowns]
            )
            if w.any():
                pooled_directions.append(w / np.linalg.norm(w))
    allowed = np.array(pooled_directions).T
    q, _r = np.linalg.qr(allowed)
    residual = system - (system @ q) @ q.T
    assert np.abs(residual).max() < 1e-6, "a published figure weighs hidden views unevenly"
    for provider in np.nonzero(units.pooled.any(axis=1))[0]:
        assert units.view_raters[provider][units.pooled[provider]].sum() >= K
