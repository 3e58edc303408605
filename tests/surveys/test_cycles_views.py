"""Cycle and criteria pages: what each role sees and does, and the coordinator's flows."""

import pytest
from django.urls import reverse

from innerclient.core.models import AuditEntry, Role
from innerclient.surveys.models import Assignment, CriteriaSet, Cycle, Invitation
from innerclient.surveys.services import cycles as services
from tests.factories import PersonFactory
from tests.surveys.factories_cycles import make_company, make_cycle, plan_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def company(org):
    return make_company(org)


@pytest.fixture
def no_email(monkeypatch):
    monkeypatch.setattr(
        "innerclient.surveys.notifications.invitations_enqueue", lambda *, cycle_id: None
    )


def _url(name, org, *args):
    return reverse(f"org:{name}", args=[org.slug, *args])


FORM = {
    "name": "2027 Q1",
    "scale": "1-5",
    "anonymity_threshold": "5",
    "comment_threshold": "7",
    "justify_at_or_below": "2",
    "justify_at_or_above": "",
    "rater_mode": "all",
    "sample_size": "5",
    "include_self_assessment": "on",
    "deadline": "",
    "reminder_days_after_open": "3",
    "reminder_days_before_deadline": "1",
    "max_reminders": "3",
}


def test_list_shows_cycles_with_status_and_new_button_for_the_coordinator(
    coordinator_client, company
):
    make_cycle(company)
    page = coordinator_client.get(_url("cycle_list", company.organization))
    html = page.content.decode()
    assert "2027 Q1" in html
    assert "Draft" in html
    assert 'data-testid="new-cycle"' in html


def test_analyst_reads_the_list_without_the_new_button(client, company, make_member):
    make_cycle(company)
    client.force_login(make_member(company.organization, Role.ANALYST))
    html = client.get(_url("cycle_list", company.organization)).content.decode()
    assert "2027 Q1" in html
    assert 'data-testid="new-cycle"' not in html


def test_coordinator_creates_a_cycle_with_the_default_criteria(coordinator_client, org):
    make_company(org)
    page = coordinator_client.get(_url("cycle_create", org))
    assert page.status_code == 200
    criteria_set_id = page.context["form"].initial["criteria_set"]
    response = coordinator_client.post(
        _url("cycle_create", org), {**FORM, "criteria_set": criteria_set_id}
    )
    cycle = Cycle.objects.get(organization=org)
    assert response.status_code == 302
    assert response.url == _url("cycle_detail", org, cycle.pk)
    assert cycle.invitations.count() == 7
    assert AuditEntry.objects.filter(action="cycle.create", actor__isnull=False).exists()


def test_first_cycle_form_creates_the_default_criteria_set(coordinator_client, org):
    coordinator_client.get(_url("cycle_create", org))
    assert CriteriaSet.objects.filter(organization=org).get().criteria.count() == 8


