"""Problem areas: each kind at its boundary, the ranking, a brute-force reading, shapes."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from innerclient.scoring.cells import Scale
from innerclient.scoring.problems import Problem, ProblemKind, problem_areas

NA = np.nan
K = ProblemKind


def _inputs(p=3, c=3, k=4):
    """Neutral figures: every cell and criterion at 80 %, no self-assessment, no change."""
    return {
        "cell_percent": np.full((p, c, k), 80.0),
        "criterion_percent": np.full((p, c), NA),
        "self_percent": np.full((p, c), NA),
        "change_delta": np.full(p, NA),
        "change_q": np.full(p, NA),
    }


def _each_kind_once_at_its_boundary():
    x = _inputs()
    x["cell_percent"][1, 2, 3] = 59.5  # below 60: low
    x["cell_percent"][1, 0, 0] = 60.0  # at 60: not below, no problem
    x["change_delta"][1:] = [-3.0, 0.0]  # provider 2: no change is no drop
    x["change_q"][1:] = [0.05, 0.0]  # provider 1: q exactly alpha counts
    x["criterion_percent"][0] = [80.0, 75.0, 80.0]  # the only provider with criteria
    x["self_percent"][0] = [NA, 100.0, 80.0]  # gap exactly 25 on criterion 1; mean 12.5
    x["cell_percent"][2, :, 0] = 100.0  # client 0 of provider 2: 100 against others' 75
    x["cell_percent"][2, :, 1:] = 75.0
    return x


def test_each_kind_triggers_once_at_its_boundary_and_ranks_by_severity():
    result = problem_areas(**_each_kind_once_at_its_boundary(), self_gap=25.0)
    assert result == [
        Problem(K.SIGNIFICANT_DROP, 1, None, None, value=-3.0, threshold=0.0, severity=3.0),
        Problem(K.LOW_CELL, 1, 2, 3, value=59.5, threshold=60.0, severity=0.5),
        # Severity 0 ties break by kind order.
        Problem(K.WEAKEST_CRITERION, 0, 1, None, value=75.0, threshold=60.0, severity=0.0),
        Problem(K.SELF_GAP, 0, 1, None, value=25.0, threshold=25.0, severity=0.0),
        Problem(K.DIVERGENT_CLIENT, 2, None, 0, value=25.0, threshold=25.0, severity=0.0),
    ]


def test_just_short_of_each_threshold_nothing_but_the_weakest_criterion_remains():
    x = _each_kind_once_at_its_boundary()
    x["cell_percent"][1, 2, 3] = 60.0
    x["change_q"][1] = 0.0500001
    x["self_percent"][0, 1] = 99.9  # gap 24.9
    x["cell_percent"][2, :, 0] = 99.9  # 24.9 above the others
    result = problem_areas(**x, self_gap=25.0)
    assert [p.kind for p in result] == [K.WEAKEST_CRITERION]


def test_a_rise_is_no_drop_however_significant():
    x = _inputs(p=1)
    x["change_delta"][:] = 8.0
    x["change_q"][:] = 0.001
    assert problem_areas(**x) == []


def test_weakest_criterion_ties_go_to_the_lowest_code_and_nan_is_skipped():
    x = _inputs(p=2, c=4)
    x["criterion_percent"][0] = [NA, 70.0, 65.0, 65.0]
    x["criterion_percent"][1] = [50.0, 50.0, NA, 90.0]
    result = problem_areas(**x)
    weakest = {p.department: (p.criterion, p.value, p.severity) for p in result}
    assert weakest == {0: (2, 65.0, 0.0), 1: (0, 50.0, 10.0)}


def test_default_self_gap_is_a_third_of_the_scale_whatever_the_rounding():
    five = Scale(1, 5)
    x = _inputs(p=1, c=2)
    # The head gives 5 (100 %); clients average 11/3 on criterion 0 (4/3 points lower, a
    # third of the 4-point range) and 4 on criterion 1.
    x["self_percent"][0] = five.percent([5.0, 5.0])
    x["criterion_percent"][0] = five.percent([11 / 3, 4.0])
    gaps = [p for p in problem_areas(**x) if p.kind is K.SELF_GAP]
    assert [(p.criterion, p.severity) for p in gaps] == [(0, 0.0)]
    assert gaps[0].value == pytest.approx(100 / 3)


def test_department_self_gap_reports_the_mean_gap_with_criterion_none_first():
    x = _inputs(p=1, c=3)
    x["self_percent"][0] = [100.0, 100.0, NA]
    x["criterion_percent"][0] = [60.0, 70.0, 20.0]  # criterion 2 has no self figure
    gaps = [p for p in problem_areas(**x, self_gap=30.0) if p.kind is K.SELF_GAP]
    assert [(p.criterion, p.value, p.severity) for p in gaps] == [
        (0, 40.0, 10.0),
        (None, 35.0, 5.0),
        (1, 30.0, 0.0),
    ]
    # Equal severities: the department-level gap (criterion None) comes first.
    x["criterion_percent"][0] = [65.0, 65.0, 20.0]
    gaps = [p for p in problem_areas(**x, self_gap=30.0) if p.kind is K.SELF_GAP]
    assert [p.criterion for p in gaps] == [None, 0, 1]


def test_self_below_clients_is_no_gap():
    x = _inputs(p=1, c=1)
    x["self_percent"][0] = [20.0]
    x["criterion_percent"][0] = [90.0]
    assert [p.kind for p in problem_areas(**x)] == [K.WEAKEST_CRITERION]


def test_divergent_client_is_compared_with_the_mean_of_the_other_clients_means():
    x = _inputs(p=1, c=4, k=4)
    cells = x["cell_percent"][0]
    cells[:, 0] = [20.0, NA, NA, NA]  # one criterion: mean 20 (also a low cell)
    cells[:, 1] = [70.0, 70.0, 70.0, 70.0]
    cells[:, 2] = [50.0, 90.0, NA, NA]  # mean 70 whatever the number of criteria
    cells[:, 3] = 70.0
    divergent = [p for p in problem_areas(**x) if p.kind is K.DIVERGENT_CLIENT]
    assert [(p.client, p.value, p.severity) for p in divergent] == [(0, -50.0, 25.0)]
    # Clients 1-3 stand 50/3 above the mean of the others' means (20, 70, 70): no flag.


def test_divergence_needs_enough_clients_with_figures():
    x = _inputs(p=1, c=1, k=3)
    x["cell_percent"][0, 0] = [100.0, 50.0, NA]  # two clients, 50 apart
    assert [p for p in problem_areas(**x) if p.kind is K.DIVERGENT_CLIENT] == []
    pair = problem_areas(**x, min_clients_for_divergence=2)
    assert [(p.client, p.value) for p in pair if p.kind is K.DIVERGENT_CLIENT] == [
        (0, 50.0),
        (1, -50.0),
    ]


def test_empty_and_suppressed_cells_raise_nothing():
    x = _inputs(p=2, c=2, k=3)
    x["cell_percent"][:] = NA
    assert problem_areas(**x) == []


def test_ranking_is_by_severity_across_kinds_then_kind_department_criterion_client():
    x = _inputs(p=2, c=2, k=3)
    x["cell_percent"][1, 1, 2] = 50.0  # low cell, severity 10
    x["cell_percent"][1, 0, 1] = 50.0  # same severity, lower criterion code
    x["cell_percent"][0, 1, 0] = 50.0  # same severity, lower department
    x["change_delta"][:] = [-10.0, -25.0]
    x["change_q"][:] = [0.01, 0.01]
    result = problem_areas(**x)
    keys = [(p.kind, p.department, p.criterion, p.client, p.severity) for p in result]
    assert keys == [
        (K.SIGNIFICANT_DROP, 1, None, None, 25.0),
        (K.LOW_CELL, 0, 1, 0, 10.0),
        (K.LOW_CELL, 1, 0, 1, 10.0),
        (K.LOW_CELL, 1, 1, 2, 10.0),
        (K.SIGNIFICANT_DROP, 0, None, None, 10.0),
    ]


def _reference(x, low, gap_min, div_min, level, min_clients, tol=1e-9):
    """problem_areas read literally, with loops."""
    cells, crit, own = x["cell_percent"], x["criterion_percent"], x["self_percent"]
    n_p, n_c, n_k = cells.shape
    out = {}
    for p in range(n_p):
        for c in range(n_c):
            for k in range(n_k):
                if cells[p, c, k] < low - tol:
                    out[(K.LOW_CELL, p, c, k)] = (cells[p, c, k], low - cells[p, c, k])
        d, q = x["change_delta"][p], x["change_q"][p]
        if d < 0 and q <= level:
            out[(K.SIGNIFICANT_DROP, p, None, None)] = (d, -d)
        figures = [(crit[p, c], c) for c in range(n_c) if np.isfinite(crit[p, c])]
        if figures:
            value, c = min(figures)
            out[(K.WEAKEST_CRITERION, p, c, None)] = (value, max(0.0, low - value))
        gaps = []
        for c in range(n_c):
            gap = own[p, c] - crit[p, c]
            if np.isfinite(gap):
                gaps.append(gap)
                if gap >= gap_min - tol:
                    out[(K.SELF_GAP, p, c, None)] = (gap, max(0.0, gap - gap_min))
        if gaps and np.mean(gaps) >= gap_min - tol:
            out[(K.SELF_GAP, p, None, None)] = (np.mean(gaps), max(0.0, np.mean(gaps) - gap_min))
        means = {}
        for k in range(n_k):
            mine = cells[p, :, k][np.isfinite(cells[p, :, k])]
            if mine.size:
                means[k] = mine.mean()
        if len(means) >= min_clients:
            for k, m in means.items():
                others = np.mean([v for j, v in means.items() if j != k])
                if abs(m - others) >= div_min - tol:
                    out[(K.DIVERGENT_CLIENT, p, None, k)] = (m - others, abs(m - others) - div_min)
    return out


# Figures on a coarse grid, so that ties and exact boundaries happen often.
grid = st.one_of(st.sampled_from([0.0, 12.5, 25.0, 50.0, 60.0, 75.0, 87.5, 100.0]), st.just(NA))


@st.composite
def cycles(draw):
    n_p, n_c, n_k = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 5))
    return {
        "cell_percent": draw(hnp.arrays(float, (n_p, n_c, n_k), elements=grid)),
        "criterion_percent": draw(hnp.arrays(float, (n_p, n_c), elements=grid)),
        "self_percent": draw(hnp.arrays(float, (n_p, n_c), elements=grid)),
        "change_delta": draw(
            hnp.arrays(float, n_p, elements=st.sampled_from([-5.0, -0.5, 0.0, 2.0, NA]))
        ),
        "change_q": draw(
            hnp.arrays(float, n_p, elements=st.sampled_from([0.001, 0.05, 0.2, 1.0, NA]))
        ),
    }


@settings(max_examples=150, deadline=None)
@given(cycles(), st.sampled_from([50.0, 60.0]), st.sampled_from([25.0, 100 / 3]))
def test_problem_areas_match_a_literal_reading_of_the_rules(x, low, gap_min):
    result = problem_areas(**x, low_threshold=low, self_gap=gap_min, divergence=25.0)
    expected = _reference(x, low, gap_min, 25.0, 0.05, 3)
    got = {(p.kind, p.department, p.criterion, p.client): p for p in result}
    assert len(got) == len(result), "a problem reported twice"
    assert got.keys() == expected.keys()
    for key, (value, severity) in expected.items():
        assert (got[key].value, got[key].severity) == pytest.approx((value, severity), abs=1e-9)
    order = list(ProblemKind)

    def rank(p):
        crit = -1 if p.criterion is None else p.criterion
        client = -1 if p.client is None else p.client
        return (-p.severity, order.index(p.kind), p.department, crit, client)

    assert [rank(p) for p in result] == sorted(rank(p) for p in result)
    assert all(p.severity >= 0 for p in result)


def test_sixty_departments_eight_criteria_sixty_clients_take_well_under_a_second():
    rng = np.random.default_rng(0)
    cells = rng.uniform(30, 100, (60, 8, 60))
    cells[rng.random(cells.shape) < 0.3] = NA
    start = time.perf_counter()
    result = problem_areas(
        cell_percent=cells,
        criterion_percent=np.nanmean(cells, axis=2),
        self_percent=rng.uniform(50, 100, (60, 8)),
        change_delta=rng.normal(0, 5, 60),
        change_q=rng.uniform(0, 1, 60),
    )
    assert time.perf_counter() - start < 1.0
    assert sum(p.kind is K.WEAKEST_CRITERION for p in result) == 60


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("cell_percent", np.full((3, 3), 80.0)),  # 2-D
        ("cell_percent", np.full((3, 2, 4), 80.0)),  # criteria disagree
        ("cell_percent", np.full((2, 3, 4), 80.0)),  # providers disagree
        ("criterion_percent", np.full((3, 2), 80.0)),
        ("self_percent", np.full((3, 4), NA)),
        ("change_delta", np.full(2, NA)),
        ("change_q", np.full((3, 1), NA)),
        ("cell_percent", np.full((3, 3, 4), np.inf)),
        ("cell_percent", np.full((3, 3, 4), 4.2 * 100)),  # not percent
        ("criterion_percent", np.full((3, 3), -5.0)),
        ("change_q", np.array([0.5, 1.5, NA])),
    ],
)
def test_malformed_inputs_are_refused_with_a_clear_message(name, value):
    x = _inputs()
    x[name] = value
    with pytest.raises(ValueError, match=name):
        problem_areas(**x)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"low_threshold": 120.0},
        {"self_gap": -1.0},
        {"divergence": float("nan")},
        {"alpha": 1.5},
        {"min_clients_for_divergence": 1},
        {"min_clients_for_divergence": 2.5},
    ],
)
def test_parameters_out_of_range_are_refused(kwargs):
    with pytest.raises(ValueError):
        problem_areas(**_inputs(), **kwargs)
