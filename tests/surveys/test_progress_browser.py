"""The response-rate page in a real Chromium at phone width: it updates itself (HTMX)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from innerclient.core.models import Role
from innerclient.surveys.views import progress
from tests.surveys.factories_emails import finish, make_cycle, make_invitation, providers_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 375, "height": 812}, "locale": "en-GB"}


def test_progress_page_fills_up_live_on_a_phone(page, live_server, org, make_member, monkeypatch):
    monkeypatch.setattr(progress, "POLL_SECONDS", 1)
    cache.clear()
    user = make_member(org, Role.COORDINATOR)
    cycle = make_cycle(organization=org, name="2027 Q1")
    providers = providers_for(cycle, 2)
    invited = timezone.now() - timedelta(days=1)
    first, second = (
        make_invitation(cycle, providers=providers, invited_at=invited) for _ in range(2)
    )
    finish(first)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pass-12345")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/o/{org.slug}/cycles/{cycle.pk}/progress/")
    expect(page.get_by_test_id("overall-percent")).to_have_text("50%")

    finish(second)
    cache.clear()  # as if the minute between two counts had passed

    expect(page.get_by_test_id("overall-percent")).to_have_text("100%", timeout=8000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_test_id("remind-now").click()
    expect(page.get_by_test_id("remind-count")).to_contain_text("Nobody needs a reminder")
    cache.clear()
