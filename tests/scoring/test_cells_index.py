"""Cell statistics and the department index."""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from innerclient.scoring.cells import Scale, cell_stats, cell_table
from innerclient.scoring.index import department_index

FIVE = Scale(1, 5)


def test_cell_follows_the_russian_practice_formulas():
    # n5=3, n4=2, n3=1, n2=0, n1=1 -> mean (15 + 8 + 3 + 0 + 1) / 7 = 27/7.
    scores = [5, 5, 5, 4, 4, 3, 1]
    cell = cell_stats(scores, FIVE)
    assert cell.n == 7
    assert cell.mean == pytest.approx(27 / 7)
    assert cell.top_two_share == pytest.approx(5 / 7)
    assert cell.percent_of_scale == pytest.approx((27 / 7 - 1) / 4 * 100)
    assert cell.sd == pytest.approx(np.std(scores, ddof=1))
    low, high = scipy.stats.t.interval(0.95, 6, loc=27 / 7, scale=scipy.stats.sem(scores))
    assert (cell.ci_low, cell.ci_high) == pytest.approx((low, high))


def test_percent_of_scale_spans_zero_to_hundred_on_any_scale():
    assert Scale(0, 10).percent([0, 5, 10]) == pytest.approx([0, 50, 100])
    assert Scale(1, 10).top_two == 9


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 5)), min_size=1, max_size=80))
def test_cell_table_equals_cell_by_cell(rows):
    codes = np.array([r[0] for r in rows])
    scores = np.array([r[1] for r in rows], dtype=float)
    table = cell_table(codes, scores, FIVE, n_cells=6)
    for code in range(6):
        mine = scores[codes == code]
        if mine.size == 0:
            assert table.n[code] == 0 and np.isnan(table.mean[code])
            continue
        one = cell_stats(mine, FIVE)
        got = table.cell(code)
        assert got.n == one.n
        assert got.mean == pytest.approx(mine.mean())
        assert got.sd == pytest.approx(one.sd, nan_ok=True)


def test_single_answer_has_no_spread_or_interval():
    cell = cell_stats([4], FIVE)
    assert cell.n == 1 and np.isnan(cell.sd) and np.isnan(cell.ci_low)


def test_scores_off_the_scale_are_refused():
    with pytest.raises(ValueError):
        cell_stats([0, 3], FIVE)


# A tiny company: department 0 is the provider; client 1 sent 1 rater, client 2 sent 3.
PROVIDER = np.array([0, 0, 0, 0, 0, 0, 0, 0])
CLIENT = np.array([1, 1, 2, 2, 2, 2, 2, 2])
RATER = np.array([10, 10, 20, 20, 21, 21, 22, 22])
CRITERION = np.array([0, 1, 0, 1, 0, 1, 0, 1])
SCORE = np.array([5, 5, 1, 1, 1, 1, 1, 1], dtype=float)


def test_client_equal_gives_each_client_department_one_voice():
    result = department_index(
        PROVIDER, CLIENT, CRITERION, SCORE, scale=FIVE, weights=[1, 1], n_departments=3
    )
    # client 1 at 100%, client 2 at 0% -> 50, whatever the number of raters.
    assert result.index[0] == pytest.approx(50)
    assert result.n_clients[0] == 2
    assert np.isnan(result.index[1])


def test_rater_equal_gives_each_rater_one_voice():
    result = department_index(
        PROVIDER,
        CLIENT,
        CRITERION,
        SCORE,
        scale=FIVE,
        weights=[1, 1],
        mode="rater_equal",
        rater=RATER,
        n_departments=3,
    )
    assert result.index[0] == pytest.approx(25)  # one rater at 100, three at 0


def test_volume_weights_client_departments_by_requests():
    volume = np.zeros((3, 3))
    volume[0, 1] = 30  # client 1 sent 30 requests to provider 0
    volume[0, 2] = 10
    result = department_index(
        PROVIDER,
        CLIENT,
        CRITERION,
        SCORE,
        scale=FIVE,
        weights=[1, 1],
        mode="volume",
        volume=volume,
        n_departments=3,
    )
    assert result.index[0] == pytest.approx(75)


def test_criterion_weights_and_missing_criteria_renormalise():
    result = department_index(
        [0, 0], [1, 1], [0, 1], [5.0, 1.0], scale=FIVE, weights=[3, 1], n_departments=2
    )
    assert result.index[0] == pytest.approx(75)
    only_first = department_index([0], [1], [0], [5.0], scale=FIVE, weights=[3, 1], n_departments=2)
    assert only_first.index[0] == pytest.approx(100)


def test_self_assessment_never_enters_the_index():
    result = department_index(
        [0, 0], [1, 0], [0, 0], [1.0, 5.0], scale=FIVE, weights=[1], n_departments=2
    )
    assert result.index[0] == pytest.approx(0)
    assert result.n_answers[0] == 1


def test_permuting_answers_changes_nothing():
    rng = np.random.default_rng(1)
    order = rng.permutation(SCORE.size)
    a = department_index(PROVIDER, CLIENT, CRITERION, SCORE, scale=FIVE, weights=[1, 2])
    b = department_index(
        PROVIDER[order], CLIENT[order], CRITERION[order], SCORE[order], scale=FIVE, weights=[1, 2]
    )
    assert b.index == pytest.approx(a.index, nan_ok=True)


def test_unknown_mode_and_missing_volume_are_refused():
    with pytest.raises(ValueError):
        department_index(PROVIDER, CLIENT, CRITERION, SCORE, scale=FIVE, weights=[1, 1], mode="x")
    with pytest.raises(ValueError):
        department_index(
            PROVIDER, CLIENT, CRITERION, SCORE, scale=FIVE, weights=[1, 1], mode="volume"
        )
