"""Real Chromium through Playwright against the live server."""

import pytest
from playwright.sync_api import expect

from innerclient.core.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username, password="pass-12345"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_coordinator_signs_in_and_switches_language(page, live_server, org, make_member):
    user = make_member(org, Role.COORDINATOR)
    sign_in(page, live_server, user.username)
    expect(page.locator("h1")).to_have_text(org.name)
    expect(page.locator(".subnav")).to_contain_text("Карта взаимодействия")
    page.click("[data-testid=lang-en]")
    expect(page.locator(".subnav")).to_contain_text("Interaction map")
    page.click("[data-testid=lang-ru]")
    expect(page.locator(".subnav")).to_contain_text("Структура")


def test_wrong_password_shows_an_error(page, live_server, org, make_member):
    user = make_member(org, Role.EMPLOYEE)
    sign_in(page, live_server, user.username, password="wrong-password")
    expect(page.locator("[role=alert]")).to_be_visible()


def test_five_wrong_passwords_lock_the_sign_in_with_a_message(page, live_server, org, make_member):
    user = make_member(org, Role.ANALYST)
    for _ in range(5):
        sign_in(page, live_server, user.username, password="wrong-password")
    sign_in(page, live_server, user.username)
    expect(page.locator("[data-testid=signin-locked]")).to_contain_text(
        "Слишком много неудачных попыток; попробуйте снова через 15 минут"
    )
    expect(page.locator("#id_password")).to_be_visible()
