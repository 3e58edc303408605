"""The additive leniency model against a dense least-squares solution and planted effects."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innerclient.scoring import adjust
from innerclient.scoring.adjust import additive


def _dense_fit(ratee, rater, score):
    """Reference: dense least squares with sum-to-zero effects, by reparametrisation.

    Effects are written as E @ theta with E an orthonormal basis of the sum-to-zero
    subspace (over the codes that occur), so the constraint holds by construction and
    numpy's lstsq returns the minimum-norm solution in the free parameters.
    """
    ra = np.unique(ratee)
    rb = np.unique(rater)
    xa = (ratee[:, None] == ra[None, :]).astype(float)
    xb = (rater[:, None] == rb[None, :]).astype(float)

    def contrasts(m):
        # Orthonormal basis of {v : sum v = 0} in R^m.
        q, _ = np.linalg.qr(np.column_stack([np.ones(m), np.eye(m)[:, : m - 1]]))
        return q[:, 1:m]

    ca, cb = contrasts(ra.size), contrasts(rb.size)
    design = np.column_stack([np.ones(score.size), xa @ ca, xb @ cb])
    coef, *_ = np.linalg.lstsq(design, score, rcond=None)
    return coef[0], ca @ coef[1 : ra.size], cb @ coef[ra.size :], design @ coef, ra, rb


@st.composite
def designs(draw):
    n_ratees = draw(st.integers(1, 6))
    n_raters = draw(st.integers(1, 10))
    n = draw(st.integers(1, 50))
    ratee = np.array(draw(st.lists(st.integers(0, n_ratees - 1), min_size=n, max_size=n)))
    rater = np.array(draw(st.lists(st.integers(0, n_raters - 1), min_size=n, max_size=n)))
    score = np.array(draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)), dtype=float)
    return ratee, rater, score


@settings(max_examples=80, deadline=None)
@given(designs())
def test_fitted_values_equal_dense_least_squares_for_any_incomplete_design(design):
    ratee, rater, score = design
    fit = additive(ratee, rater, score)
    *_, dense_fitted, _, _ = _dense_fit(ratee, rater, score)
    # Fitted values are unique even when the effects are not (disconnected designs).
    assert fit.fitted(ratee, rater) == pytest.approx(dense_fitted, abs=1e-8)


@settings(max_examples=80, deadline=None)
@given(designs())
def test_effects_equal_dense_least_squares_when_design_is_connected(design):
    ratee, rater, score = design
    fit = additive(ratee, rater, score)
    if fit.n_components != 1:
        return
    mean, alpha, beta, _, ra, rb = _dense_fit(ratee, rater, score)
    assert fit.mean == pytest.approx(mean, abs=1e-8)
    assert fit.ratee_effects[ra] == pytest.approx(alpha, abs=1e-8)
    assert fit.rater_effects[rb] == pytest.approx(beta, abs=1e-8)


@settings(max_examples=60, deadline=None)
@given(designs())
def test_effects_sum_to_zero_and_absent_codes_are_nan(design):
    ratee, rater, score = design
    fit = additive(ratee, rater, score)
    assert np.nansum(fit.ratee_effects) == pytest.approx(0, abs=1e-9)
    assert np.nansum(fit.rater_effects) == pytest.approx(0, abs=1e-9)
    absent = np.setdiff1d(np.arange(fit.ratee_effects.size), ratee)
    assert np.all(np.isnan(fit.ratee_effects[absent]))
    # Rater effects sum to zero inside each component (the documented convention).
    for c in range(fit.n_components):
        inside = fit.rater_component == c
        assert fit.rater_effects[inside].sum() == pytest.approx(0, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(designs(), st.integers(0, 9), st.floats(-3, 3))
def test_a_constant_added_to_one_raters_scores_leaves_ratee_effects_unchanged(design, who, shift):
    ratee, rater, score = design
    fit = additive(ratee, rater, score)
    moved = additive(ratee, rater, np.where(rater == who, score + shift, score))
    if fit.n_components == 1:
        assert moved.ratee_effects == pytest.approx(fit.ratee_effects, abs=1e-8, nan_ok=True)
    # In any design, comparisons of ratees inside one connected part are unchanged (across
    # parts no adjustment is possible, so a lenient rater alone in a part does move them).
    present = np.unique(ratee)
    comp = fit.ratee_component[present]
    same = comp[:, None] == comp[None, :]
    before = fit.ratee_effects[present][:, None] - fit.ratee_effects[present][None, :]
    after = moved.ratee_effects[present][:, None] - moved.ratee_effects[present][None, :]
    assert after[same] == pytest.approx(before[same], abs=1e-8)


@settings(max_examples=40, deadline=None)
@given(designs(), st.randoms(use_true_random=False))
def test_relabelling_raters_changes_nothing(design, rnd):
    ratee, rater, score = design
    labels = list(range(10))
    rnd.shuffle(labels)
    relabel = np.array(labels)
    fit = additive(ratee, rater, score)
    moved = additive(ratee, relabel[rater], score)
    assert moved.mean == pytest.approx(fit.mean, abs=1e-9)
    assert moved.ratee_effects == pytest.approx(fit.ratee_effects, abs=1e-8, nan_ok=True)
    assert moved.rater_effects[relabel[np.unique(rater)]] == pytest.approx(
        fit.rater_effects[np.unique(rater)], abs=1e-8
    )


def _simulate(rng, n_ratees=30, n_raters=400, per_rater=6, leniency_sd=0.8, noise=0.6):
    """Incomplete design: each rater rates a few ratees; lenient raters cluster on some."""
    true_ratee = rng.normal(0, 0.5, n_ratees)
    true_ratee -= true_ratee.mean()
    true_rater = rng.normal(0, leniency_sd, n_raters)
    true_rater -= true_rater.mean()
    ratee = []
    rater = []
    for r in range(n_raters):
        # Raters see ratees near "their" part of the company: leniency and exposure
        # are confounded, which is exactly what biases raw means.
        home = int(np.clip((true_rater[r] / (3 * leniency_sd) + 0.5) * n_ratees, 0, n_ratees - 1))
        choice = (home + rng.integers(-4, 5, per_rater)) % n_ratees
        ratee.extend(np.unique(choice))
        rater.extend([r] * np.unique(choice).size)
    ratee = np.array(ratee)
    rater = np.array(rater)
    score = 3 + true_ratee[ratee] + true_rater[rater] + rng.normal(0, noise, ratee.size)
    return ratee, rater, score, true_ratee, true_rater


def test_planted_effects_are_recovered_with_clearly_lower_error_than_raw_means():
    rng = np.random.default_rng(2024)
    ratee, rater, score, true_ratee, true_rater = _simulate(rng)
    fit = additive(ratee, rater, score)
    assert fit.n_components == 1
    raw = np.bincount(ratee, weights=score) / np.bincount(ratee)
    raw -= raw.mean()
    err_adjusted = np.sqrt(np.mean((fit.ratee_effects - true_ratee) ** 2))
    err_raw = np.sqrt(np.mean((raw - true_ratee) ** 2))
    assert err_adjusted < 0.15
    assert err_adjusted < err_raw / 3
    assert np.corrcoef(fit.rater_effects, true_rater)[0, 1] > 0.8


def test_disconnected_design_is_reported_and_compared_as_raw_means_between_parts():
    # Ratees 0,1 rated only by raters 0,1; ratees 2,3 only by raters 2,3.
    ratee = np.array([0, 1, 0, 1, 2, 3, 2, 3])
    rater = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    score = np.array([4, 2, 5, 3, 3, 3, 4, 2], dtype=float)
    fit = additive(ratee, rater, score)
    assert fit.n_components == 2
    assert fit.ratee_component[0] == fit.ratee_component[1] != fit.ratee_component[2]
    # Between parts, the difference of the parts' average ratee effects equals the
    # difference of their raw means (no adjustment is possible there).
    part_a = fit.ratee_effects[[0, 1]].mean() - fit.ratee_effects[[2, 3]].mean()
    assert part_a == pytest.approx(score[:4].mean() - score[4:].mean())
    # Within a part, the adjustment works as usual: ratee 0 beats ratee 1 by 2 points.
    assert fit.ratee_effects[0] - fit.ratee_effects[1] == pytest.approx(2.0)


def test_conjugate_gradient_path_equals_dense_path(monkeypatch):
    rng = np.random.default_rng(5)
    ratee = rng.integers(0, 40, 2000)
    rater = rng.integers(0, 300, 2000)
    score = rng.integers(1, 6, 2000).astype(float)
    dense = additive(ratee, rater, score)
    monkeypatch.setattr(adjust, "DENSE_LIMIT", 0)
    iterative = additive(ratee, rater, score)
    assert iterative.ratee_effects == pytest.approx(dense.ratee_effects, abs=1e-8)
    assert iterative.rater_effects == pytest.approx(dense.rater_effects, abs=1e-8)


def test_more_ratees_than_raters_absorbs_the_other_factor():
    rng = np.random.default_rng(6)
    ratee = rng.integers(0, 50, 600)
    rater = rng.integers(0, 8, 600)
    score = rng.normal(size=600)
    fit = additive(ratee, rater, score)
    _, alpha, beta, _, ra, rb = _dense_fit(ratee, rater, score)
    assert fit.ratee_effects[ra] == pytest.approx(alpha, abs=1e-8)
    assert fit.rater_effects[rb] == pytest.approx(beta, abs=1e-8)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        additive([0, 1], [0], [1.0, 2.0])
    with pytest.raises(ValueError):
        additive([0, -1], [0, 1], [1.0, 2.0])
    with pytest.raises(ValueError):
        additive([0, 1], [0, 1], [1.0, np.nan])
    with pytest.raises(ValueError):
        additive([], [], [])
