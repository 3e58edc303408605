"""The whole methodology from arrays: consistency with the parts, privacy, invariants."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innerclient.scoring import reliability
from innerclient.scoring.cells import Scale
from innerclient.scoring.index import department_index
from innerclient.scoring.pipeline import CycleAnswers, Methodology, as_json, score_cycle

SCALE = Scale(1, 5)


def simulate(seed=0, departments=12, raters=400, per_rater=4, criteria=6, lenient=None, shift=0):
    """Raters of random client departments rate ``per_rater`` distinct providers on every
    criterion; ``lenient`` maps a client department to a shift of all its scores."""
    # The departments' standing is the same in every simulated cycle of a company.
    effects = np.random.default_rng(100).normal(0, 0.6, departments)
    rng = np.random.default_rng(seed)
    home = rng.integers(0, departments, raters)
    chosen = np.argsort(rng.random((raters, departments)), axis=1)
    providers = np.array(
        [[p for p in row if p != home[r]][:per_rater] for r, row in enumerate(chosen)]
    )
    response_rater = np.repeat(np.arange(raters), per_rater)
    response_provider = providers.ravel()
    n = response_rater.size
    response = np.repeat(np.arange(n), criteria)
    criterion = np.tile(np.arange(criteria), n)
    rater = response_rater[response]
    provider = response_provider[response]
    client = home[rater]
    bias = np.zeros(departments)
    for department, amount in (lenient or {}).items():
        bias[department] = amount
    score = np.clip(
        np.rint(3 + shift + effects[provider] + bias[client] + rng.normal(0, 0.8, response.size)),
        1,
        5,
    )
    answers = CycleAnswers.build(
        scale=SCALE,
        weights=np.arange(1, criteria + 1, dtype=float),
        n_departments=departments,
        provider=provider,
        client=client,
        rater=rater,
        criterion=criterion,
        response=response,
        score=score,
        response_seconds=rng.uniform(30, 300, n),
    )
    return answers, effects


def test_index_and_cells_agree_with_the_parts():
    answers, _effects = simulate()
    scores = score_cycle(answers)
    pooled = scores.pooled.n_raters > 0
    assert pooled.any() and not pooled.all(), "the simulation has providers of both kinds"
    direct = department_index(
        answers.provider,
        answers.client,
        answers.criterion,
        answers.score,
        scale=SCALE,
        weights=answers.weights,
        n_departments=answers.n_departments,
    )
    # Without a pooled unit, every client department is a unit of its own.
    np.testing.assert_allclose(scores.index[~pooled], direct.index[~pooled])
    np.testing.assert_allclose(scores.criterion_percent[~pooled], direct.criterion_scores[~pooled])
    # With one, its departments count together: their raters' pooled mean, weighted by how
    # many departments it stands for (client departments equal).
    for provider in np.nonzero(pooled)[0]:
        own = np.nonzero(scores.client_shown[provider])[0]
        for criterion in range(answers.weights.size):
            about = (answers.provider == provider) & (answers.criterion == criterion)
            percent = SCALE.percent(answers.score)
            means = [percent[about & (answers.client == k)].mean() for k in own]
            in_pool = about & ~np.isin(answers.client, own) & (answers.client != provider)
            m_h = np.unique(answers.client[in_pool]).size
            assert m_h == scores.pooled.departments[provider] >= 2
            expected = (sum(means) + m_h * percent[in_pool].mean()) / (len(means) + m_h)
            assert scores.criterion_percent[provider, criterion] == pytest.approx(expected)
            assert scores.pooled.criterion_percent[provider, criterion] == pytest.approx(
                percent[in_pool].mean()
            )
    # Raters equal: pooling changes nothing, every rater counts once either way.
    by_rater = score_cycle(answers, Methodology(mode="rater_equal"))
    direct_raters = department_index(
        answers.provider,
        answers.client,
        answers.criterion,
        answers.score,
        scale=SCALE,
        weights=answers.weights,
        mode="rater_equal",
        rater=answers.rater,
        n_departments=answers.n_departments,
    )
    np.testing.assert_allclose(by_rater.index, direct_raters.index)
    # One cell by hand: provider 0, criterion 2, every client department shown alone.
    for client in range(answers.n_departments):
        picked = (answers.provider == 0) & (answers.criterion == 2) & (answers.client == client)
        if scores.cell_n[0, 2, client]:
            assert scores.cell_n[0, 2, client] == picked.sum()
            assert scores.cell_mean[0, 2, client] == pytest.approx(answers.score[picked].mean())


def test_a_lenient_client_department_shows_as_the_largest_actor_effect():
    answers, _effects = simulate(seed=3, lenient={1: 1.2})
    scores = score_cycle(answers)
    assert scores.adjustment_factor == "client department"
    assert scores.srm is not None
    actor = np.full(answers.n_departments, np.nan)
    actor[scores.srm_departments] = scores.srm.actor_effects
    assert int(np.nanargmax(actor)) == 1
    # The adjusted index ranks departments by the planted standing at least as well as raw.
    shown = np.isfinite(scores.index)
    truth = _effects[shown]
    raw = np.corrcoef(scores.index[shown], truth)[0, 1]
    adjusted = np.corrcoef(scores.adjusted_index[shown], truth)[0, 1]
    assert adjusted > 0.95 and adjusted >= raw - 0.01


def test_a_provider_below_the_threshold_shows_nothing_anywhere():
    answers, _effects = simulate(seed=1)
    keep = ~((answers.provider == 5) & (answers.rater % 60 != 0))
    thin = CycleAnswers.build(
        scale=SCALE,
        weights=answers.weights,
        n_departments=answers.n_departments,
        provider=answers.provider[keep],
        client=answers.client[keep],
        rater=answers.rater[keep],
        criterion=answers.criterion[keep],
        response=answers.response[keep],
        score=answers.score[keep],
        response_seconds=answers.response_seconds,
    )
    raters_of_5 = np.unique(thin.rater[thin.provider == 5]).size
    assert 0 < raters_of_5 < 5
    scores = score_cycle(thin, Methodology(k=5))
    assert not scores.shown[5]
    for figure in (scores.index, scores.adjusted_index, scores.index_ci_low):
        assert np.isnan(figure[5])
    assert np.all(np.isnan(scores.criterion_percent[5]))
    assert np.all(scores.cell_n[5] == 0) and scores.n_raters[5] == 0
    assert scores.rank[5] == 0
    assert all(problem.department != 5 for problem in scores.problems)
    payload = as_json(scores)
    assert payload["providers"][5]["index"] is None
    assert all(cell["provider"] != 5 for cell in payload["cells"])


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_shuffling_the_answers_and_relabelling_raters_changes_nothing(seed):
    answers, _effects = simulate(seed=seed % 1000, departments=8, raters=120)
    rng = np.random.default_rng(seed)
    order = rng.permutation(answers.score.size)
    relabel = rng.permutation(int(answers.rater.max()) + 1)
    shuffled = CycleAnswers.build(
        scale=SCALE,
        weights=answers.weights,
        n_departments=answers.n_departments,
        provider=answers.provider[order],
        client=answers.client[order],
        rater=relabel[answers.rater[order]],
        criterion=answers.criterion[order],
        response=answers.response[order],
        score=answers.score[order],
        response_seconds=answers.response_seconds,
    )
    a, b = as_json(score_cycle(answers)), as_json(score_cycle(shuffled))
    assert a["providers"] == b["providers"]
    assert sorted(a["cells"], key=lambda c: (c["provider"], c["criterion"], c["client"])) == sorted(
        b["cells"], key=lambda c: (c["provider"], c["criterion"], c["client"])
    )
    for key in ("icc1", "alpha_interval", "cronbach"):
        assert a["reliability"][key] == pytest.approx(b["reliability"][key], abs=1e-9)


def test_change_and_trend_against_earlier_cycles():
    first, _ = simulate(seed=5)
    second, _ = simulate(seed=6)
    third, _ = simulate(seed=7, shift=0.6)
    scores = score_cycle(third, history=[first, second])
    change = scores.change
    assert change is not None
    # Everyone rose by 0.6 of a point (15 index points, a little less where scores hit the
    # top of the scale) against the previous cycle.
    assert 10 < np.nanmean(change.delta) < 16
    assert change.significant.mean() > 0.8
    assert np.all(change.delta[change.significant] > 0)
    assert np.all(change.trend_cycles[scores.shown] == 3)
    np.testing.assert_allclose(change.history[-1], scores.index)


def test_json_has_no_nan_and_survives_a_round_trip():
    answers, _ = simulate(seed=2)
    payload = as_json(score_cycle(answers, history=[simulate(seed=9)[0]]))
    text = json.dumps(payload, allow_nan=False)
    assert json.loads(text) == payload


def test_a_cycle_without_answers_scores_to_nothing_shown():
    empty = np.zeros(0, dtype=np.int64)
    answers = CycleAnswers.build(
        scale=SCALE,
        weights=[1.0, 1.0],
        n_departments=3,
        provider=empty,
        client=empty,
        rater=empty,
        criterion=empty,
        response=empty,
        score=np.zeros(0),
    )
    payload = as_json(score_cycle(answers))
    assert not any(p["shown"] or p["rated"] for p in payload["providers"])
    assert payload["cells"] == [] and payload["problems"] == []


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        CycleAnswers.build(
            scale=SCALE,
            weights=[1.0],
            n_departments=2,
            provider=[0],
            client=[1],
            rater=[0],
            criterion=[0],
            response=[0],
            score=[6],
        )
    with pytest.raises(ValueError):
        Methodology(k=2)
    with pytest.raises(ValueError):
        Methodology(official="best")


# --- Reliability helpers the pipeline uses


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_krippendorff_from_counts_equals_the_wide_form(seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 6, size=(6, 15)).astype(float)
    x[rng.random(x.shape) < 0.3] = np.nan
    raters, units = np.nonzero(np.isfinite(x))
    for level in ("interval", "ordinal", "nominal", "ratio"):
        wide = reliability.krippendorff_alpha(x, level)
        long = reliability.krippendorff_alpha_long(units, x[raters, units], level)
        if np.isnan(wide):
            assert np.isnan(long)
        else:
            assert long == pytest.approx(wide, abs=1e-12)


def test_icc1_groups_equals_shrout_fleiss_icc1_when_balanced():
    x = np.array(  # Shrout & Fleiss (1979), Table 2: 6 targets x 4 judges
        [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
        dtype=float,
    )
    groups = np.repeat(np.arange(6), 4)
    assert reliability.icc1_groups(groups, x.ravel()) == pytest.approx(0.1657, abs=5e-5)
    assert reliability.icc1_groups(groups, x.ravel()) == pytest.approx(reliability.icc(x)["ICC1"])


def test_icc1_groups_matches_a_one_way_anova_when_unbalanced():
    statsmodels = pytest.importorskip("statsmodels.formula.api")
    anova_lm = pytest.importorskip("statsmodels.stats.anova").anova_lm
    import pandas as pd

    rng = np.random.default_rng(4)
    sizes = [3, 7, 4, 10, 5]
    groups = np.repeat(np.arange(5), sizes)
    values = rng.normal(0, 1, 5)[groups] + rng.normal(0, 1, groups.size)
    table = anova_lm(
        statsmodels.ols("y ~ C(g)", data=pd.DataFrame({"y": values, "g": groups})).fit()
    )
    msb, msw = table["mean_sq"].iloc[0], table["mean_sq"].iloc[1]
    big_n = groups.size
    n0 = (big_n - sum(s * s for s in sizes) / big_n) / (len(sizes) - 1)
    expected = (msb - msw) / (msb + (n0 - 1) * msw)
    assert reliability.icc1_groups(groups, values) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_cronbach_by_department_in_one_pass_equals_the_plain_formula(seed):
    from innerclient.scoring.pipeline import _cronbach_by_group

    rng = np.random.default_rng(seed)
    group = rng.integers(0, 5, 60)
    table = np.clip(np.rint(3 + rng.normal(0, 1, (60, 1)) + rng.normal(0, 0.7, (60, 4))), 1, 5)
    fast = _cronbach_by_group(table, group, 6)
    for g in range(6):
        rows = table[group == g]
        if rows.shape[0] < 2 or rows.sum(axis=1).var() == 0:
            assert np.isnan(fast[g])
        else:
            assert fast[g] == pytest.approx(reliability.cronbach_alpha(rows), abs=1e-9)
