"""Who rates whom: generation from the interaction map, and the coordinator's edits."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from innerclient.core.models import AuditEntry
from innerclient.surveys import assignment as planner
from innerclient.surveys.models import Assignment, Invitation
from innerclient.surveys.selectors import (
    assignment_counts,
    assignment_group_detail,
    assignment_summary,
)
from innerclient.surveys.services import cycles as services
from innerclient.surveys.services.cycles import CycleSettings
from tests.factories import DepartmentFactory, InteractionLinkFactory, PersonFactory
from tests.surveys.factories_cycles import make_company, make_cycle, plan_of

# --- The pure planner --------------------------------------------------------------------------


def _company(n_people=10):
    """Department 1 (n people, person 1 heads it) is a client of 2 and 3; 2 is a client of 3."""
    departments = [
        planner.DepartmentInfo(id=1, head_id=1),
        planner.DepartmentInfo(id=2, head_id=None),
        planner.DepartmentInfo(id=3, head_id=300),
    ]
    people = [planner.PersonInfo(id=i, department_id=1) for i in range(1, n_people + 1)]
    people += [planner.PersonInfo(id=200, department_id=2, is_head=True)]
    people += [planner.PersonInfo(id=201, department_id=2)]
    people += [
        planner.PersonInfo(id=300, department_id=3),
        planner.PersonInfo(id=301, department_id=3),
    ]
    links = [(1, 2), (1, 3), (2, 3)]
    return departments, people, links


def _plan(settings, **overrides):
    departments, people, links = _company()
    kwargs = {"departments": departments, "people": people, "links": links, **overrides}
    return {
        p.person_id: p.assignments for p in planner.plan_assignments(settings=settings, **kwargs)
    }


def test_all_mode_asks_everyone_of_a_client_department_about_its_providers():
    plan = _plan(planner.Settings(mode="all", include_self_assessment=False))
    assert set(plan) == set(range(1, 11)) | {200, 201}
    assert plan[1] == {2: "head", 3: "head"}
    assert plan[5] == {2: "employee", 3: "employee"}
    assert plan[200] == {3: "head"}
    assert plan[201] == {3: "employee"}


def test_providers_come_only_from_the_map():
    plan = _plan(planner.Settings(include_self_assessment=False))
    for assignments in plan.values():
        assert set(assignments) <= {2, 3}
    # Department 3 is a client of nobody: its people are not asked.
    assert 300 not in plan and 301 not in plan


def test_heads_mode_asks_heads_only_whether_named_on_the_department_or_marked():
    plan = _plan(planner.Settings(mode="heads", include_self_assessment=False))
    assert plan == {1: {2: "head", 3: "head"}, 200: {3: "head"}}


def _sample(seed):
    return planner.Settings(mode="sample", sample_size=4, include_self_assessment=False, seed=seed)


def test_sample_mode_draws_n_per_client_department_the_same_each_time():
    settings = _sample(seed="c:7")
    first = _plan(settings)
    assert len([p for p in first if p <= 10]) == 4
    assert {200, 201} <= set(first)  # a department smaller than n: everybody
    assert _plan(settings) == first
    draws = {tuple(sorted(p for p in _plan(_sample(seed=f"c:{s}")) if p <= 10)) for s in range(20)}
    assert len(draws) > 1  # the seed matters


def test_sample_is_stable_when_input_order_changes():
    departments, people, links = _company()
    settings = planner.Settings(mode="sample", sample_size=3, seed="s")
    a = planner.plan_assignments(
        departments=departments, people=people, links=links, settings=settings
    )
    b = planner.plan_assignments(
        departments=list(reversed(departments)),
        people=list(reversed(people)),
        links=list(reversed(links)),
        settings=settings,
    )
    assert a == b


def test_self_assessment_goes_to_the_head_of_each_rated_department():
    plan = _plan(planner.Settings(include_self_assessment=True))
    assert plan[200][2] == "self"  # marked head of department 2, also a rater of 3
    assert plan[200][3] == "head"
    assert plan[300] == {3: "self"}  # named head of 3, rates nobody otherwise
    assert 1 not in {pid for pid, a in plan.items() if 1 in a}  # department 1 is not rated


def test_inactive_people_and_departments_are_left_out():
    departments, people, _links = _company()
    departments[2] = planner.DepartmentInfo(id=3, head_id=300, is_active=False)
    people[0] = planner.PersonInfo(id=1, department_id=1, is_active=False)
    plan = _plan(planner.Settings(), departments=departments, people=people)
    assert 1 not in plan
    assert all(3 not in a for a in plan.values())
    assert 300 not in plan
    assert plan[5] == {2: "employee"}


@given(
    n=st.integers(min_value=0, max_value=30),
    size=st.integers(min_value=1, max_value=40),
    seed=st.text(max_size=8),
)
def test_sample_size_is_min_of_n_and_department(n, size, seed):
    chosen = planner.sample_people(range(n), size=size, seed=seed, department_id=1)
    assert len(chosen) == min(n, size)
    assert len(set(chosen)) == len(chosen)
    assert set(chosen) <= set(range(n))
    assert chosen == planner.sample_people(range(n), size=size, seed=seed, department_id=1)


# --- Generation in the database ----------------------------------------------------------------


@pytest.fixture
def company(db):
    return make_company()


def test_generated_list_follows_the_map_with_kinds(company):
    cycle = make_cycle(company)
    assert plan_of(cycle) == {
        "sales head": {"PURCH": "head", "IT": "head"},
        "sales 1": {"PURCH": "employee", "IT": "employee"},
        "sales 2": {"PURCH": "employee", "IT": "employee"},
        "sales 3": {"PURCH": "employee", "IT": "employee"},
        "purch head": {"IT": "head", "PURCH": "self"},
        "purch 1": {"IT": "employee"},
        "it head": {"IT": "self"},
    }


def test_without_self_assessment_nobody_rates_his_own_department(company):
    cycle = make_cycle(company, include_self_assessment=False)
    assert not Assignment.objects.filter(invitation__cycle=cycle, kind="self").exists()
    assert "it head" not in plan_of(cycle)


def test_heads_mode_in_the_database(company):
    cycle = make_cycle(company, rater_mode="heads")
    assert set(plan_of(cycle)) == {"sales head", "purch head", "it head"}


def test_sample_mode_regenerates_the_same_people(company):
    cycle = make_cycle(company, rater_mode="sample", sample_size=2, include_self_assessment=False)
    first = plan_of(cycle)
    assert len([n for n in first if n.startswith("sales")]) == 2
    services.cycle_assignments_generate(actor=None, cycle=cycle)
    assert plan_of(cycle) == first


def test_inactive_people_and_inactive_client_departments_never_rate(company):
    company.people["sales2"].is_active = False
    company.people["sales2"].save()
    cycle = make_cycle(company)
    names = set(plan_of(cycle))
    assert "sales 2" not in names
    assert "arch 1" not in names  # an inactive department on the map


def test_a_provider_off_the_map_is_never_generated(company):
    outsider = DepartmentFactory(organization=company.organization, code="HR")
    PersonFactory(department=outsider)
    cycle = make_cycle(company)
    assert not Assignment.objects.filter(invitation__cycle=cycle, provider=outsider).exists()


def test_links_of_another_organization_are_ignored(company):
    other = make_company()
    InteractionLinkFactory(client=other.it, provider=other.sales)
    cycle = make_cycle(company)
    assert (
        not Invitation.objects.filter(cycle=cycle)
        .exclude(person__organization=company.organization)
        .exists()
    )


def test_counts_and_summary_group_by_client_department(company):
    cycle = make_cycle(company)
    counts = assignment_counts(cycle)
    assert (counts.people, counts.ratings, counts.self_assessments) == (7, 12, 2)
    assert counts.client_departments == 2
    assert counts.rated_departments == 2
    summary = {g.department.code: g for g in assignment_summary(cycle)}
    assert set(summary) == {"SALES", "PURCH", "IT"}
    assert summary["SALES"].people == 4 and summary["SALES"].ratings == 8
    assert [(p.code, n) for p, n in summary["SALES"].providers] == [("IT", 4), ("PURCH", 4)]
    assert summary["IT"].providers == []  # self-assessment only


def test_group_detail_lists_raters_and_people_not_on_the_list(company):
    cycle = make_cycle(company, rater_mode="heads")
    detail = assignment_group_detail(cycle, company.sales)
    assert [r.full_name for r in detail.raters] == ["sales head"]
    assert detail.raters[0].is_head
    assert [name for _pk, name in detail.not_listed] == ["sales 1", "sales 2", "sales 3"]


# --- The coordinator's edits -------------------------------------------------------------------


def test_coordinator_adds_a_person_who_then_rates_his_departments_providers(company):
    cycle = make_cycle(company, rater_mode="heads")
    services.invitation_add(actor=None, cycle=cycle, person=company.people["sales1"])
    assert plan_of(cycle)["sales 1"] == {"PURCH": "employee", "IT": "employee"}
    assert AuditEntry.objects.filter(action="cycle.invitation_add").count() == 1
    with pytest.raises(ValidationError):
        services.invitation_add(actor=None, cycle=cycle, person=company.people["sales1"])


def test_adding_a_person_whose_department_rates_nobody_is_refused(company):
    cycle = make_cycle(company)
    with pytest.raises(ValidationError) as exc:
        services.invitation_add(actor=None, cycle=cycle, person=company.people["it1"])
    assert exc.value.code == "no_providers"


def test_coordinator_adds_and_removes_one_provider_for_one_person(company):
    cycle = make_cycle(company)
    person = company.people["it1"]
    assignment = services.assignment_add(
        actor=None, cycle=cycle, person=person, provider=company.sales
    )
    assert plan_of(cycle)["it 1"] == {"SALES": "employee"}
    services.assignment_remove(actor=None, cycle=cycle, assignment=assignment)
    # Nothing left to rate: the person leaves the list.
    assert not Invitation.objects.filter(cycle=cycle, person=person).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"cycle.assignment_add", "cycle.assignment_remove"} <= actions


def test_removing_a_person_removes_all_his_ratings(company):
    cycle = make_cycle(company)
    invitation = Invitation.objects.get(cycle=cycle, person=company.people["sales1"])
    services.invitation_remove(actor=None, cycle=cycle, invitation=invitation)
    assert "sales 1" not in plan_of(cycle)
    assert not Assignment.objects.filter(invitation_id=invitation.pk).exists()


def test_coordinator_removes_a_provider_for_a_whole_client_department(company):
    cycle = make_cycle(company)
    removed = services.client_provider_remove(
        actor=None, cycle=cycle, client=company.sales, provider=company.purchasing
    )
    assert removed == 4
    plan = plan_of(cycle)
    assert all("PURCH" not in plan[n] for n in ("sales head", "sales 1"))
    assert plan["purch head"]["PURCH"] == "self"  # the self-assessment stays
    added = services.client_provider_add(
        actor=None, cycle=cycle, client=company.sales, provider=company.purchasing
    )
    assert added == 4
    assert plan_of(cycle)["sales head"]["PURCH"] == "head"


def test_inactive_or_foreign_people_and_providers_cannot_be_added(company):
    cycle = make_cycle(company)
    other = make_company()
    with pytest.raises(ValidationError):
        services.assignment_add(
            actor=None, cycle=cycle, person=company.people["it1"], provider=company.archive
        )
    with pytest.raises(ValidationError):
        services.assignment_add(
            actor=None, cycle=cycle, person=company.people["arch1"], provider=company.it
        )
    with pytest.raises(ValidationError):
        services.assignment_add(
            actor=None, cycle=cycle, person=other.people["it1"], provider=company.sales
        )
    with pytest.raises(ValidationError):
        services.assignment_add(
            actor=None, cycle=cycle, person=company.people["it1"], provider=other.sales
        )


def test_regenerating_drops_manual_changes(company):
    cycle = make_cycle(company)
    before = plan_of(cycle)
    services.assignment_add(
        actor=None, cycle=cycle, person=company.people["it1"], provider=company.sales
    )
    services.cycle_assignments_generate(actor=None, cycle=cycle)
    assert plan_of(cycle) == before


def test_changing_who_rates_in_settings_regenerates_the_list(company):
    cycle = make_cycle(company)
    services.cycle_update(
        actor=None,
        cycle=cycle,
        name=cycle.name,
        criteria_set=cycle.criteria_set,
        settings=CycleSettings(include_self_assessment=False),
    )
    assert not Assignment.objects.filter(invitation__cycle=cycle, kind="self").exists()


# --- The provider-set invariant (docs/anonymity.md) ----------------------------------------------


def test_a_set_of_providers_shared_by_fewer_than_k_raters_is_a_violation():
    def violations(*rows, k=3):
        return [
            (v.department_id, v.raters, v.fewest)
            for v in planner.provider_set_violations(rows, k=k)
        ]

    same = [(1, {2, 3})] * 4
    assert violations(*same) == []  # everyone alike, however few
    assert violations((1, {2, 3}), (1, {2})) == [(1, 2, 1)]  # two raters, two sets
    assert violations(*same, *[(1, {2})] * 3) == []  # both sets shared by k
    assert violations(*same, (1, {2})) == [(1, 5, 1)]
    # The self-assessment does not count: its answers have a key of their own.
    assert violations((1, {1, 2}), (1, {2}), (1, {2})) == []
    # Someone who only assesses his own department rates no client: he is not a rater here.
    assert violations((1, {1}), (1, {2})) == []
    # Departments are judged apart.
    assert violations((1, {2}), (1, {2}), (4, {2}), (4, {3})) == [(4, 2, 1)]


@given(
    n=st.integers(min_value=0, max_value=12),
    mode=st.sampled_from(["all", "heads", "sample"]),
    size=st.integers(min_value=1, max_value=8),
    selves=st.booleans(),
    k=st.integers(min_value=3, max_value=10),
)
def test_the_planner_never_breaks_the_provider_set_invariant(n, mode, size, selves, k):
    departments, people, links = _company(n)
    plan = planner.plan_assignments(
        departments=departments,
        people=people,
        links=links,
        settings=planner.Settings(mode=mode, sample_size=size, include_self_assessment=selves),
    )
    department_of = {p.id: p.department_id for p in people}
    assert planner.plan_violations(plan, department_of=department_of, k=k) == []


def _no_change(cycle, action):
    before = (plan_of(cycle), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as exc:
        action()
    assert exc.value.code == "provider_sets"
    assert (plan_of(cycle), AuditEntry.objects.count()) == before  # nothing written
    return " ".join(exc.value.messages)


def test_one_rater_asked_about_one_more_provider_is_refused_with_what_to_do(company):
    cycle = make_cycle(company)
    hr = DepartmentFactory(organization=company.organization, code="HR", name_en="HR")
    message = _no_change(
        cycle,
        lambda: services.assignment_add(
            actor=None, cycle=cycle, person=company.people["sales1"], provider=hr
        ),
    )
    assert message.startswith("SALES Продажи:")
    assert "only 1 of its 4 raters" in message
    assert "Every rater of this department also rates" in message
    # The whole department is fine.
    assert services.client_provider_add(actor=None, cycle=cycle, client=company.sales, provider=hr)
    assert plan_of(cycle)["sales 1"]["HR"] == "employee"


def test_one_rater_asked_about_one_provider_less_is_refused(company):
    cycle = make_cycle(company)
    assignment = Assignment.objects.get(
        invitation__cycle=cycle, invitation__person=company.people["sales2"], provider=company.it
    )
    _no_change(
        cycle, lambda: services.assignment_remove(actor=None, cycle=cycle, assignment=assignment)
    )


def test_a_person_added_to_the_list_rates_what_his_departments_raters_rate(company):
    cycle = make_cycle(company)
    hr = DepartmentFactory(organization=company.organization, code="HR")
    services.client_provider_add(actor=None, cycle=cycle, client=company.sales, provider=hr)
    invitation = Invitation.objects.get(cycle=cycle, person=company.people["sales3"])
    services.invitation_remove(actor=None, cycle=cycle, invitation=invitation)
    services.invitation_add(actor=None, cycle=cycle, person=company.people["sales3"])
    assert set(plan_of(cycle)["sales 3"]) == {"PURCH", "IT", "HR"}  # not only the map's two


@pytest.fixture
def two_sets(company):
    """Operations: six raters with k = 3, three of them asked about purchasing too (a list
    made before the invariant existed: both sets are shared by k)."""
    ops = DepartmentFactory(organization=company.organization, code="OPS", name_en="Operations")
    people = [PersonFactory(department=ops, full_name=f"ops {i}") for i in range(6)]
    InteractionLinkFactory(client=ops, provider=company.it)
    cycle = make_cycle(company, anonymity_threshold=3)
    for person in people[:3]:
        invitation = Invitation.objects.get(cycle=cycle, person=person)
        Assignment.objects.create(
            invitation=invitation, provider=company.purchasing, kind="employee"
        )
    return cycle, people


def test_removing_a_person_who_leaves_a_set_to_too_few_is_refused(two_sets):
    cycle, people = two_sets
    invitation = Invitation.objects.get(cycle=cycle, person=people[0])
    message = _no_change(
        cycle, lambda: services.invitation_remove(actor=None, cycle=cycle, invitation=invitation)
    )
    assert message.startswith("OPS ")
    invitation = Invitation.objects.get(cycle=cycle, person=people[5])  # the set of three others
    with pytest.raises(ValidationError):
        services.invitation_remove(actor=None, cycle=cycle, invitation=invitation)


def test_a_higher_threshold_that_the_list_does_not_meet_is_refused(two_sets):
    cycle, _people = two_sets
    with pytest.raises(ValidationError) as exc:
        services.cycle_update(
            actor=None,
            cycle=cycle,
            name=cycle.name,
            criteria_set=cycle.criteria_set,
            settings=CycleSettings(anonymity_threshold=4),
        )
    assert exc.value.code == "provider_sets"
    cycle.refresh_from_db()
    assert cycle.anonymity_threshold == 3


def test_opening_refuses_a_list_that_people_who_left_broke(two_sets):
    cycle, people = two_sets
    people[0].is_active = False
    people[0].save()
    with pytest.raises(ValidationError) as exc:
        services.cycle_open(actor=None, cycle=cycle)
    assert exc.value.code == "provider_sets"
    cycle.refresh_from_db()
    assert cycle.status == "draft"
    assert Invitation.objects.filter(cycle=cycle, person=people[0]).exists()  # rolled back
