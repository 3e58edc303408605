"""Change between cycles against scipy and statsmodels."""

import warnings

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW
from statsmodels.tools import add_constant

from innerclient.scoring.change import benjamini_hochberg, brunner_munzel, trend, welch

# The reference implementations warn about degenerate random samples (zero variance);
# the comparisons below handle the nan they return, so the warnings are noise here.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

samples = st.lists(st.integers(1, 5), min_size=2, max_size=40).map(
    lambda v: np.array(v, dtype=float)
)


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_welch_matches_scipy_and_statsmodels(before, after):
    result = welch(before, after)
    assert result.delta == pytest.approx(after.mean() - before.mean())
    if before.var() == 0 and after.var() == 0:
        assert np.isnan(result.p)
        return
    t = scipy.stats.ttest_ind(after, before, equal_var=False)
    assert result.p == pytest.approx(t.pvalue, abs=1e-10)
    assert result.df == pytest.approx(t.df, rel=1e-10)
    compare = CompareMeans(DescrStatsW(after), DescrStatsW(before))
    low, high = compare.tconfint_diff(alpha=0.05, usevar="unequal")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-10)
    _, p_sm, df_sm = compare.ttest_ind(usevar="unequal")
    assert result.p == pytest.approx(p_sm, abs=1e-10)
    assert result.df == pytest.approx(df_sm, rel=1e-10)


def test_welch_sign_follows_after_minus_before():
    result = welch([2, 3, 2, 3, 2], [4, 5, 4, 5, 4])
    assert result.delta == pytest.approx(2.0)
    assert result.ci_low > 0
    assert result.p < 0.001


def test_welch_needs_two_answers_per_cycle():
    with pytest.raises(ValueError):
        welch([3], [4, 5])


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_brunner_munzel_matches_scipy(before, after):
    result = brunner_munzel(before, after)
    pooled = np.concatenate([before, after])
    if np.all(pooled == pooled[0]):
        assert result.p == 1.0 and result.p_after_higher == 0.5
        return
    with warnings.catch_warnings():
        # scipy warns on complete separation; both sides then return the same inf / 0.
        warnings.simplefilter("ignore", RuntimeWarning)
        theirs = scipy.stats.brunnermunzel(before, after)
    assert result.statistic == pytest.approx(theirs.statistic, nan_ok=True)
    assert result.p == pytest.approx(theirs.pvalue, nan_ok=True)
    # p_after_higher by brute force: P(after > before) + P(tie) / 2.
    gt = (after[:, None] > before[None, :]).mean()
    eq = (after[:, None] == before[None, :]).mean()
    assert result.p_after_higher == pytest.approx(gt + eq / 2)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=60))
def test_benjamini_hochberg_matches_statsmodels(p):
    p = np.array(p)
    _, expected, _, _ = multipletests(p, method="fdr_bh")
    assert benjamini_hochberg(p) == pytest.approx(expected, abs=1e-12)


def test_benjamini_hochberg_keeps_nan_out_of_the_count():
    q = benjamini_hochberg([0.01, np.nan, 0.04])
    _, expected, _, _ = multipletests([0.01, 0.04], method="fdr_bh")
    assert np.isnan(q[1])
    assert q[[0, 2]] == pytest.approx(expected)


def test_false_change_flags_on_null_data_stay_at_or_below_nominal_fdr():
    # 60 departments, 300 simulated pairs of cycles with no true change: with BH at 10%,
    # any flag is false, and the share of runs with any flag (= FDR under the global
    # null) must stay at or below 10% (plus Monte Carlo slack).
    rng = np.random.default_rng(11)
    runs_with_flag = 0
    runs = 300
    for _ in range(runs):
        before = rng.integers(1, 6, (60, 25)).astype(float)
        after = rng.integers(1, 6, (60, 25)).astype(float)
        # Vectorised Welch p-values (welch() itself is checked against scipy above).
        p = scipy.stats.ttest_ind(after, before, axis=1, equal_var=False).pvalue
        runs_with_flag += bool((benjamini_hochberg(p) <= 0.10).any())
    assert runs_with_flag / runs <= 0.10 + 0.05


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 5), min_size=3, max_size=12))
def test_trend_matches_statsmodels_ols(y):
    y = np.array(y)
    x = np.arange(y.size, dtype=float)
    result = trend(x, y)
    ols = OLS(y, add_constant(x)).fit()
    assert result.slope == pytest.approx(ols.params[1], abs=1e-9)
    assert result.intercept == pytest.approx(ols.params[0], abs=1e-9)
    if ols.bse[1] > 1e-9:
        low, high = ols.conf_int(alpha=0.05)[1]
        assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-8)
        assert result.p == pytest.approx(ols.pvalues[1], abs=1e-9)


def test_trend_needs_three_cycles():
    with pytest.raises(ValueError):
        trend([0, 1], [3.0, 4.0])
