"""The feedback loop in a real Chromium (issue 5): after publication a head opens his card,
sees the trend chart and a problem area, records an action, downloads the card as a PDF and
files an appeal; the coordinator upholds it and both result versions stay viewable.

The pages stay in Russian (the browser's language): the PDF must carry the department's
Cyrillic name. Elements are found by their test ids, not by text.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from innerclient.actions.models import ActionPlan
from innerclient.appeals.models import Appeal
from innerclient.core.models import Role
from innerclient.results.models import ResultSnapshot
from innerclient.surveys.models import Cycle
from tests.factories import DepartmentFactory, MembershipFactory, PersonFactory
from tests.regulation.pdftext import pdf_text
from tests.results.factories import closed_cycle, plant_response, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-12345-feedback"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "ru-RU"}


def _user(org, role, department=None):
    membership = MembershipFactory(organization=org, role=role, department=department)
    membership.user.set_password(PASSWORD)
    membership.user.save()
    return membership.user


def _rate(cycle, provider, clients):
    for client, score, count in clients:
        for _ in range(count):
            plant_response(cycle, provider=provider, client=client, scores=[score] * 8)


@pytest.fixture
def world(org):
    purchasing = DepartmentFactory(
        organization=org, code="PUR", name_ru="Отдел закупок", name_en="Purchasing"
    )
    assembly = DepartmentFactory(organization=org, code="ASM", name_ru="Сборочный цех")
    billing = DepartmentFactory(organization=org, code="BIL", name_ru="Расчётный отдел")
    head = _user(org, Role.HEAD, purchasing)
    PersonFactory(department=purchasing, email=head.email)
    coordinator = _user(org, Role.COORDINATOR)

    earlier = closed_cycle(org, name="2026 Q4")
    _rate(earlier, purchasing, [(assembly, 3, 6), (billing, 4, 6)])
    publish(earlier, actor=coordinator)
    long_ago = timezone.now() - datetime.timedelta(days=120)
    Cycle.objects.filter(pk=earlier.pk).update(
        opened_at=long_ago, closed_at=long_ago, published_at=long_ago
    )
    current = closed_cycle(org, name="2027 Q1")
    _rate(current, purchasing, [(assembly, 2, 6), (billing, 5, 6)])
    publish(current, actor=coordinator)
    return {
        "org": org,
        "cycle": current,
        "purchasing": purchasing,
        "assembly": assembly,
        "head": head,
        "coordinator": coordinator,
    }


def _sign_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("nav.subnav")).to_be_visible()


def test_head_acts_on_his_card_and_appeals_and_the_coordinator_upholds(
    page, browser, live_server, world, tmp_path
):
    page.set_default_timeout(15_000)
    org, cycle = world["org"], world["cycle"]
    _sign_in(page, live_server, world["head"])

    # The "Results" section takes a head straight to his department's card.
    page.click("[data-testid=nav-results]")
    expect(page.locator("[data-testid=card-title]")).to_have_text("Отдел закупок")
    expect(page.locator("[data-testid=card-trend] svg").first).to_be_visible()
    problems = page.locator("[data-testid=card-problems] li")
    expect(problems.first).to_be_visible()

    # An action from a problem area: the form comes prefilled; the head picks the owner.
    page.locator("[data-testid=plan-action]").first.click()
    expect(page.locator("[data-testid=action-problem]")).to_be_visible()
    page.select_option(
        "select[name=owner]",
        label=page.locator("select[name=owner] option:not([value=''])").first.inner_text(),
    )
    page.fill(
        "input[name=due_date]", (timezone.localdate() + datetime.timedelta(days=60)).isoformat()
    )
    page.click("[data-testid=action-save]")
    expect(page.locator("[data-testid=action-form]")).to_have_count(0)
    action = ActionPlan.objects.get(department=world["purchasing"])
    assert action.cycle_id == cycle.pk and action.title

    # The card shows it, and prints to a PDF whose text has the department's Cyrillic name.
    page.goto(f"{live_server.url}/o/{org.slug}/cycles/{cycle.pk}/card/{world['purchasing'].pk}/")
    expect(page.locator("[data-testid=card-action]")).to_have_count(1)
    with page.expect_download() as download:
        page.click("[data-testid=card-pdf]")
    pdf = tmp_path / "card.pdf"
    download.value.save_as(pdf)
    assert "Отдел закупок" in pdf_text(pdf.read_bytes())

    # An appeal against how the assembly shop rated the department.
    page.goto(
        f"{live_server.url}/o/{org.slug}/appeals/new/"
        f"?cycle={cycle.pk}&department={world['purchasing'].pk}"
    )
    page.check(f"[data-testid=views] input[name=target][value$='{world['assembly'].pk}']")
    page.fill("textarea[name=text]", "Сборочный цех в этом квартале к нам не обращался.")
    page.click("[data-testid=file-appeal]")
    expect(page.locator("[data-testid=appeal]")).to_be_visible()
    appeal = Appeal.objects.get()
    assert appeal.status == Appeal.Status.FILED

    # The coordinator upholds it, after the confirmation step.
    coordinator_context = browser.new_context(
        locale="ru-RU", viewport={"width": 1280, "height": 900}
    )
    other = coordinator_context.new_page()
    other.set_default_timeout(15_000)
    _sign_in(other, live_server, world["coordinator"])
    other.goto(f"{live_server.url}/o/{org.slug}/appeals/{appeal.pk}/")
    other.check("input[name=decision][value=upheld]")
    other.fill("textarea[name=reason]", "Обращений от сборочного цеха не было.")
    other.locator("[data-testid=decision-form] button[type=submit]").click()
    other.click("[data-testid=confirm-decision]")
    expect(other.locator("[data-testid=versions]")).to_be_visible()
    assert list(
        ResultSnapshot.objects.filter(cycle=cycle)
        .order_by("version")
        .values_list("version", flat=True)
    ) == [1, 2]

    # Both versions stay viewable: the earlier one is marked as such.
    other.click("[data-testid=version-before]")
    expect(other.locator("[data-testid=old-version]")).to_be_visible()
    expect(other.locator("[data-testid=results-table]")).to_be_visible()
    other.go_back()
    other.click("[data-testid=version-after]")
    expect(other.locator("[data-testid=results-table]")).to_be_visible()
    expect(other.locator("[data-testid=old-version]")).to_have_count(0)
    coordinator_context.close()
