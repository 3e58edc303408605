""" "What we changed" in a real Chromium: the rater opens his personal link, then the page.

A real browser sends the questionnaire's cookie only under its path (``/r/``), which the
Django test client does not model; this test is the one that notices where the page is
mounted (it must stay under the cookie's path).
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from innerclient.actions.models import ActionPlan
from innerclient.surveys.models import Cycle
from innerclient.surveys.views.rater import COOKIE_PATH
from tests.actions.factories import make_action
from tests.surveys.factories_rater import make_cycle, rater_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 375, "height": 812}}


def test_rater_reaches_what_we_changed_from_his_link(page, live_server):
    page.set_default_timeout(10_000)
    world = rater_world(raters=1, providers=2)
    earlier = timezone.now() - datetime.timedelta(days=100)
    previous = make_cycle(
        organization=world.cycle.organization,
        status=Cycle.Status.PUBLISHED,
        name="2026 Q4",
        opened_at=earlier,
        published_at=earlier + datetime.timedelta(days=30),
    )
    Cycle.objects.filter(pk=world.cycle.pk).update(opened_at=timezone.now())
    make_action(
        department=world.providers[0],
        cycle=previous,
        title="One window for all requests",
        status=ActionPlan.Status.DONE,
        result_note="Requests are answered within a day.",
    )

    page.goto(f"{live_server.url}{world.url()}")
    expect(page).to_have_url(f"{live_server.url}/r/")
    changes_url = reverse("changes:for_rater")
    assert changes_url.startswith(COOKIE_PATH)  # or a browser would not send the cookie
    page.goto(f"{live_server.url}{changes_url}")

    expect(page.locator("[data-testid=changes-action]")).to_have_count(1)
    expect(page.locator("[data-testid=changes-action]")).to_contain_text(
        "Requests are answered within a day."
    )
