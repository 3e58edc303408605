"""Action pages: who may do what (a head: his own department only), the form prefilled from
a problem area, overdue highlighting, the HTMX table, and the XLSX export."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from innerclient.actions.models import ActionPlan
from innerclient.core.models import AuditEntry
from innerclient.surveys.models import Cycle
from tests.actions.factories import department_with_head, make_action
from tests.surveys.factories_rater import make_cycle

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def world(org, make_member):
    it, it_head = department_with_head(org, "IT", "IT support")
    hr, hr_head = department_with_head(org, "HR", "Human resources")
    sales, _ = department_with_head(org, "SALES", "Sales")
    cycle = make_cycle(organization=org, status=Cycle.Status.PUBLISHED, name="2027 Q1")
    return {
        "it": it,
        "it_head": it_head,
        "hr": hr,
        "hr_head": hr_head,
        "sales": sales,
        "cycle": cycle,
        "head": make_member(org, "head", department=it),
        "analyst": make_member(org, "analyst"),
        "employee": make_member(org, "employee", department=it),
    }


def _url(org, name, *args):
    return reverse(f"org:{name}", args=[org.slug, *args])


def _post_data(world, department, **overrides):
    data = {
        "department": department.pk,
        "title": "Answer every request within a day",
        "owner": world["it_head"].pk if department == world["it"] else world["hr_head"].pk,
        "due_date": (TODAY + datetime.timedelta(days=14)).isoformat(),
        "description": "",
        "cycle": "",
    }
    data.update(overrides)
    return data


# --- permissions ---------------------------------------------------------------------------


def test_head_creates_an_action_of_his_own_department(client, org, world):
    client.force_login(world["head"])
    response = client.post(_url(org, "action_create"), _post_data(world, world["it"]))
    assert response.status_code == 302
    action = ActionPlan.objects.get()
    assert action.department == world["it"]
    assert action.created_by == world["head"]


def test_head_cannot_create_for_another_department(client, org, world):
    client.force_login(world["head"])
    response = client.post(_url(org, "action_create"), _post_data(world, world["hr"]))
    assert response.status_code == 403
    assert (
        client.get(_url(org, "action_create") + f"?department={world['hr'].pk}").status_code == 403
    )
    assert not ActionPlan.objects.exists()


def test_head_sees_and_edits_only_his_department(client, org, world):
    mine = make_action(department=world["it"], owner=world["it_head"], title="Mine")
    theirs = make_action(department=world["hr"], owner=world["hr_head"], title="Theirs")
    client.force_login(world["head"])

    page = client.get(_url(org, "action_list") + f"?department={world['hr'].pk}")
    assert page.status_code == 200
    assert "Mine" in page.text and "Theirs" not in page.text

    assert client.get(_url(org, "action_edit", mine.pk)).status_code == 200
    assert client.get(_url(org, "action_edit", theirs.pk)).status_code == 403
    edit = _post_data(world, world["it"], title="Mine, reworded", status="in_progress")
    assert client.post(_url(org, "action_edit", mine.pk), edit).status_code == 302
    mine.refresh_from_db()
    assert (mine.title, mine.status) == ("Mine, reworded", "in_progress")
    # Moving his action to another department is refused as well.
    move = _post_data(world, world["hr"], status="planned")
    assert client.post(_url(org, "action_edit", mine.pk), move).status_code == 403
    mine.refresh_from_db()
    assert mine.department == world["it"]


def test_a_head_without_a_department_and_an_employee_get_403(client, org, world, make_member):
    make_action(department=world["it"])
    for user in (make_member(org, "head"), world["employee"]):
        client.force_login(user)
        assert client.get(_url(org, "action_list")).status_code == 403
        assert client.get(_url(org, "action_create")).status_code == 403
        assert client.get(_url(org, "action_export")).status_code == 403


def test_analyst_reads_every_action_but_cannot_change_one(client, org, world):
    action = make_action(department=world["hr"], title="Theirs")
    client.force_login(world["analyst"])
    page = client.get(_url(org, "action_edit", action.pk))
    assert page.status_code == 200
    assert 'data-testid="action-readonly"' in page.text
    assert '<form method="post" class="card"' not in page.text
    assert (
        client.post(_url(org, "action_edit", action.pk), _post_data(world, world["hr"])).status_code
        == 403
    )
    assert client.get(_url(org, "action_create")).status_code == 403
    assert "Theirs" in client.get(_url(org, "action_list")).text


def test_an_action_of_another_organization_is_404(client, org, world, make_member):
    from tests.factories import DepartmentFactory, OrganizationFactory

    other = OrganizationFactory()
    foreign = make_action(department=DepartmentFactory(organization=other))
    client.force_login(make_member(org, "coordinator"))
    assert client.get(_url(org, "action_edit", foreign.pk)).status_code == 404


# --- the form --------------------------------------------------------------------------------


def test_create_form_is_prefilled_from_a_problem_area(client, org, world):
    criterion = world["cycle"].criteria_set.criteria.get(code="quality")
    client.force_login(world["head"])
    query = (
        f"?cycle={world['cycle'].pk}&department={world['it'].pk}&kind=low_cell"
        f"&criterion={criterion.pk}&client={world['sales'].pk}"
    )
    page = client.get(_url(org, "action_create") + query)

    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["title"] == "Raise “Quality of result” for Sales"
    assert form.initial["department"] == world["it"].pk
    assert form.initial["owner"] == world["it_head"].pk  # the department's head
    assert form.initial["cycle"] == world["cycle"].pk
    assert (form.initial["kind"], form.initial["criterion"], form.initial["client"]) == (
        "low_cell",
        criterion.pk,
        world["sales"].pk,
    )
    assert "Low score on “Quality of result” from Sales" in page.text
    assert 'value="Raise “Quality of result” for Sales"' in page.text

    # Submitting the prefilled form records the problem reference with the action.
    data = _post_data(
        world,
        world["it"],
        title=form.initial["title"],
        cycle=world["cycle"].pk,
        kind="low_cell",
        criterion=criterion.pk,
        client=world["sales"].pk,
    )
    assert client.post(_url(org, "action_create"), data).status_code == 302
    action = ActionPlan.objects.get()
    assert (action.cycle, action.problem_kind, action.criterion, action.client_department) == (
        world["cycle"],
        "low_cell",
        criterion,
        world["sales"],
    )


@pytest.mark.parametrize(
    ("kind", "with_criterion", "with_client", "title"),
    [
        ("weakest_criterion", True, False, "Raise “Quality of result”"),
        ("significant_drop", False, False, "Find and fix the causes of the drop"),
        ("divergent_client", False, True, "Meet Sales and agree what to improve"),
        ("self_gap", True, False, "Check “Quality of result” with our clients"),
    ],
)
def test_each_problem_kind_prefills_a_sensible_title(
    coordinator_client, org, world, kind, with_criterion, with_client, title
):
    criterion = world["cycle"].criteria_set.criteria.get(code="quality")
    query = f"?cycle={world['cycle'].pk}&department={world['it'].pk}&kind={kind}"
    if with_criterion:
        query += f"&criterion={criterion.pk}"
    if with_client:
        query += f"&client={world['sales'].pk}"
    page = coordinator_client.get(_url(org, "action_create") + query)
    assert page.context["form"].initial["title"] == title


def test_prefill_ignores_ids_from_another_organization(coordinator_client, org, world):
    from tests.factories import DepartmentFactory, OrganizationFactory

    foreign_cycle = make_cycle(status=Cycle.Status.PUBLISHED, name="Foreign")
    foreign_dept = DepartmentFactory(organization=OrganizationFactory())
    criterion = foreign_cycle.criteria_set.criteria.first()
    query = (
        f"?cycle={foreign_cycle.pk}&department={foreign_dept.pk}&kind=low_cell"
        f"&criterion={criterion.pk}&client={foreign_dept.pk}"
    )
    page = coordinator_client.get(_url(org, "action_create") + query)
    assert page.status_code == 200
    initial = page.context["form"].initial
    assert initial["cycle"] is None and initial["department"] is None
    assert initial["criterion"] is None and initial["client"] is None
    assert "Foreign" not in page.text


def test_validation_errors_show_on_the_form_and_nothing_is_written(coordinator_client, org, world):
    data = _post_data(world, world["it"], title="", due_date="2001-01-01")
    page = coordinator_client.post(_url(org, "action_create"), data)
    assert page.status_code == 200
    assert "This field is required." in page.text  # the empty title
    data = _post_data(world, world["it"], due_date="2001-01-01")
    page = coordinator_client.post(_url(org, "action_create"), data)
    assert page.status_code == 200
    assert "The due date cannot be in the past." in page.text
    assert not ActionPlan.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="action.").exists()


def test_done_without_result_is_refused_on_the_edit_form(coordinator_client, org, world):
    action = make_action(department=world["it"], owner=world["it_head"])
    data = _post_data(world, world["it"], status="done", result_note="")
    page = coordinator_client.post(_url(org, "action_edit", action.pk), data)
    assert page.status_code == 200
    assert "Describe the result before marking the action done." in page.text
    action.refresh_from_db()
    assert action.status == "planned"


def test_owner_field_follows_the_chosen_department_over_htmx(coordinator_client, org, world):
    response = coordinator_client.get(
        _url(org, "action_create") + f"?owner_for=1&department={world['hr'].pk}",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="owner-field"' in response.text
    assert "Head of HR" in response.text and "Head of IT" not in response.text


def test_create_returns_to_the_card_it_came_from(coordinator_client, org, world):
    card = f"/o/{org.slug}/cards/{world['it'].pk}/"
    data = _post_data(world, world["it"], next=card)
    assert coordinator_client.post(_url(org, "action_create"), data).url == card
    data = _post_data(world, world["it"], next="https://evil.example/")
    assert coordinator_client.post(_url(org, "action_create"), data).url == _url(org, "action_list")


# --- the list ------------------------------------------------------------------------------------


def test_overdue_actions_are_highlighted(coordinator_client, org, world):
    late = make_action(
        department=world["it"], title="Late one", due_date=TODAY - datetime.timedelta(days=2)
    )
    make_action(
        department=world["it"],
        title="Late but done",
        due_date=TODAY - datetime.timedelta(days=2),
        status=ActionPlan.Status.DONE,
        result_note="Done.",
    )
    make_action(department=world["it"], title="On time")

    page = coordinator_client.get(_url(org, "action_list"))
    rows = {row.title: row for row in page.context["rows"]}
    assert rows["Late one"].overdue
    assert not rows["Late but done"].overdue and not rows["On time"].overdue
    assert page.text.count('data-overdue="true"') == 1
    assert "1 overdue" in page.text

    overdue_only = coordinator_client.get(_url(org, "action_list") + "?status=overdue")
    assert [row.id for row in overdue_only.context["rows"]] == [late.pk]


def test_list_filters_by_department_status_and_cycle(coordinator_client, org, world):
    from_cycle = make_action(department=world["it"], title="From Q1", cycle=world["cycle"])
    make_action(department=world["it"], title="By hand")
    make_action(department=world["hr"], title="HR one", status="in_progress")

    def titles(query):
        page = coordinator_client.get(_url(org, "action_list") + query)
        return sorted(row.title for row in page.context["rows"])

    assert titles(f"?department={world['hr'].pk}") == ["HR one"]
    assert titles("?status=in_progress") == ["HR one"]
    assert titles(f"?cycle={world['cycle'].pk}") == [from_cycle.title]
    assert titles("?status=nonsense") == ["By hand", "From Q1", "HR one"]


def test_htmx_filter_returns_only_the_table(coordinator_client, org, world):
    make_action(department=world["hr"], title="HR one")
    response = coordinator_client.get(
        _url(org, "action_list") + f"?department={world['hr'].pk}", headers={"HX-Request": "true"}
    )
    assert response.text.lstrip().startswith('<div class="card" id="actions-table"')
    assert "<html" not in response.text
    assert "HR one" in response.text


# --- the export ----------------------------------------------------------------------------------


def _sheet(response):
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    return load_workbook(io.BytesIO(response.content)).worksheets


def test_export_neutralises_formulas_in_every_text_cell(coordinator_client, org, world):
    make_action(
        department=world["it"],
        title='=HYPERLINK("http://evil.example/","click")',
        description="+1 and more",
        owner=world["it_head"],
    )
    actions, about = _sheet(coordinator_client.get(_url(org, "action_export")))
    assert about["B1"].value == org.name
    header = [cell.value for cell in actions[1]]
    row = dict(zip(header, [cell.value for cell in actions[2]], strict=True))
    assert row["Action"] == '\'=HYPERLINK("http://evil.example/","click")'
    assert row["Description"] == "'+1 and more"
    for sheet in (actions, about):
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", cell.coordinate
    assert row["Department code"] == "IT"
    assert row["Owner"] == "Head of IT"


def test_export_is_the_list_the_user_sees(client, org, world):
    make_action(department=world["it"], title="Mine", due_date=TODAY - datetime.timedelta(days=1))
    make_action(department=world["hr"], title="Theirs")
    client.force_login(world["head"])
    actions, _about = _sheet(client.get(_url(org, "action_export")))
    rows = list(actions.iter_rows(min_row=2, values_only=True))
    assert [r[2] for r in rows] == ["Mine"]
    header = [c.value for c in actions[1]]
    assert rows[0][header.index("Overdue")] == "yes"
    assert rows[0][header.index("Due date")].date() == TODAY - datetime.timedelta(days=1)

    client.force_login(world["analyst"])
    filtered, _about = _sheet(
        client.get(_url(org, "action_export") + f"?department={world['hr'].pk}")
    )
    assert [r[2] for r in filtered.iter_rows(min_row=2, values_only=True)] == ["Theirs"]


def test_list_and_export_queries_do_not_grow_with_the_actions(coordinator_client, org, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    criterion = world["cycle"].criteria_set.criteria.get(code="quality")

    def add(n):
        for _ in range(n):
            make_action(
                department=world["it"],
                cycle=world["cycle"],
                problem_kind="low_cell",
                criterion=criterion,
                client_department=world["sales"],
            )

    def count(name):
        with CaptureQueriesContext(connection) as queries:
            assert coordinator_client.get(_url(org, name)).status_code == 200
        return len(queries)

    add(2)
    few = count("action_list"), count("action_export")
    add(10)
    assert (count("action_list"), count("action_export")) == few