def test_invalid_form_shows_errors_by_field(coordinator_client, company):
    org = company.organization
    response = coordinator_client.post(
        _url("cycle_create", org),
        {**FORM, "criteria_set": company.criteria_set.pk, "comment_threshold": "4"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["comment_threshold"]
    assert not Cycle.objects.exists()


def test_edit_page_of_an_opened_cycle_redirects_with_a_message(
    coordinator_client, company, no_email
):
    cycle = make_cycle(company)
    services.cycle_open(actor=None, cycle=cycle)
    response = coordinator_client.post(
        _url("cycle_edit", company.organization, cycle.pk),
        {**FORM, "name": "Changed", "criteria_set": company.criteria_set.pk},
        follow=True,
    )
    assert "frozen" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.name == "2027 Q1"


def test_edit_draft_settings(coordinator_client, company):
    cycle = make_cycle(company)
    response = coordinator_client.post(
        _url("cycle_edit", company.organization, cycle.pk),
        {**FORM, "scale": "0-10", "criteria_set": company.criteria_set.pk},
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.scale == "0-10"


def test_detail_shows_settings_counts_and_the_next_step(coordinator_client, company):
    cycle = make_cycle(company)
    html = coordinator_client.get(_url("cycle_detail", company.organization, cycle.pk)).content
    html = html.decode()
    assert 'data-testid="people-count">7<' in html
    assert "Open the cycle" in html
    assert "Responsiveness" in html  # criteria in the interface language


def test_opening_asks_for_confirmation_describing_the_consequences(
    coordinator_client, company, no_email
):
    cycle = make_cycle(company)
    url = _url("cycle_transition", company.organization, cycle.pk, "open")
    html = coordinator_client.get(url).content.decode()
    assert "Opening sends 7 invitations" in html
    assert "will be frozen" in html
    cycle.refresh_from_db()
    assert cycle.status == "draft"
    # Posting without the confirmation only shows the page again.
    coordinator_client.post(url)
    cycle.refresh_from_db()
    assert cycle.status == "draft"
    response = coordinator_client.post(url, {"confirm": "1"})
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == "open"


def test_opening_an_empty_cycle_shows_why_and_offers_no_button(coordinator_client, company):
    cycle = make_cycle(company)
    Invitation.objects.filter(cycle=cycle).delete()
    url = _url("cycle_transition", company.organization, cycle.pk, "open")
    html = coordinator_client.get(url).content.decode()
    assert "rater list is empty" in html
    assert 'data-testid="confirm-button"' not in html
    response = coordinator_client.post(url, {"confirm": "1"}, follow=True)
    assert "rater list is empty" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.status == "draft"


def test_skipping_a_step_is_refused_on_the_page(coordinator_client, company):
    cycle = make_cycle(company)
    url = _url("cycle_transition", company.organization, cycle.pk, "published")
    html = coordinator_client.get(url).content.decode()
    assert "cannot be skipped" in html
    coordinator_client.post(url, {"confirm": "1"})
    cycle.refresh_from_db()
    assert cycle.status == "draft"


def test_unknown_target_status_is_404(coordinator_client, company):
    cycle = make_cycle(company)
    url = _url("cycle_transition", company.organization, cycle.pk, "draft")
    assert coordinator_client.get(url).status_code == 404


def test_assignments_page_groups_by_client_department(coordinator_client, company):
    cycle = make_cycle(company)
    page = coordinator_client.get(_url("cycle_assignments", company.organization, cycle.pk))
    codes = [g.department.code for g in page.context["groups"]]
    assert codes == ["IT", "PURCH", "SALES"]
    detail = coordinator_client.get(
        _url("cycle_assignments", company.organization, cycle.pk) + f"?client={company.sales.pk}"
    )
    assert [r.full_name for r in detail.context["detail"].raters] == [
        "sales 1",
        "sales 2",
        "sales 3",
        "sales head",
    ]


def test_coordinator_edits_the_list_through_the_page(coordinator_client, company):
    org = company.organization
    cycle = make_cycle(company, rater_mode="heads")
    edit = _url("cycle_assignments_edit", org, cycle.pk)
    person = company.people["sales1"]
    response = coordinator_client.post(
        edit, {"action": "add_person", "person": person.pk, "client": company.sales.pk}
    )
    assert response.url.endswith(f"?client={company.sales.pk}")
    assert plan_of(cycle)["sales 1"] == {"PURCH": "employee", "IT": "employee"}

    # One rater of Sales rating less than the other would single him out: refused.
    assignment = Assignment.objects.get(invitation__person=person, provider=company.it)
    refused = coordinator_client.post(
        edit, {"action": "remove_assignment", "assignment": assignment.pk}, follow=True
    )
    assert "Change what the whole department rates instead" in refused.content.decode()
    assert plan_of(cycle)["sales 1"] == {"PURCH": "employee", "IT": "employee"}

    coordinator_client.post(
        edit,
        {"action": "remove_client_provider", "client": company.sales.pk, "provider": company.it.pk},
    )
    assert "IT" not in plan_of(cycle)["sales head"]

    invitation = Invitation.objects.get(cycle=cycle, person=person)
    coordinator_client.post(edit, {"action": "remove_invitation", "invitation": invitation.pk})
    assert "sales 1" not in plan_of(cycle)

    coordinator_client.post(edit, {"action": "generate"})
    assert set(plan_of(cycle)) == {"sales head", "purch head", "it head"}


def test_a_refused_edit_shows_the_reason(coordinator_client, company):
    cycle = make_cycle(company)
    response = coordinator_client.post(
        _url("cycle_assignments_edit", company.organization, cycle.pk),
        {"action": "add_person", "person": company.people["it1"].pk},
        follow=True,
    )
    assert "no providers on the interaction map" in response.content.decode()


def test_ids_from_another_organization_are_404_on_edit(coordinator_client, company):
    cycle = make_cycle(company)
    other = make_company()
    other_cycle = make_cycle(other)
    foreign = Assignment.objects.filter(invitation__cycle=other_cycle).first()
    response = coordinator_client.post(
        _url("cycle_assignments_edit", company.organization, cycle.pk),
        {"action": "remove_assignment", "assignment": foreign.pk},
    )
    assert response.status_code == 404
    assert Assignment.objects.filter(pk=foreign.pk).exists()


def test_a_department_head_cannot_change_who_rates_his_department(client, company, make_member):
    cycle = make_cycle(company)
    head = make_member(company.organization, Role.HEAD, department=company.it)
    client.force_login(head)
    before = plan_of(cycle)
    response = client.post(
        _url("cycle_assignments_edit", company.organization, cycle.pk),
        {"action": "remove_client_provider", "client": company.sales.pk, "provider": company.it.pk},
    )
    assert response.status_code == 403
    assert client.get(_url("cycle_assignments", company.organization, cycle.pk)).status_code == 403
    assert plan_of(cycle) == before


def test_criteria_list_and_creating_a_set(coordinator_client, company):
    org = company.organization
    html = coordinator_client.get(_url("criteria_list", org)).content.decode()
    assert "Стандарт" in html and "Responsiveness" in html
    response = coordinator_client.post(_url("criteria_create", org), {"name": "Короткий"})
    created = CriteriaSet.objects.get(organization=org, name="Короткий")
    assert response.url == _url("criteria_edit", org, created.pk)


def _editor_post(page):
    """The editor's form data as the browser would send it, unchanged."""
    data = {}
    for prefix, formset in (
        ("c", page.context["criteria_forms"]),
        ("q", page.context["question_forms"]),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for form in formset.forms[: formset.initial_form_count()]:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if name == "DELETE":
                    continue
                data[form.add_prefix(name)] = "" if value is None else value
    return data


def test_editor_saves_renamed_reweighted_reordered_criteria(coordinator_client, company):
    org = company.organization
    url = _url("criteria_edit", org, company.criteria_set.pk)
    data = _editor_post(coordinator_client.get(url))
    data["c-0-name_en"] = "Speed"
    data["c-0-weight"] = "2"
    data["c-0-ORDER"] = "9"  # responsiveness goes last
    data["c-1-DELETE"] = "on"  # reliability goes
    data["c-8-name_ru"] = "Прозрачность"  # the blank row adds one
    data["c-8-weight"] = "1"
    data["c-8-ORDER"] = "1"
    response = coordinator_client.post(url, data)
    assert response.status_code == 302, (
        response.context and response.context["criteria_forms"].errors
    )
    codes = list(company.criteria_set.criteria.values_list("code", flat=True))
    assert codes[0] == "c1"  # a Cyrillic-only name gets a positional code
    assert codes[-1] == "responsiveness"
    assert "reliability" not in codes
    first = company.criteria_set.criteria.get(code="responsiveness")
    assert (first.name_en, first.weight) == ("Speed", 2)


def test_editor_on_a_frozen_set_saves_a_new_version(coordinator_client, company, no_email):
    org = company.organization
    services.cycle_open(actor=None, cycle=make_cycle(company))
    url = _url("criteria_edit", org, company.criteria_set.pk)
    page = coordinator_client.get(url)
    assert "Saving creates version 2" in page.content.decode()
    data = _editor_post(page)
    data["c-0-name_ru"] = "Скорость"
    response = coordinator_client.post(url, data)
    new = CriteriaSet.objects.get(organization=org, version=2)
    assert response.url == _url("criteria_edit", org, new.pk)
    assert new.criteria.get(code="responsiveness").name_ru == "Скорость"
    assert company.criteria_set.criteria.get(code="responsiveness").name_ru == "Оперативность"
    # The old version is shown read-only now.
    old = coordinator_client.get(url).content.decode()
    assert "older version" in old


@pytest.mark.parametrize("extra_people", [0, 20])
def test_rater_list_pages_run_a_constant_number_of_queries(
    coordinator_client, company, django_assert_max_num_queries, extra_people
):
    for _ in range(extra_people):
        PersonFactory(department=company.sales)
    cycle = make_cycle(company)
    url = _url("cycle_assignments", company.organization, cycle.pk)
    with django_assert_max_num_queries(13):
        coordinator_client.get(url)
    with django_assert_max_num_queries(13):
        coordinator_client.get(url + f"?client={company.sales.pk}")
    with django_assert_max_num_queries(10):
        coordinator_client.get(_url("cycle_detail", company.organization, cycle.pk))
    with django_assert_max_num_queries(5):
        coordinator_client.get(_url("cycle_list", company.organization))


def test_a_closed_cycles_rater_list_shows_only_the_counts_kept(
    coordinator_client, company, no_email
):
    org = company.organization
    cycle = make_cycle(company)
    services.cycle_open(actor=None, cycle=cycle)
    services.cycle_close(actor=None, cycle=cycle)

    page = coordinator_client.get(_url("cycle_assignments", org, cycle.pk)).content.decode()
    assert 'data-testid="list-erased"' in page
    assert "7 people rate" in page and "10 client ratings" in page
    assert "?client=" not in page  # no per-person list to open
    detail = coordinator_client.get(
        _url("cycle_assignments", org, cycle.pk) + f"?client={company.sales.pk}"
    )
    assert "sales 1" not in detail.content.decode()
    cycle_page = coordinator_client.get(_url("cycle_detail", org, cycle.pk)).content.decode()
    assert 'data-testid="people-count">7<' in cycle_page
