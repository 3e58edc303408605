"""The bonus formula (pure, no Django): bands, improvement, the cap, and when data is
insufficient."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innerclient.appeals import bonus
from innerclient.appeals.bonus import Band, BandError, Figure, Scheme, multiplier_for, parse_bands

EXAMPLE = [[None, 50, 0.9], [50, 70, 1.0], [70, 85, 1.05], [85, None, 1.1]]


def _scheme(**kwargs):
    defaults = {"mode": bonus.BANDS, "bands": parse_bands(EXAMPLE), "cap": 0.15}
    return Scheme(**{**defaults, **kwargs})


def _figure(index=75.0, half=4.0, n=20, **kwargs):
    return Figure(index=index, ci_low=index - half, ci_high=index + half, n_raters=n, **kwargs)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, 0.9),
        (49.99, 0.9),
        (50, 1.0),
        (69.9, 1.0),
        (70, 1.05),
        (84.99, 1.05),
        (85, 1.1),
        (100, 1.1),
    ],
)
def test_band_edges_belong_to_the_upper_band(index, expected):
    assert multiplier_for(_scheme(), _figure(index=index)).multiplier == expected


def test_insufficient_data_reasons_in_order():
    scheme = _scheme(min_raters=10, max_half_width=10)
    hidden = Figure(index=None, shown=False)
    assert multiplier_for(scheme, hidden).reason == bonus.HIDDEN
    assert multiplier_for(scheme, _figure(n=9)).reason == bonus.FEW_RATERS
    assert multiplier_for(scheme, _figure(n=10)).sufficient
    assert multiplier_for(scheme, _figure(half=10.0)).sufficient
    wide = multiplier_for(scheme, _figure(half=10.01))
    assert (wide.multiplier, wide.reason) == (None, bonus.WIDE_INTERVAL)
    no_interval = Figure(index=75.0, n_raters=20)
    assert multiplier_for(scheme, no_interval).reason == bonus.WIDE_INTERVAL


def test_a_hidden_figure_never_gets_a_multiplier_even_if_numbers_leak_in():
    figure = Figure(index=90.0, ci_low=89, ci_high=91, n_raters=50, shown=False)
    assert multiplier_for(_scheme(), figure).multiplier is None


def test_improvement_formula_and_its_cap():
    scheme = _scheme(mode=bonus.IMPROVEMENT, slope=0.01, cap=0.1)
    up = multiplier_for(scheme, _figure(index=70, previous_index=65))
    assert up.multiplier == pytest.approx(1.05) and up.change == pytest.approx(5)
    assert not up.capped
    big = multiplier_for(scheme, _figure(index=90, previous_index=60))
    assert (big.multiplier, big.capped) == (1.1, True)
    down = multiplier_for(scheme, _figure(index=50, previous_index=80))
    assert down.multiplier == 0.9
    none = multiplier_for(scheme, _figure(index=70))
    assert (none.multiplier, none.reason) == (None, bonus.NO_PREVIOUS)


def test_bands_above_the_cap_are_clipped():
    scheme = _scheme(cap=0.05)
    assert multiplier_for(scheme, _figure(index=90)).multiplier == 1.05
    assert multiplier_for(scheme, _figure(index=10)).multiplier == 0.95
    assert multiplier_for(scheme, _figure(index=60)).multiplier == 1.0


@pytest.mark.parametrize(
    ("bands", "code"),
    [
        ([], "empty"),
        ([[None, None, 0]], "multiplier"),
        ([[None, None, -1]], "multiplier"),
        ([[0, None, 1.0]], "open_ends"),
        ([[None, 50, 1.0]], "open_ends"),
        ([[None, 50, 0.9], [60, None, 1.1]], "gap"),
        ([[None, 60, 0.9], [50, None, 1.1]], "overlap"),
        ([[None, 50, 0.9], [50, 50, 1.0], [50, None, 1.1]], "empty_band"),
        ([[None, 50, 0.9], [None, None, 1.1]], "open_ends"),
        ([[None, 50, "x"]], "shape"),
        ([[None, 50]], "shape"),
        ([[None, float("nan"), 1.0]], "shape"),
    ],
)
def test_bad_bands_are_refused(bands, code):
    with pytest.raises(BandError) as error:
        parse_bands(bands)
    assert error.value.code == code


def test_a_single_open_band_is_a_flat_multiplier():
    (band,) = parse_bands([[None, None, 1.02]])
    assert band == Band(None, None, 1.02)


# --- properties -----------------------------------------------------------------------------

bounds = st.lists(st.integers(min_value=1, max_value=99), min_size=0, max_size=6, unique=True).map(
    sorted
)
multipliers = st.floats(min_value=0.5, max_value=1.5, allow_nan=False).map(lambda m: round(m, 3))
caps = st.integers(min_value=0, max_value=1000).map(lambda c: c / 1000)


@st.composite
def band_lists(draw):
    edges = draw(bounds)
    lowers = [None, *edges]
    uppers = [*edges, None]
    return [[lower, upper, draw(multipliers)] for lower, upper in zip(lowers, uppers, strict=True)]


@given(band_lists(), st.floats(min_value=0, max_value=100, allow_nan=False))
def test_every_index_falls_in_exactly_one_band(raw, index):
    bands = parse_bands(raw)
    assert sum(band.contains(index) for band in bands) == 1


@given(band_lists(), st.integers(min_value=1, max_value=99))
def test_a_band_edge_takes_the_upper_bands_multiplier(raw, edge):
    bands = parse_bands(raw)
    holder = [b for b in bands if b.lower == edge]
    if holder:
        assert bonus.band_multiplier(bands, edge) == holder[0].multiplier
        below = next(b for b in bands if b.upper == edge)
        assert bonus.band_multiplier(bands, math.nextafter(edge, -math.inf)) == below.multiplier


@given(
    band_lists(),
    caps,
    st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_bands_multiplier_never_exceeds_the_cap(raw, cap, index):
    outcome = multiplier_for(_scheme(bands=parse_bands(raw), cap=cap), _figure(index=index))
    assert outcome.multiplier is not None
    assert abs(outcome.multiplier - 1) <= cap + 1e-9
    assert outcome.multiplier >= 0


@given(
    caps,
    st.floats(min_value=0, max_value=0.1, allow_nan=False),
    st.floats(min_value=0, max_value=100, allow_nan=False),
    st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_improvement_multiplier_never_exceeds_the_cap_and_rises_with_the_change(
    cap, slope, now, before
):
    scheme = _scheme(mode=bonus.IMPROVEMENT, slope=slope, cap=cap)
    outcome = multiplier_for(scheme, _figure(index=now, previous_index=before))
    assert abs(outcome.multiplier - 1) <= cap + 1e-9
    assert outcome.multiplier >= 0
    better = multiplier_for(scheme, _figure(index=min(now + 5, 100), previous_index=before))
    assert better.multiplier >= outcome.multiplier


@given(st.integers(min_value=0, max_value=40), st.integers(min_value=3, max_value=40))
def test_fewer_raters_than_the_minimum_is_always_insufficient(n, minimum):
    outcome = multiplier_for(_scheme(min_raters=minimum), _figure(n=n))
    assert outcome.sufficient == (n >= minimum)
