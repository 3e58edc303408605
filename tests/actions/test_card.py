"""The department card's block: the department's actions beside the change of its index
since the cycle that prompted them, read from the stored snapshots."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from innerclient.actions.models import ActionPlan
from innerclient.actions.selectors import actions_for_card
from innerclient.surveys.models import Cycle
from tests.actions.factories import make_action
from tests.factories import DepartmentFactory
from tests.results.factories import closed_cycle, plant_response, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments(org):
    return {code: DepartmentFactory(organization=org, code=code) for code in "PABCQ"}


def _plant(cycle, departments, low, high, provider="P"):
    """Six raters from each of A, B, C rating ``provider``; the first six answer ``high``."""
    for client in "ABC":
        for _ in range(6):
            plant_response(
                cycle, provider=departments[provider], client=departments[client], scores=[low] * 8
            )
    for response in cycle.responses.filter(provider=departments[provider])[:6]:
        response.answers.update(score=high)


def _cycle(org, name, year):
    cycle = closed_cycle(org, name=name)
    moment = timezone.now().replace(year=year)
    Cycle.objects.filter(pk=cycle.pk).update(opened_at=moment, closed_at=moment)
    cycle.refresh_from_db()
    return cycle


@pytest.fixture
def cycles(org, departments):
    """Three published cycles: P's index 50 → 75 (significant) → 75."""
    first = _cycle(org, "Q1", 2091)
    _plant(first, departments, 2, 3)
    publish(first)
    second = _cycle(org, "Q2", 2092)
    _plant(second, departments, 4, 5)
    publish(second)
    third = _cycle(org, "Q3", 2093)
    _plant(third, departments, 4, 5)
    publish(third)
    for cycle, year in ((first, 2091), (second, 2092), (third, 2093)):
        Cycle.objects.filter(pk=cycle.pk).update(published_at=timezone.now().replace(year=year))
        cycle.refresh_from_db()
    return first, second, third


def _index(cycle, department):
    snapshot = cycle.result_snapshots.get()
    return snapshot.payload["providers"][snapshot.departments.index(department.pk)]["index"]


def test_actions_of_the_previous_cycle_come_with_the_tested_change(departments, cycles):
    first, second, third = cycles
    p = departments["P"]
    from_first = make_action(
        department=p, cycle=first, title="From Q1", status="done", result_note="New intake desk."
    )
    from_second = make_action(department=p, cycle=second, title="From Q2")
    make_action(department=departments["Q"], cycle=first, title="Another department's")
    make_action(department=p, cycle=third, title="From Q3, later than the card")

    items = actions_for_card(department_id=p.pk, cycle=second)

    assert [item["title"] for item in items] == ["From Q1", "From Q2"]
    earlier, current = items
    change = earlier["change"]
    assert change["since_cycle"] == "Q1" and change["against_previous"] is True
    assert change["index_then"] == pytest.approx(_index(first, p))
    assert change["index_now"] == pytest.approx(_index(second, p))
    payload = second.result_snapshots.get().payload
    code = second.result_snapshots.get().departments.index(p.pk)
    assert change["delta"] == pytest.approx(payload["change"]["delta"][code])
    assert change["delta"] > 20
    assert change["significant"] is True
    assert earlier["status"] == "done" and earlier["result_note"] == "New intake desk."
    assert earlier["id"] == from_first.pk
    assert current["change"] is None and current["from_this_cycle"] is True
    assert current["id"] == from_second.pk
    assert current["owner_name"] == from_second.owner.full_name


def test_an_action_two_cycles_back_gets_the_index_difference_without_a_test(departments, cycles):
    first, _second, third = cycles
    p = departments["P"]
    make_action(department=p, cycle=first, title="From Q1")
    [item] = actions_for_card(department_id=p.pk, cycle=third)
    change = item["change"]
    assert change["since_cycle"] == "Q1" and change["against_previous"] is False
    assert change["delta"] == pytest.approx(_index(third, p) - _index(first, p))
    assert change["significant"] is None


def test_a_hidden_index_gives_no_figure(departments, cycles):
    first, second, _third = cycles
    q = departments["Q"]  # nobody rated Q: its index is hidden (null) in every snapshot
    make_action(department=q, cycle=first, title="Q's action")
    [item] = actions_for_card(department_id=q.pk, cycle=second)
    assert item["change"]["index_then"] is None
    assert item["change"]["delta"] is None
    assert item["change"]["significant"] is None


def test_hand_made_actions_are_measured_from_the_cycle_in_force(departments, cycles):
    first, second, _third = cycles
    p = departments["P"]
    hand = make_action(department=p, title="By hand after Q1")
    # Made between the publication of Q1 and the opening of Q2.
    ActionPlan.objects.filter(pk=hand.pk).update(
        created_at=first.published_at + datetime.timedelta(days=10)
    )
    [on_first] = actions_for_card(department_id=p.pk, cycle=first)
    assert on_first["change"] is None  # on Q1's own card it is one of this cycle's actions
    [on_second] = actions_for_card(department_id=p.pk, cycle=second)
    assert on_second["change"]["since_cycle"] == "Q1"
    assert on_second["cycle_name"] == ""


def test_overdue_flag_on_the_card(departments, cycles):
    _first, second, _third = cycles
    make_action(
        department=departments["P"],
        cycle=second,
        due_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    [item] = actions_for_card(department_id=departments["P"].pk, cycle=second)
    assert item["overdue"] is True


def test_card_block_renders_actions_beside_their_change(org, departments, cycles):
    first, second, _third = cycles
    make_action(department=departments["P"], cycle=first, title="From Q1")
    items = actions_for_card(department_id=departments["P"].pk, cycle=second)
    html = render_to_string(
        "actions/_card_block.html",
        {
            "actions": items,
            "org": org,
            "cycle": second,
            "can_edit": True,
            "department_id": departments["P"].pk,
        },
    )
    assert "From Q1" in html
    assert 'data-testid="card-action-change"' in html
    assert "Index since Q1" in html and "significant" in html
    assert f"?cycle={second.pk}&amp;department={departments['P'].pk}" in html
    read_only = render_to_string(
        "actions/_card_block.html",
        {"actions": items, "org": org, "cycle": second, "can_edit": False},
    )
    assert "Record an action" not in read_only and "/actions/" not in read_only


def test_no_actions_no_queries_beyond_the_first(departments, cycles, django_assert_max_num_queries):
    _first, second, _third = cycles
    with django_assert_max_num_queries(4):
        assert actions_for_card(department_id=departments["P"].pk, cycle=second) == []
