"""Publication units (``scoring.units``): how raters are grouped before anything is computed."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innerclient.scoring.cells import Scale
from innerclient.scoring.pipeline import CycleAnswers, Methodology, as_json, score_cycle
from innerclient.scoring.units import publication_units

SCALE = Scale(1, 5)


def _views(counts: dict[tuple[int, int], int], departments: int, criteria: int = 3, seed=0):
    """Answer rows for views of given sizes: counts[(provider, client)] raters, each answering
    every criterion; a client department's raters are the same people across providers."""
    rng = np.random.default_rng(seed)
    rows = []
    response = 0
    for (provider, client), n in sorted(counts.items()):
        for j in range(n):
            rater = client * 1000 + j
            for criterion in range(criteria):
                rows.append((provider, client, rater, criterion, response, rng.integers(1, 6)))
            response += 1
    data = np.array(rows)
    return CycleAnswers.build(
        scale=SCALE,
        weights=np.ones(criteria),
        n_departments=departments,
        provider=data[:, 0],
        client=data[:, 1],
        rater=data[:, 2],
        criterion=data[:, 3],
        response=data[:, 4],
        score=data[:, 5],
        response_seconds=np.full(response, 80.0),
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=2, max_size=12), st.integers(3, 10))
def test_a_pooled_unit_rests_on_k_raters_and_never_holds_a_single_view(sizes, k):
    d = len(sizes) + 1
    provider = [0] * sum(sizes)
    client = [i + 1 for i, n in enumerate(sizes) for _ in range(n)]
    rater = list(range(sum(sizes)))
    units = publication_units(provider, client, rater, d, k)
    if sum(sizes) < k:
        assert not units.provider_shown[0] and not units.pooled[0].any()
        return
    pooled = units.pooled[0]
    assert not (units.own_unit[0] & pooled).any()
    assert np.all(units.view_raters[0][units.own_unit[0]] >= k)  # a view shown alone has k
    if pooled.any():
        assert units.view_raters[0][pooled].sum() >= k
        assert pooled.sum() >= 2  # one view alone would be total minus the shown ones
    present = units.view_raters[0] > 0
    assert np.array_equal(present, units.own_unit[0] | pooled)  # every view in one unit


def test_a_department_behind_fewer_than_k_raters_gets_no_actor_effect():
    # Departments 0-4 rate each other with 6 raters each; department 5 sends one rater to
    # everyone (and is rated by everyone).
    counts = {(p, c): 6 for p in range(5) for c in range(5) if p != c}
    counts |= {(p, 5): 1 for p in range(5)} | {(5, c): 6 for c in range(5)}
    scores = score_cycle(_views(counts, 6), Methodology(k=5))
    assert scores.srm is not None
    assert 5 not in scores.srm_departments.tolist()  # its views are pooled, never its own
    payload = as_json(scores)
    assert payload["srm"]["actor"][5] is None
    assert payload["adjustment"]["leniency"][5] is None  # nor a leniency
    assert all(5 not in (pair["a"], pair["b"]) for pair in payload["integrity"]["inflation_pairs"])
    for code in scores.srm_departments:
        raters = scores.client_raters[:, code]
        assert raters[raters > 0].min() >= 5  # every view behind an actor effect has k


def test_a_criterion_few_raters_answered_is_dropped_from_every_figure():
    counts = {(0, 1): 6, (0, 2): 6}
    answers = _views(counts, 3)
    # Only three raters of client 1 answered criterion 2 ("cannot judge" for the rest).
    keep = ~((answers.client == 1) & (answers.criterion == 2) & (answers.rater % 1000 >= 3))
    thin = CycleAnswers.build(
        scale=SCALE,
        weights=answers.weights,
        n_departments=3,
        provider=answers.provider[keep],
        client=answers.client[keep],
        rater=answers.rater[keep],
        criterion=answers.criterion[keep],
        response=answers.response[keep],
        score=answers.score[keep],
        response_seconds=answers.response_seconds,
    )
    scores = score_cycle(thin, Methodology(k=5))
    assert scores.shown[0] and scores.client_shown[0, 1]
    assert scores.cell_n[0, 2, 1] == 0 and np.isnan(scores.cell_mean[0, 2, 1])
    assert scores.cell_n[0, 2, 2] == 6
    # The provider's criterion 2 rests on client 2 alone: client 1's three answers are out.
    picked = (thin.provider == 0) & (thin.criterion == 2) & (thin.client == 2)
    assert scores.criterion_percent[0, 2] == pytest.approx(SCALE.percent(thin.score[picked]).mean())


def test_only_a_view_shown_alone_can_be_excluded():
    counts = {(0, 1): 6, (0, 2): 2, (0, 3): 3}
    answers = _views(counts, 4)
    base = score_cycle(answers, Methodology(k=5))
    assert base.client_shown[0, 1] and not base.client_shown[0, 2]

    def excluding(pair):
        return CycleAnswers.build(
            scale=SCALE,
            weights=answers.weights,
            n_departments=4,
            provider=answers.provider,
            client=answers.client,
            rater=answers.rater,
            criterion=answers.criterion,
            response=answers.response,
            score=answers.score,
            response_seconds=answers.response_seconds,
            excluded=[pair],
        )

    with pytest.raises(ValueError, match="only a client view shown"):
        score_cycle(excluding((0, 2)), Methodology(k=5))
    appealed = score_cycle(excluding((0, 1)), Methodology(k=5))
    # What is left is the pooled unit, exactly as it was.
    assert not appealed.client_shown[0].any()
    assert appealed.pooled.n_raters[0] == base.pooled.n_raters[0] == 5
    assert appealed.index[0] == pytest.approx(base.pooled.index[0])
