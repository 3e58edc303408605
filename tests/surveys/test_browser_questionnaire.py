"""The rater's questionnaire in a real Chromium at a phone's size (375×812).

Open the personal link, rate two providers, be stopped by a missing justification, add it,
close the tab mid-way (the draft is autosaved), reopen the link in a fresh browser, find the
draft, submit, submit again: exactly one response per provider.

With ``SCREENSHOT_DIR`` set, the key steps are saved as PNGs there.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from innerclient.surveys.models import Answer, Response
from tests.surveys.factories_rater import rater_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "locale": "ru-RU", "has_touch": True}


def _shot(page, name):
    directory = os.environ.get("SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"rater-{name}.png"), full_page=True)


def _rate(page, code, value):
    page.locator(f"[data-testid=criterion-{code}] label.score", has_text=str(value)).first.click()


def test_rater_on_a_phone_rates_two_providers_with_a_closed_tab_in_between(
    page, browser, live_server
):
    page.set_default_timeout(10_000)
    world = rater_world(raters=1, providers=2)
    link = f"{live_server.url}{world.url()}"

    page.goto(link)
    expect(page).to_have_url(f"{live_server.url}/r/")  # the token left the address bar
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the rater's language
    expect(page.locator("[data-testid=org-switcher]")).to_have_count(0)
    _shot(page, "01-home")
    page.click("[data-testid=rater-continue]")

    # Step 1: a score of 1 without a comment is refused.
    expect(page.locator("[data-testid=rater-progress]")).to_have_text("Step 1 of 2")
    _rate(page, "responsiveness", 4)
    _rate(page, "quality", 1)
    _rate(page, "overall", 3)
    quality = page.locator("[data-testid=criterion-quality]")
    expect(quality.locator("textarea")).to_be_visible()  # the justification box opened
    expect(quality).to_contain_text("A short comment is required")
    _shot(page, "02-extreme-score")
    page.click("[data-testid=rater-next]")
    expect(page.locator("[data-testid=rater-errors]")).to_be_visible()
    expect(quality.locator(".field-error")).to_contain_text("needs a short comment")
    _shot(page, "03-justification-missing")
    quality.locator("textarea").fill("Our orders were lost twice this quarter.")
    page.click("[data-testid=rater-next]")

    # Step 2: rate, let the autosave run, then close the tab without pressing anything.
    expect(page.locator("[data-testid=rater-progress]")).to_have_text("Step 2 of 2")
    page.locator("[data-testid=criterion-responsiveness] label.score").nth(4).focus()
    for code, value in (("responsiveness", 5), ("quality", 4), ("overall", 4)):
        _rate(page, code, value)
    expect(page.locator("[data-testid=autosave-status]")).to_have_text("Draft saved")
    _shot(page, "04-autosaved")
    page.context.close()

    # Reopen the link in a fresh browser (no cookie): the draft is there.
    context = browser.new_context(viewport=PHONE, locale="ru-RU", has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(link)
    expect(page.locator(".rater-steps")).to_contain_text("draft, ready")
    page.get_by_role("link", name="Provider 2").click()
    step2 = page.locator("[data-testid=criterion-responsiveness]")
    expect(step2.locator("input[value='5']")).to_be_checked()
    expect(page.locator("[data-testid=criterion-overall] input[value='4']")).to_be_checked()
    page.click("[data-testid=rater-next]")

    # The summary, then submit — twice.
    expect(page.locator("h1")).to_have_text("Review your answers")
    _shot(page, "05-summary")
    page.click("[data-testid=rater-submit]")
    expect(page.locator("[data-testid=rater-done]")).to_be_visible()
    _shot(page, "06-done")
    page.go_back()
    page.reload()
    page.locator("[data-testid=rater-submit]").dblclick()
    expect(page.locator("[data-testid=rater-done]")).to_be_visible()

    responses = Response.objects.filter(cycle=world.cycle)
    assert responses.count() == 2
    assert sorted(responses.values_list("provider_id", flat=True)) == sorted(
        p.pk for p in world.providers
    )
    assert set(responses.values_list("status", flat=True)) == {Response.Status.SUBMITTED}
    comment = Answer.objects.get(response__provider=world.providers[0], criterion__code="quality")
    assert comment.score == 1 and "lost twice" in comment.comment
    context.close()


def test_the_questionnaire_works_without_javascript(browser, live_server):
    world = rater_world(raters=1, providers=1)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}{world.url()}")
    page.click("[data-testid=rater-continue]")
    for code in ("responsiveness", "quality", "overall"):
        page.locator(f"[data-testid=criterion-{code}] label.score", has_text="4").first.click()
    page.click("[data-testid=rater-next]")
    expect(page.locator("h1")).to_have_text("Review your answers")
    page.click("[data-testid=rater-submit]")
    expect(page.locator("[data-testid=rater-done]")).to_be_visible()
    assert Response.objects.get(cycle=world.cycle).status == Response.Status.SUBMITTED
    context.close()


def test_keyboard_only_rating(page, live_server):
    world = rater_world(raters=1, providers=1)
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}{world.url()}")
    page.click("[data-testid=rater-continue]")
    page.locator("#dni").focus()
    page.keyboard.press("Space")
    expect(page.locator(".criteria")).to_be_hidden()
    page.keyboard.press("Enter")  # submits the form through its first button, "Save and review"
    expect(page.locator("h1")).to_have_text("Review your answers")
    assert Response.objects.get(cycle=world.cycle).did_not_interact
