"""Integrity checks: mutual inflation on simulated round robins, straight-lining, speeders."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innerclient.scoring.integrity import (
    InflationPair,
    mutual_inflation,
    speeders,
    straight_lining,
)
from innerclient.scoring.srm import round_robin


def _simulate(rng, n=20, actor_sd=0.4, partner_sd=0.4, noise_sd=0.25):
    """A round robin of department means: 3.5 + actor + partner + relationship noise."""
    actor = rng.normal(0, actor_sd, n)
    partner = rng.normal(0, partner_sd, n)
    x = 3.5 + actor[:, None] + partner[None, :] + rng.normal(0, noise_sd, (n, n))
    np.fill_diagonal(x, np.nan)
    return x


def _plant(x, a, b, lift=1.5):
    x = x.copy()
    x[a, b] += lift
    x[b, a] += lift
    return x


def _pairs(result):
    return [(p.a, p.b) for p in result]


# --- mutual_inflation ------------------------------------------------------------------


def test_a_planted_mutual_pair_is_the_only_flag():
    x = _plant(_simulate(np.random.default_rng(1)), 3, 11)
    result = mutual_inflation(x)
    assert _pairs(result) == [(3, 11)]
    pair = result[0]
    # The relationship effects carry most of the +1.5 (part goes into the four actor and
    # partner effects, about 1.5 / (n - 1) each), and both pass the threshold.
    assert 1.0 < pair.excess_ab < 2.0 and 1.0 < pair.excess_ba < 2.0
    assert min(pair.excess_ab, pair.excess_ba) > pair.threshold >= 0.5


def test_the_planted_pair_is_found_in_every_replication_and_alone_in_most():
    alone = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        a, b = sorted(rng.choice(20, 2, replace=False).tolist())
        pairs = _pairs(mutual_inflation(_plant(_simulate(rng), a, b)))
        assert (a, b) in pairs
        alone += pairs == [(a, b)]
    # A null pair passes both directions with probability ~0.05 %: 171 null pairs per
    # matrix give about one extra flag in ten matrices.
    assert alone >= 80


def test_null_round_robins_rarely_flag_anything():
    flagged = sum(bool(mutual_inflation(_simulate(np.random.default_rng(s)))) for s in range(200))
    assert flagged / 200 <= 0.15


def test_one_sided_favour_is_not_mutual_inflation():
    x = _simulate(np.random.default_rng(1))
    x[3, 11] += 2.0  # 3 favours 11, 11 does not return it
    assert _pairs(mutual_inflation(x)) == []


def test_two_lenient_departments_rating_each_other_high_are_not_flagged():
    # Departments 4 and 7 rate everybody 1.5 points higher, each other included: in raw
    # scores they rate each other far above the mean, but the lift is leniency (actor
    # effect), not a relationship, and must not be flagged.
    x = _simulate(np.random.default_rng(1))
    x[[4, 7]] += 1.5
    assert _pairs(mutual_inflation(x)) == []


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    row=st.integers(0, 11),
    lift=st.floats(-2, 2),
    holes=st.integers(0, 20),
)
def test_adding_a_constant_to_one_departments_row_changes_nothing(seed, row, lift, holes):
    rng = np.random.default_rng(seed)
    x = _plant(_simulate(rng, n=12), 2, 9)
    off = np.argwhere(~np.eye(12, dtype=bool))
    drop = off[rng.choice(len(off), holes, replace=False)]
    x[drop[:, 0], drop[:, 1]] = np.nan
    lenient = x.copy()
    lenient[row] += lift
    before, after = mutual_inflation(x), mutual_inflation(lenient)
    assert _pairs(after) == _pairs(before)
    for p, q in zip(before, after, strict=True):
        assert (q.excess_ab, q.excess_ba, q.threshold) == pytest.approx(
            (p.excess_ab, p.excess_ba, p.threshold), abs=1e-7
        )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), perm=st.permutations(range(12)))
def test_relabelling_departments_relabels_the_pairs(seed, perm):
    rng = np.random.default_rng(seed)
    x = _plant(_plant(_simulate(rng, n=12), 2, 9), 0, 5, lift=2.0)
    perm = np.array(perm)
    relabelled = np.empty_like(x)
    relabelled[np.ix_(perm, perm)] = x  # department i becomes perm[i]
    expected = {}
    for p in mutual_inflation(x):
        a, b, ab, ba = int(perm[p.a]), int(perm[p.b]), p.excess_ab, p.excess_ba
        if a > b:
            a, b, ab, ba = b, a, ba, ab
        expected[(a, b)] = (ab, ba)
    got = {(p.a, p.b): (p.excess_ab, p.excess_ba) for p in mutual_inflation(relabelled)}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9)


def test_threshold_is_the_larger_of_min_excess_and_sd_multiple():
    x = _plant(_simulate(np.random.default_rng(1)), 3, 11)
    g = round_robin(x).relationship_effects
    sd = np.std(g[np.isfinite(g)], ddof=1)
    assert mutual_inflation(x)[0].threshold == pytest.approx(max(0.5, 2 * sd))
    assert mutual_inflation(x, min_sd=0.0)[0].threshold == 0.5
    assert mutual_inflation(x, min_excess=5.0) == []


def test_pairs_are_sorted_by_the_weaker_direction_then_codes():
    x = _plant(_plant(_simulate(np.random.default_rng(1)), 3, 11, lift=1.5), 0, 5, lift=2.5)
    result = mutual_inflation(x)
    assert _pairs(result) == [(0, 5), (3, 11)]
    assert all(isinstance(p, InflationPair) and p.a < p.b for p in result)
    weaker = [min(p.excess_ab, p.excess_ba) for p in result]
    assert weaker == sorted(weaker, reverse=True)


def test_departments_without_ratings_are_left_out_and_codes_kept():
    x = _plant(_simulate(np.random.default_rng(1)), 3, 11)
    x[:, 0] = np.nan  # nobody rated department 0
    x[17, :] = np.nan  # department 17 rated nobody
    x[5, 8] = x[12, 2] = np.nan  # and a few holes
    assert _pairs(mutual_inflation(x)) == [(3, 11)]


def test_a_missing_direction_is_never_flagged():
    x = _plant(_simulate(np.random.default_rng(1)), 3, 11)
    x[11, 3] = np.nan
    assert (3, 11) not in _pairs(mutual_inflation(x))


@pytest.mark.parametrize(
    "matrix",
    [
        np.ones((3, 3)),
        np.full((6, 6), np.nan),
        np.zeros((0, 0)),
        np.where(np.eye(5, dtype=bool), 4.0, np.nan),
    ],
    ids=["three departments", "no ratings", "empty", "only self-ratings"],
)
def test_matrices_too_small_or_sparse_for_the_srm_give_no_pairs(matrix):
    assert mutual_inflation(matrix) == []


def test_a_constant_round_robin_flags_nothing():
    assert mutual_inflation(np.full((8, 8), 4.0)) == []


@pytest.mark.parametrize(
    ("matrix", "kwargs"),
    [
        (np.ones((4, 5)), {}),
        (np.ones(16), {}),
        (np.where(np.eye(5, dtype=bool), np.nan, np.inf), {}),
        (np.ones((5, 5)), {"min_excess": -1.0}),
        (np.ones((5, 5)), {"min_sd": float("nan")}),
    ],
)
def test_mutual_inflation_refuses_malformed_input(matrix, kwargs):
    with pytest.raises(ValueError):
        mutual_inflation(matrix, **kwargs)


def test_mutual_inflation_is_fast_on_a_sparse_company_of_sixty():
    rng = np.random.default_rng(0)
    x = _simulate(rng, n=60)
    x[rng.random((60, 60)) < 0.7] = np.nan  # each department rates ~18 others
    start = time.perf_counter()
    mutual_inflation(x)
    assert time.perf_counter() - start < 5.0


# --- straight_lining -------------------------------------------------------------------

NA = np.nan


def test_straight_lining_by_hand():
    response = [0] * 5 + [1] * 5 + [2] * 4 + [3] * 7 + [4] * 3
    score = [4, 4, 4, 4, 4] + [4, 4, 4, 4, 5] + [3, 3, 3, 3] + [2, 2, NA, 2, 2, NA, 2] + [NA] * 3
    flags = straight_lining(response, score, n_responses=6)
    # 0: five equal; 1: one differs; 2: only four items; 3: five scored equal, the
    # unscored answers do not count; 4: nothing scored; 5: no answers at all.
    assert flags.tolist() == [True, False, False, True, False, False]
    assert flags.dtype == np.bool_


def test_min_items_sets_how_long_a_response_must_be_to_judge():
    response = [0, 0, 0]
    assert straight_lining(response, [5, 5, 5]).tolist() == [False]
    assert straight_lining(response, [5, 5, 5], min_items=3).tolist() == [True]


def test_straight_lining_compares_scores_exactly():
    scores = [0.1 + 0.2, 0.3, 0.3, 0.3, 0.3]  # 0.1 + 0.2 != 0.3 in binary
    assert straight_lining([0] * 5, scores).tolist() == [False]
    assert straight_lining([0] * 5, [0.3] * 5).tolist() == [True]


answers = st.lists(
    st.tuples(st.integers(0, 6), st.one_of(st.integers(1, 5).map(float), st.just(NA))),
    max_size=80,
)


def _reference_straight_lining(response, score, size, min_items):
    out = []
    for r in range(size):
        mine = score[(response == r) & np.isfinite(score)]
        out.append(mine.size >= min_items and bool(np.all(mine == mine[0])))
    return out


@settings(max_examples=80, deadline=None)
@given(answers, st.randoms(use_true_random=False), st.integers(2, 6))
def test_straight_lining_ignores_answer_order_and_matches_a_loop(rows, rnd, min_items):
    response = np.array([r for r, _ in rows], dtype=np.int64)
    score = np.array([s for _, s in rows], dtype=float)
    flags = straight_lining(response, score, 7, min_items=min_items)
    assert flags.tolist() == _reference_straight_lining(response, score, 7, min_items)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    assert straight_lining(response[order], score[order], 7, min_items=min_items).tolist() == (
        flags.tolist()
    )


def test_straight_lining_handles_a_million_answers_quickly():
    rng = np.random.default_rng(0)
    response = np.repeat(np.arange(125_000), 8)
    score = rng.integers(1, 6, response.size).astype(float)
    score[rng.random(score.size) < 0.05] = np.nan
    score[:800] = 4.0  # responses 0..99 straight-lined
    start = time.perf_counter()
    flags = straight_lining(response, score)
    assert time.perf_counter() - start < 2.0
    assert flags[:100].all()


@pytest.mark.parametrize(
    ("response", "score", "kwargs"),
    [
        ([0, 1], [3.0], {}),
        ([0, -1], [3.0, 3.0], {}),
        ([0, 1.5], [3.0, 3.0], {}),
        ([[0, 1]], [[3.0, 3.0]], {}),
        ([0, 1], [3.0, np.inf], {}),
        ([0, 3], [3.0, 3.0], {"n_responses": 3}),
        ([0, 1], [3.0, 3.0], {"min_items": 1}),
    ],
)
def test_straight_lining_refuses_malformed_input(response, score, kwargs):
    with pytest.raises(ValueError):
        straight_lining(response, score, **kwargs)


# --- speeders --------------------------------------------------------------------------


def test_speeders_by_hand():
    seconds = [100, 120, 80, 10, NA, 50, 24]
    items = [10, 10, 10, 10, 10, 0, 8]
    # Known rates: 10, 12, 8, 1, 3 s per item -> median 8, cutoff max(2, 0.3 * 8) = 2.4.
    assert speeders(seconds, items).tolist() == [False, False, False, True, False, False, False]


def test_the_floor_applies_when_everybody_is_fast():
    # Median 1 s per item: 0.3 x 1 is below the 2 s floor, so the floor decides.
    assert speeders([5, 5, 6], [5, 5, 5]).tolist() == [True, True, True]
    assert speeders([5, 5, 6], [5, 5, 5], floor_seconds=0.0).tolist() == [False] * 3


def test_a_rate_exactly_at_the_cutoff_is_not_a_speeder():
    # Rates 2 and 10: median 6, cutoff max(2, 1.8) = 2; 2 is not below 2.
    assert speeders([20, 100], [10, 10]).tolist() == [False, False]


def test_without_any_known_time_only_the_floor_applies():
    assert speeders([NA, NA], [5, 5]).tolist() == [False, False]
    assert speeders([1.0, NA], [0, 5]).tolist() == [False, False]
    assert speeders([], []).tolist() == []


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.floats(0, 600), st.just(NA)), st.integers(0, 12)),
        max_size=60,
    ),
    st.randoms(use_true_random=False),
)
def test_speeders_ignore_response_order(rows, rnd):
    seconds = np.array([s for s, _ in rows], dtype=float)
    items = np.array([k for _, k in rows], dtype=np.int64)
    flags = speeders(seconds, items)
    assert not flags[~np.isfinite(seconds) | (items == 0)].any()
    order = list(range(len(rows)))
    rnd.shuffle(order)
    assert speeders(seconds[order], items[order]).tolist() == flags[order].tolist()


@pytest.mark.parametrize(
    ("seconds", "items", "kwargs"),
    [
        ([10.0], [1, 2], {}),
        ([-1.0], [1], {}),
        ([np.inf], [1], {}),
        ([10.0], [-1], {}),
        ([10.0], [NA], {}),
        ([10.0], [1], {"fraction": 1.5}),
        ([10.0], [1], {"floor_seconds": -1.0}),
    ],
)
def test_speeders_refuse_malformed_input(seconds, items, kwargs):
    with pytest.raises(ValueError):
        speeders(seconds, items, **kwargs)


def test_a_pair_is_found_when_its_other_clients_are_never_rated():
    """A company's design: many departments rate but are never rated themselves (workshops),
    so a round robin of those that rate and are rated would drop them and leave one
    department with a single client. The pair must still stand out."""
    rng = np.random.default_rng(11)
    n = 24
    standing = rng.normal(3.5, 0.3, n)
    leniency = rng.normal(0, 0.2, n)
    x = np.full((n, n), np.nan)
    for i in range(n):
        for j in rng.choice(np.arange(12), size=5, replace=False):  # only 0..11 are rated
            if i != j:
                x[i, j] = standing[j] + leniency[i] + rng.normal(0, 0.15)
    # 0 and 1 rate each other; 0's other clients (16..19) are never rated by anybody.
    for i in (16, 17, 18, 19):
        x[i, 0] = standing[0] + leniency[i] + rng.normal(0, 0.15)
    x[1, 0] = standing[0] + leniency[1] + 1.2
    x[0, 1] = standing[1] + leniency[0] + 1.2
    pairs = mutual_inflation(x)
    assert [(p.a, p.b) for p in pairs] == [(0, 1)]
