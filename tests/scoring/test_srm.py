"""Social Relations Model: Kenny's published example and simulation recovery."""

import numpy as np
import pytest

from innerclient.scoring.srm import round_robin

NA = np.nan
# Kenny, D. A., "The Social Relations Model" (davidakenny.net/srm/mathsrm.htm): a round
# robin of six persons (rows actors, columns partners). He gives the actor effects
# 1.208, -1.625, -.167, -.208, -1.083, 1.875 and their variance 1.772.
KENNY = np.array(
    [
        [NA, 4, 5, 6, 7, 5],
        [2, NA, 1, 3, 2, 4],
        [5, 4, NA, 3, 2, 6],
        [4, 5, 4, NA, 2, 5],
        [1, 4, 4, 3, NA, 3],
        [5, 7, 5, 3, 9, NA],
    ]
)
KENNY_ACTOR_EFFECTS = [1.208, -1.625, -0.167, -0.208, -1.083, 1.875]


def test_actor_effects_match_kenny_example():
    result = round_robin(KENNY)
    assert result.actor_effects == pytest.approx(KENNY_ACTOR_EFFECTS, abs=0.0005)
    assert np.var(result.actor_effects, ddof=1) == pytest.approx(1.772, abs=0.0005)


def test_partner_effects_are_actor_effects_of_the_transposed_round_robin():
    result = round_robin(KENNY)
    flipped = round_robin(KENNY.T)
    assert flipped.actor_effects == pytest.approx(result.partner_effects)
    assert flipped.actor_variance == pytest.approx(result.partner_variance)
    assert flipped.dyadic_covariance == pytest.approx(result.dyadic_covariance)


def test_effects_reconstruct_the_ratings_and_relationship_sums_vanish():
    result = round_robin(KENNY)
    rebuilt = (
        result.mean
        + result.actor_effects[:, None]
        + result.partner_effects[None, :]
        + result.relationship_effects
    )
    off = ~np.eye(6, dtype=bool)
    assert rebuilt[off] == pytest.approx(KENNY[off])
    assert result.actor_effects.sum() == pytest.approx(0, abs=1e-12)
    assert np.nansum(result.relationship_effects, axis=1) == pytest.approx(0, abs=1e-12)
    assert np.nansum(result.relationship_effects, axis=0) == pytest.approx(0, abs=1e-12)


def test_variance_components_of_kenny_example_by_hand():
    # The ANOVA estimators written out independently (Kenny 1994, appendix B).
    result = round_robin(KENNY)
    n = 6
    a, g = result.actor_effects, result.relationship_effects
    iu = np.triu_indices(n, 1)
    ms_s = np.sum((g[iu] + g.T[iu]) ** 2 / 2) / ((n - 1) * (n - 2) / 2 - 1)
    ms_d = np.sum((g[iu] - g.T[iu]) ** 2 / 2) / ((n - 1) * (n - 2) / 2)
    var_g, cov_g = (ms_s + ms_d) / 2, (ms_s - ms_d) / 2
    assert result.relationship_variance == pytest.approx(var_g)
    assert result.dyadic_covariance == pytest.approx(cov_g)
    expected_a = a @ a / (n - 1) - var_g * (n - 1) / (n * (n - 2)) - cov_g / (n * (n - 2))
    assert result.actor_variance == pytest.approx(expected_a)


def _simulate(rng, n, var_a, var_b, cov_ab, var_g, r_gg, missing=0):
    ab = rng.multivariate_normal([0, 0], [[var_a, cov_ab], [cov_ab, var_b]], n)
    g = np.zeros((n, n))
    iu = np.triu_indices(n, 1)
    pairs = rng.multivariate_normal([0, 0], var_g * np.array([[1, r_gg], [r_gg, 1]]), len(iu[0]))
    g[iu] = pairs[:, 0]
    g.T[iu] = pairs[:, 1]
    x = 3 + ab[:, [0]] + ab[:, 1][None, :] + g
    np.fill_diagonal(x, np.nan)
    if missing:
        off = np.argwhere(~np.eye(n, dtype=bool))
        drop = off[rng.choice(len(off), missing, replace=False)]
        x[drop[:, 0], drop[:, 1]] = np.nan
    return x


