"""Cycles over the API: read, transitions through the service, rates and published results."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from innerclient.api.models import Scope
from innerclient.core.models import AuditEntry
from innerclient.surveys.completion import cycle_counts_keep
from innerclient.surveys.models import Cycle, Invitation
from tests.api.conftest import bearer, make_token
from tests.factories import DepartmentFactory, PersonFactory
from tests.results.factories import closed_cycle, plant_response, publish


def transition(client, cycle, to):
    return client.post(
        f"/api/v1/cycles/{cycle.pk}/transition",
        json.dumps({"to": to}),
        content_type="application/json",
    )


def test_cycles_are_listed_newest_first_and_filtered_by_status(api, world):
    body = api.get("/api/v1/cycles").json()
    assert body["count"] == 2
    assert [c["name"] for c in body["items"]] == ["Draft", "Published"]
    published = api.get("/api/v1/cycles?status=published").json()
    assert [c["id"] for c in published["items"]] == [world["cycle"].pk]


def test_closing_through_the_api_is_audited_with_the_token(world):
    organization = world["organization"]
    cycle = world["draft_cycle"]
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.OPEN)
    client = bearer(make_token(organization, scopes=[Scope.CYCLES_WRITE]))
    response = transition(client, cycle, "closed")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    service_row = AuditEntry.objects.get(organization=organization, action="cycle.close")
    api_row = AuditEntry.objects.get(organization=organization, action="api.cycle.transition")
    assert service_row.actor is not None and service_row.actor == api_row.actor
    assert api_row.object_id == str(cycle.pk)
    assert api_row.changes["via"] == "api_token"
    assert "Test" in api_row.changes["token"]
    assert api_row.changes["status"] == ["open", "closed"]


def test_a_step_the_cycle_is_not_ready_for_is_a_409(api, world):
    response = transition(api, world["cycle"], "closed")  # already published
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "transition_refused"
    assert "open" in error["message"].lower()
    assert not AuditEntry.objects.filter(action="api.cycle.transition").exists()


def test_unknown_target_status_is_a_validation_error(api, world):
    response = transition(api, world["draft_cycle"], "draft")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "to"]


def test_response_rates_are_counts_per_department_small_ones_together(api, world):
    """Department A invited 5 (1 finished), B 3 and C 2 (1 finished each) — below the
    threshold of 5, so they are one row without a department (point 6). The cycle is closed:
    the counts are those kept at close."""
    cycle = world["draft_cycle"]
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CLOSED)
    Invitation.objects.filter(cycle=cycle).delete()
    small = DepartmentFactory(organization=world["organization"], code="C")
    people = {}
    for department, invited in ((world["department"], 5), (world["department2"], 3), (small, 2)):
        people[department.code] = [PersonFactory(department=department) for _ in range(invited)]
        Invitation.objects.create(
            cycle=cycle, person=people[department.code][0], status=Invitation.Status.COMPLETED
        )
        for person in people[department.code][1:]:
            Invitation.objects.create(cycle=cycle, person=person)
    cycle_counts_keep(cycle=cycle)
    assert set(Invitation.objects.filter(cycle=cycle).values_list("status", flat=True)) == {
        "closed"
    }
    body = api.get(f"/api/v1/cycles/{cycle.pk}/response-rates").json()
    assert body["overall"] == {"invited": 10, "started": 0, "completed": 3, "percent": 30}
    shown, other = body["departments"]
    assert shown["department_code"] == "A" and shown["invited"] == 5 and shown["completed"] == 1
    assert other["department_id"] is None and other["department_code"] is None
    assert (other["invited"], other["completed"]) == (5, 2)
    assert other["department_name_en"] == "Other departments"
    assert body["folded_departments"] == 2
    text = json.dumps(body)
    for group in people.values():
        assert all(p.email not in text and p.full_name not in text for p in group)


def test_results_come_from_the_snapshot_without_touching_responses(api, world):
    cycle = world["cycle"]
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/cycles/{cycle.pk}/results")
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "surveys_response" not in sql and "surveys_answer" not in sql
    assert "surveys_openanswer" not in sql
    body = response.json()
    assert "secret comment" not in response.content.decode()
    [row] = body["departments"]
    assert row["code"] == "B" and row["shown"] is True
    assert row["index"] is not None and row["n_raters"] == 6
    assert len(row["criteria"]) == len(body["criteria"]) == 8


def test_hidden_departments_have_no_figures(api, world):
    organization = world["organization"]
    cycle = closed_cycle(organization, name="Thin")
    for _ in range(2):  # below the threshold of 5
        plant_response(
            cycle, provider=world["department"], client=world["department2"], scores=[5] * 8
        )
    for _ in range(6):
        plant_response(
            cycle, provider=world["department2"], client=world["department"], scores=[3] * 8
        )
    publish(cycle)
    body = api.get(f"/api/v1/cycles/{cycle.pk}/results").json()
    # Not listed at all, like a department nobody rated; only the company total counts it.
    assert "A" not in {r["code"] for r in body["departments"]}
    assert body["departments_hidden"] == 1
    assert [r["shown"] for r in body["departments"]] == [True]


def test_results_of_an_unpublished_cycle_are_404(api, world):
    response = api.get(f"/api/v1/cycles/{world['draft_cycle'].pk}/results")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_published"


def test_action_plans_are_listed_and_filtered(api, world):
    action = world["action"]
    body = api.get(f"/api/v1/action-plans?department_id={world['department2'].pk}").json()
    assert [a["id"] for a in body["items"]] == [action.pk]
    assert body["items"][0]["owner_name"] == action.owner.full_name
    assert api.get("/api/v1/action-plans?status=done").json()["count"] == 0
    assert api.get(f"/api/v1/action-plans/{action.pk}").json()["title"] == action.title


def test_map_links_are_listed(api, world):
    body = api.get("/api/v1/map/links").json()
    assert body["count"] == 1
    assert body["items"][0]["client_code"] == "A" and body["items"][0]["provider_code"] == "B"
