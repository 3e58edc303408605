"""Reliability coefficients against published examples and second implementations."""

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from innerclient.scoring.reliability import cronbach_alpha, icc, krippendorff_alpha

# The reference implementations warn about degenerate random samples (zero variance);
# the comparisons below handle the nan they return, so the warnings are noise here.
pytestmark = [
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),
    # pingouin calls a pandas API deprecated in pandas 3 (its problem, not ours).
    pytest.mark.filterwarnings("ignore:The inplace keyword"),
]

# Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
# reliability. Psychological Bulletin 86(2), 420-428. Table 2: 6 targets x 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
)
# Their Table 4, to two decimals: ICC(1,1) .17, ICC(2,1) .29, ICC(3,1) .71,
# ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91.
SHROUT_FLEISS_PUBLISHED = {
    "ICC1": 0.17,
    "ICC2": 0.29,
    "ICC3": 0.71,
    "ICC1k": 0.44,
    "ICC2k": 0.62,
    "ICC3k": 0.91,
}

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School for
# Communication, University of Pennsylvania: the reliability data of section C (4 observers
# x 12 units, missing values), with alpha nominal .743, ordinal .815, interval .849,
# ratio .797.
NA = np.nan
KRIPPENDORFF = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NA, NA, NA],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NA, 3],
        [NA, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NA],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NA],
    ]
)
KRIPPENDORFF_PUBLISHED = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def _long(x):
    rows, cols = x.shape
    return pd.DataFrame(
        [(i, j, x[i, j]) for i in range(rows) for j in range(cols)],
        columns=["target", "rater", "score"],
    )


def _pingouin_icc(x):
    table = pingouin.intraclass_corr(_long(x), targets="target", raters="rater", ratings="score")
    names = ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    return dict(zip(names, table["ICC"].to_numpy(), strict=True))


def test_icc_matches_shrout_fleiss_table_4():
    result = icc(SHROUT_FLEISS)
    for key, published in SHROUT_FLEISS_PUBLISHED.items():
        assert result[key] == pytest.approx(published, abs=0.005), key


def test_icc_matches_pingouin_on_shrout_fleiss_data():
    assert icc(SHROUT_FLEISS) == pytest.approx(_pingouin_icc(SHROUT_FLEISS), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(3, 12), st.integers(2, 6)),
        elements=st.integers(1, 5).map(float),
    )
)
def test_icc_matches_pingouin_on_random_tables(x):
    ours = icc(x)
    theirs = _pingouin_icc(x)
    for key in ours:
        if np.isfinite(ours[key]) and np.isfinite(theirs[key]):
            assert ours[key] == pytest.approx(theirs[key], abs=1e-9), key


def test_icc_rejects_missing_values():
    x = SHROUT_FLEISS.astype(float)
    x[0, 0] = np.nan
    with pytest.raises(ValueError):
        icc(x)


@pytest.mark.parametrize("level", list(KRIPPENDORFF_PUBLISHED))
def test_krippendorff_alpha_matches_published_example(level):
    assert krippendorff_alpha(KRIPPENDORFF, level) == pytest.approx(
        KRIPPENDORFF_PUBLISHED[level], abs=0.0005
    )


@pytest.mark.parametrize("level", list(KRIPPENDORFF_PUBLISHED))
def test_krippendorff_alpha_matches_krippendorff_package_on_example(level):
    expected = krippendorff.alpha(reliability_data=KRIPPENDORFF, level_of_measurement=level)
    assert krippendorff_alpha(KRIPPENDORFF, level) == pytest.approx(expected, abs=1e-12)


@st.composite
def reliability_data(draw):
    raters = draw(st.integers(2, 6))
    units = draw(st.integers(2, 15))
    values = draw(hnp.arrays(np.float64, (raters, units), elements=st.integers(1, 5).map(float)))
    missing = draw(hnp.arrays(np.bool_, (raters, units)))
    values[missing] = np.nan
    return values


@settings(max_examples=60, deadline=None)
@given(reliability_data(), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_krippendorff_alpha_matches_krippendorff_package_with_missing_values(x, level):
    ours = krippendorff_alpha(x, level)
    try:
        theirs = krippendorff.alpha(reliability_data=x, level_of_measurement=level)
    except ValueError:
        # The package refuses data with fewer than two distinct values; we return nan.
        assert np.isnan(ours)
        return
    if np.isnan(theirs):
        assert np.isnan(ours)
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_krippendorff_alpha_is_one_for_perfect_agreement_and_ignores_lonely_values():
    x = np.array([[1, 2, 3, 4, 5], [1, 2, 3, 4, np.nan]])
    assert krippendorff_alpha(x, "interval") == pytest.approx(1.0)


def test_krippendorff_alpha_rejects_unknown_level():
    with pytest.raises(ValueError):
        krippendorff_alpha(KRIPPENDORFF, "circular")


def test_permuting_raters_changes_no_reliability_figure():
    rng = np.random.default_rng(7)
    order = rng.permutation(4)
    assert icc(SHROUT_FLEISS[:, order]) == pytest.approx(icc(SHROUT_FLEISS))
    for level in KRIPPENDORFF_PUBLISHED:
        assert krippendorff_alpha(KRIPPENDORFF[order], level) == pytest.approx(
            krippendorff_alpha(KRIPPENDORFF, level)
        )


def _cronbach_by_hand(x):
    # alpha = k/(k-1) * (1 - sum of item variances / variance of the total score)
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_cronbach_alpha_of_shrout_fleiss_judges_equals_icc3k():
    # Treating the 4 judges as items, Cronbach's alpha equals ICC(3,k) (a known identity;
    # Shrout & Fleiss 1979 give .91), which ties the two implementations together.
    assert cronbach_alpha(SHROUT_FLEISS) == pytest.approx(icc(SHROUT_FLEISS)["ICC3k"], abs=1e-12)
    assert cronbach_alpha(SHROUT_FLEISS) == pytest.approx(0.91, abs=0.005)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(3, 20), st.integers(2, 8)),
        elements=st.integers(1, 5).map(float),
    )
)
def test_cronbach_alpha_matches_pingouin_and_hand_formula(x):
    ours = cronbach_alpha(x)
    if np.isnan(ours):
        assert x.sum(axis=1).var() == 0
        return
    theirs, _ = pingouin.cronbach_alpha(pd.DataFrame(x))
    with np.errstate(divide="ignore", invalid="ignore"):
        hand = _cronbach_by_hand(x)
    assert ours == pytest.approx(theirs, abs=1e-9)
    assert ours == pytest.approx(hand, abs=1e-12)


def test_cronbach_alpha_drops_incomplete_respondents():
    x = np.vstack([SHROUT_FLEISS.astype(float), [np.nan, 1, 2, 3]])
    assert cronbach_alpha(x) == pytest.approx(cronbach_alpha(SHROUT_FLEISS))


def test_icc_of_a_table_without_variation_between_targets_is_undefined_not_huge():
    """Every target rated alike: the mean squares are zero up to rounding, and each ICC is
    0 / 0 (nan), never a rounding artefact such as 1e16."""
    x = np.array([[1.1, 2.3, 3.7]] * 5)
    values = icc(x)
    assert all(np.isnan(v) or abs(v) <= 1 for v in values.values()), values
    assert np.isnan(values["ICC3k"])
