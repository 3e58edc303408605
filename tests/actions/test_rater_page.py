""" "What we changed": a rater who came through his invitation link sees what the departments
he rates did since the previous published cycle; nothing about raters or owners; no link, no
page (a clear explanation instead)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from innerclient.actions.models import ActionPlan
from innerclient.surveys.models import Cycle
from innerclient.surveys.views.rater import COOKIE_NAME
from tests.actions.factories import make_action
from tests.factories import DepartmentFactory
from tests.surveys.factories_rater import make_cycle, rater_world

pytestmark = pytest.mark.django_db

URL = "/r/changes/"


@pytest.fixture
def world():
    world = rater_world(providers=2)
    organization = world.cycle.organization
    now = timezone.now()
    earlier = now - datetime.timedelta(days=120)
    previous = make_cycle(
        organization=organization,
        status=Cycle.Status.PUBLISHED,
        name="2026 Q4",
        opened_at=earlier,
        published_at=earlier + datetime.timedelta(days=30),
    )
    Cycle.objects.filter(pk=world.cycle.pk).update(opened_at=now)
    world.cycle.refresh_from_db()
    world.previous = previous
    return world


def _open_link(client, world):
    response = client.get(world.url())
    assert response.status_code == 302
    assert COOKIE_NAME in response.cookies


def test_the_page_has_its_name():
    assert reverse("changes:for_rater") == URL


def test_rater_sees_the_actions_of_the_departments_he_rates(client, world):
    p1, p2 = world.providers
    done = make_action(
        department=p1,
        cycle=world.previous,
        title="One window for all requests",
        description="A single intake form replaces the email threads.",
        status=ActionPlan.Status.DONE,
        result_note="Requests are answered within a day.",
        owner=None,
    )
    make_action(
        department=p2,
        cycle=world.previous,
        title="Weekly office hours",
        status=ActionPlan.Status.IN_PROGRESS,
    )
    make_action(department=p1, cycle=world.previous, title="Planned, not shown yet")
    make_action(
        department=p1,
        cycle=world.previous,
        title="Dropped, not shown",
        status=ActionPlan.Status.DROPPED,
    )
    unrated = DepartmentFactory(organization=world.cycle.organization)
    make_action(
        department=unrated,
        cycle=world.previous,
        title="Not a provider of his",
        status=ActionPlan.Status.DONE,
        result_note="x",
    )
    _open_link(client, world)

    page = client.get(URL)

    assert page.status_code == 200
    text = page.text
    assert "What we changed" in text
    assert "since “2026 Q4”" in text
    assert "One window for all requests" in text
    assert "A single intake form replaces the email threads." in text
    assert "Requests are answered within a day." in text
    assert "Weekly office hours" in text
    assert "Provider 1" in text and "Provider 2" in text
    for hidden in ("Planned, not shown yet", "Dropped, not shown", "Not a provider of his"):
        assert hidden not in text
    # Nothing about people: no owner, no rater.
    assert done.owner.full_name not in text and done.owner.email not in text
    for person in world.people:
        assert person.full_name not in text and person.email not in text
    assert "no-store" in page["Cache-Control"]


def test_actions_older_than_the_previous_cycle_are_not_listed(client, world):
    p1, _p2 = world.providers
    organization = world.cycle.organization
    long_ago = timezone.now() - datetime.timedelta(days=400)
    older = make_cycle(
        organization=organization,
        status=Cycle.Status.PUBLISHED,
        name="2025 Q4",
        opened_at=long_ago,
        published_at=long_ago + datetime.timedelta(days=30),
    )
    old = make_action(
        department=p1, cycle=older, title="From long ago", status="done", result_note="x"
    )
    ActionPlan.objects.filter(pk=old.pk).update(created_at=long_ago)
    make_action(department=p1, title="By hand, recently", status="in_progress")
    _open_link(client, world)

    text = client.get(URL).text
    assert "From long ago" not in text
    assert "By hand, recently" in text


def test_the_page_writes_nothing(client, world):
    make_action(department=world.providers[0], cycle=world.previous, status="in_progress")
    _open_link(client, world)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    writes = [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert COOKIE_NAME not in response.cookies  # the questionnaire's cookie is left alone


def test_without_the_link_a_clear_page_explains_how_to_open_it(client, world):
    response = client.get(URL)
    assert response.status_code == 403
    assert 'data-testid="changes-unavailable"' in response.text
    assert "personal link in your invitation email" in response.text

    client.cookies[COOKIE_NAME] = "forged"
    response = client.get(URL)
    assert response.status_code == 403
    assert "personal link in your invitation email" in response.text


def test_a_closed_cycle_says_so(client, world):
    _open_link(client, world)
    Cycle.objects.filter(pk=world.cycle.pk).update(status=Cycle.Status.CLOSED)
    response = client.get(URL)
    assert response.status_code == 410
    assert "This evaluation has closed." in response.text


def test_the_page_speaks_the_raters_language(russian_client):
    world = rater_world(providers=1, language="ru")
    _open_link(russian_client, world)
    page = russian_client.get(URL)
    assert page.status_code == 200
    assert '<html lang="ru">' in page.text


def test_the_questionnaire_links_to_what_we_changed_once_an_earlier_cycle_was_published(
    client, world
):
    # No department has reported an action yet: the link is there and the page says so.
    _open_link(client, world)
    home = client.get(reverse("rater:home"))
    assert home.status_code == 200
    assert 'data-testid="rater-changes-link"' in home.text
    page = client.get(URL)
    assert page.status_code == 200
    assert page.text.count("No action reported yet.") == len(world.providers)


def test_the_first_cycle_of_a_company_has_no_link_to_what_we_changed(client):
    world = rater_world(providers=2)
    _open_link(client, world)
    home = client.get(reverse("rater:home"))
    assert home.status_code == 200
    assert "Your departments" in home.text
    assert 'data-testid="rater-changes-link"' not in home.text
