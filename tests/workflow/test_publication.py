"""Publishing a cycle (innerclient.workflow): from the cycle page, the API and the command, one
step stores the results, makes them visible and sends each head his email."""

import json

import pytest
from django.core.management import call_command
from django.urls import resolve, reverse

from innerclient.api.models import Scope
from innerclient.core.models import AuditEntry
from innerclient.results.models import ResultSnapshot
from innerclient.surveys.models import Cycle
from innerclient.workflow import views
from tests.api.conftest import bearer, make_token
from tests.factories import PersonFactory
from tests.reports.factories import reports_world
from tests.surveys.factories_emails import smtp_server  # noqa: F401 (the smtp fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    """A closed cycle with answers; the head of Purchasing (rated) has an email address."""
    world = reports_world(published=False)
    world.p.head = PersonFactory(department=world.p, language="en", email="head.p@example.test")
    world.p.save()
    return world


def _snapshots(cycle):
    return list(ResultSnapshot.objects.filter(cycle=cycle).values_list("version", "reason"))


def _actions(cycle):
    return list(
        AuditEntry.objects.filter(object_type="surveys.cycle", object_id=str(cycle.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_coordinator_publishes_from_the_cycle_page_and_the_head_gets_his_email(
    smtp, client, w, django_capture_on_commit_callbacks
):
    client.force_login(w.coordinator)
    detail = client.get(reverse("org:cycle_detail", args=[w.org.slug, w.cycle.pk]))
    url = reverse("org:cycle_publish", args=[w.org.slug, w.cycle.pk])
    # The cycle page's button keeps the transitions' URL; the workflow app serves it.
    assert url == reverse("org:cycle_transition", args=[w.org.slug, w.cycle.pk, "published"])
    assert f'href="{url}"' in detail.text
    assert resolve(url).func is views.cycle_publish

    confirm = client.get(url)
    assert "Publish the results?" in confirm.text
    assert "This cannot be undone." in confirm.text
    assert _snapshots(w.cycle) == []

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"confirm": "1"}, follow=True)

    assert "The results are published." in done.text
    w.cycle.refresh_from_db()
    assert w.cycle.status == Cycle.Status.PUBLISHED
    assert _snapshots(w.cycle) == [(1, "Publication")]
    assert _actions(w.cycle)[-3:] == ["results.compute", "cycle.publish", "results.notify"]
    assert smtp.recipients == ["head.p@example.test"]
    card = reverse("org:department_card", args=[w.org.slug, w.cycle.pk, w.p.pk])
    assert card in smtp.to("head.p@example.test")[0].text


def test_publishing_twice_from_the_page_is_refused_and_changes_nothing(client, w):
    client.force_login(w.coordinator)
    url = reverse("org:cycle_publish", args=[w.org.slug, w.cycle.pk])
    client.post(url, {"confirm": "1"})
    again = client.post(url, {"confirm": "1"}, follow=True)
    assert "Only a closed cycle can be published" in again.text
    assert _snapshots(w.cycle) == [(1, "Publication")]
    assert _actions(w.cycle).count("cycle.publish") == 1


def test_only_the_coordinator_may_publish(client, w):
    url = reverse("org:cycle_publish", args=[w.org.slug, w.cycle.pk])
    client.force_login(w.analyst)
    assert client.post(url, {"confirm": "1"}).status_code == 403
    w.cycle.refresh_from_db()
    assert w.cycle.status == Cycle.Status.CLOSED


def test_publishing_through_the_api_stores_the_results_and_records_the_token(w):
    api = bearer(make_token(w.org, scopes=[Scope.CYCLES_WRITE]))
    response = api.post(
        f"/api/v1/cycles/{w.cycle.pk}/transition",
        json.dumps({"to": "published"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    assert _snapshots(w.cycle) == [(1, "Publication")]
    row = AuditEntry.objects.get(action="api.cycle.transition")
    assert row.changes["status"] == ["closed", "published"]


def test_the_cycle_publish_command_stores_the_results(w, capsys):
    call_command("cycle_publish", "--org", w.org.slug, w.cycle.name)
    assert "Published" in capsys.readouterr().out
    w.cycle.refresh_from_db()
    assert w.cycle.status == Cycle.Status.PUBLISHED
    assert _snapshots(w.cycle) == [(1, "Publication")]