def test_simulation_recovers_planted_variance_components_on_average():
    # The method-of-moments estimators are unbiased: averaged over replications they must
    # land near the planted values (actor 1.0, partner 0.5, relationship 1.0,
    # actor-partner covariance 0.3, dyadic reciprocity 0.5).
    rng = np.random.default_rng(3)
    fits = [round_robin(_simulate(rng, 12, 1.0, 0.5, 0.3, 1.0, 0.5)) for _ in range(300)]
    mean = lambda name: np.mean([getattr(f, name) for f in fits])  # noqa: E731
    assert mean("actor_variance") == pytest.approx(1.0, abs=0.1)
    assert mean("partner_variance") == pytest.approx(0.5, abs=0.08)
    assert mean("relationship_variance") == pytest.approx(1.0, abs=0.05)
    assert mean("actor_partner_covariance") == pytest.approx(0.3, abs=0.07)
    assert mean("dyadic_covariance") == pytest.approx(0.5, abs=0.05)


def test_a_lenient_department_shows_as_its_actor_effect():
    rng = np.random.default_rng(9)
    x = _simulate(rng, 10, 0.05, 0.5, 0.0, 0.2, 0.0)
    x[4] += 1.5  # department 4 rates everybody 1.5 points higher
    result = round_robin(x)
    # After centring the planted lift is 1.5 * 9/10 = 1.35, less the noise.
    assert int(np.argmax(result.actor_effects)) == 4
    assert result.actor_effects[4] > 0.8


def test_missing_dyads_use_the_least_squares_fill_and_stay_close_to_complete_data():
    rng = np.random.default_rng(4)
    diffs = []
    for _ in range(40):
        full = _simulate(rng, 12, 1.0, 0.5, 0.3, 1.0, 0.5)
        holed = full.copy()
        off = np.argwhere(~np.eye(12, dtype=bool))
        drop = off[rng.choice(len(off), 6, replace=False)]
        holed[drop[:, 0], drop[:, 1]] = np.nan
        a = round_robin(full)
        b = round_robin(holed)
        assert b.n_missing == 6
        assert np.all(np.isnan(b.relationship_effects[drop[:, 0], drop[:, 1]]))
        diffs.append(np.abs(a.partner_effects - b.partner_effects).max())
    # 6 of 132 ratings missing moves partner effects by little (their sd is ~0.7).
    assert np.median(diffs) < 0.2


def test_filled_values_are_the_least_squares_fit_of_the_observed_cells():
    # At the fixed point, actor and partner effects computed on the filled matrix equal
    # a least-squares fit of mean + actor + partner to the observed cells only.
    x = KENNY.copy()
    x[0, 1] = x[3, 5] = np.nan
    result = round_robin(x)
    obs = np.argwhere(np.isfinite(x))
    design = np.zeros((len(obs), 1 + 12))
    design[:, 0] = 1
    design[np.arange(len(obs)), 1 + obs[:, 0]] = 1
    design[np.arange(len(obs)), 7 + obs[:, 1]] = 1
    coef, *_ = np.linalg.lstsq(design, x[obs[:, 0], obs[:, 1]], rcond=None)
    fitted_ls = design @ coef
    fitted_ours = result.mean + result.actor_effects[obs[:, 0]] + result.partner_effects[obs[:, 1]]
    # Kenny's effects use the (n-1)^2/(n(n-2)) weights, which are the least-squares
    # solution of the complete-matrix additive model; on the filled matrix they coincide.
    assert fitted_ours == pytest.approx(fitted_ls, abs=1e-8)


def test_round_robin_refuses_too_small_or_empty_rows():
    with pytest.raises(ValueError):
        round_robin(np.ones((3, 3)))
    x = KENNY.copy()
    x[2, :] = np.nan
    with pytest.raises(ValueError):
        round_robin(x)
