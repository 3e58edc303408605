"""Anonymity: threshold, complementary suppression, differences of published figures."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from innerclient.scoring.privacy import (
    Suppressed,
    check_threshold,
    complementary_suppression,
    difference_is_safe,
    distinct_raters,
    shown,
)


def test_a_figure_on_fewer_than_k_raters_is_suppressed_with_a_reason():
    figure = shown(4.2, n_raters=4, k=5)
    assert isinstance(figure, Suppressed)
    assert not figure
    assert "5" in figure.reason
    assert shown(4.2, n_raters=5, k=5) == 4.2


@pytest.mark.parametrize("k", [2, 11, 4.5, True])
def test_threshold_outside_the_regulation_range_is_refused(k):
    with pytest.raises(ValueError):
        check_threshold(k)


def test_distinct_raters_count_each_rater_once_per_cell():
    counts = distinct_raters([0, 0, 0, 1, 1], [7, 7, 8, 7, 9], n_cells=3)
    assert counts.tolist() == [2, 2, 0]


def test_difference_of_two_figures_must_not_isolate_a_small_group():
    everyone = np.arange(20)
    assert not difference_is_safe(everyone, everyone[:-2], k=5)  # two raters isolated
    assert difference_is_safe(everyone, everyone[:-5], k=5)
    assert difference_is_safe(everyone, everyone, k=5)


def test_one_suppressed_cell_in_a_row_gets_a_complementary_partner():
    counts = np.array([[10, 2, 8], [7, 9, 12], [6, 8, 20]])
    result = complementary_suppression(counts, k=5)
    assert result.primary[0, 1]
    assert result.cells.sum() >= 4
    assert result.cells[0].sum() >= 2 and result.cells[:, 1].sum() >= 2
    assert not result.total


def _extended(counts):
    r, c = counts.shape
    ext = np.zeros((r + 1, c + 1), dtype=int)
    ext[:r, :c] = counts
    ext[:r, c] = counts.sum(axis=1)
    ext[r, :c] = counts.sum(axis=0)
    ext[r, c] = counts.sum()
    return ext


def _determined(hidden, ext):
    """Independent check by matrix rank: entry v is determined by the shown figures iff
    appending the unit vector e_v to the constraint matrix leaves its rank unchanged."""
    rows, cols = ext.shape
    unknown = [tuple(p) for p in np.argwhere(hidden & (ext > 0))]
    if not unknown:
        return []
    pos = {p: i for i, p in enumerate(unknown)}
    eqs = []
    for i in range(rows):
        eq = np.zeros(len(unknown))
        for j in range(cols):
            if (i, j) in pos:
                eq[pos[(i, j)]] = -1 if j == cols - 1 else 1
        eqs.append(eq)
    for j in range(cols):
        eq = np.zeros(len(unknown))
        for i in range(rows):
            if (i, j) in pos:
                eq[pos[(i, j)]] = -1 if i == rows - 1 else 1
        eqs.append(eq)
    a = np.array(eqs)
    rank = np.linalg.matrix_rank(a)
    out = []
    for p, i in pos.items():
        unit = np.zeros(len(unknown))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.append(p)
    return out


@settings(max_examples=80, deadline=None)
@given(
    hnp.arrays(
        np.int64,
        st.tuples(st.integers(1, 5), st.integers(1, 5)),
        elements=st.integers(0, 14),
    ),
    st.integers(3, 10),
)
def test_suppression_leaves_no_recoverable_cell(counts, k):
    result = complementary_suppression(counts, k)
    ext = _extended(counts)
    hidden = np.zeros(ext.shape, dtype=bool)
    hidden[:-1, :-1] = result.cells
    hidden[:-1, -1] = result.row_totals
    hidden[-1, :-1] = result.col_totals
    hidden[-1, -1] = result.total
    # 1. Every non-empty figure below the threshold is hidden.
    assert np.all(hidden[(ext > 0) & (ext < k)])
    # 2. No hidden figure can be worked out from the shown ones.
    assert _determined(hidden, ext) == []
    # 3. In a line whose total is shown, the hidden cells together rest on >= k raters.
    for i in range(ext.shape[0]):
        if not hidden[i, -1]:
            s = ext[i, :-1][hidden[i, :-1]].sum()
            assert s == 0 or s >= k
    for j in range(ext.shape[1]):
        if not hidden[-1, j]:
            s = ext[:-1, j][hidden[:-1, j]].sum()
            assert s == 0 or s >= k


def test_a_table_with_nothing_small_shows_everything():
    result = complementary_suppression(np.full((3, 4), 9), k=5)
    assert not result.cells.any() and not result.row_totals.any() and not result.total
