"""CSRF on every form: a POST without the token is refused with 403 and changes nothing.

The URL enumeration and the world come from tests/test_access_matrix.py (its ORG_RULES already
merge the feature rules of tests/access_rules/). For each rule with method "post" we POST as an
allowed role; for each GET page we collect every ``<form method="post">`` (and ``hx-post``) it
renders and POST to its action. Each POST goes through ``Client(enforce_csrf_checks=True)``
without a token: 403 from the CSRF middleware, and no new AuditEntry row.

The rater's questionnaire (/r/) is protected the same way; the REST API (/api/) is
token-authenticated and csrf-exempt by design, so there we check that a browser session alone
does not authenticate a write (401).
"""

import html
import re
from urllib.parse import urljoin

import pytest
from django.test import Client
from django.urls import reverse

from innerclient.core.models import AuditEntry, Role
from innerclient.surveys.models import Response
from tests.factories import OrganizationFactory
from tests.surveys.factories_rater import rater_world, step_post
from tests.test_access_matrix import GLOBAL_URLS, ORG_RULES, _url, _world

pytestmark = pytest.mark.django_db

# Preferred role when several may use a URL: the coordinator can do (and so write) the most.
ROLE_ORDER = [Role.COORDINATOR, Role.ANALYST, Role.HEAD, Role.EMPLOYEE]

_FORM = re.compile(r"<form\b[^>]*>", re.I | re.S)
_HX_POST = re.compile(r"""\bhx-post\s*=\s*["']([^"']*)["']""", re.I)
_ATTR = re.compile(r"""\b(method|action)\s*=\s*["']([^"']*)["']""", re.I)


def _browser() -> Client:
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


def _allowed_user(world, rule):
    for role in ROLE_ORDER:
        if role in rule.allowed:
            return world["members"][role]
    raise AssertionError("rule allows nobody")


def _is_csrf_refusal(response) -> bool:
    # Django's csrf_failure view: 403 with "CSRF verification failed" in its body.
    return response.status_code == 403 and b"CSRF" in response.content


def post_targets(page_url: str, text: str) -> set[str]:
    """The URLs a page's POST forms and hx-post elements send to (same-site paths only)."""
    targets = set()
    for tag in _FORM.findall(text):
        attrs = {k.lower(): v for k, v in _ATTR.findall(tag)}
        if attrs.get("method", "get").lower() != "post":
            continue
        targets.add(urljoin(page_url, html.unescape(attrs.get("action", "")) or page_url))
    for action in _HX_POST.findall(text):
        targets.add(urljoin(page_url, html.unescape(action) or page_url))
    return {t.split("#")[0] for t in targets if t.startswith("/")}


@pytest.fixture
def world(db):
    return _world(OrganizationFactory())


def test_post_rules_refuse_a_post_without_token(world):
    post_rules = {name: rule for name, rule in ORG_RULES.items() if rule.method == "post"}
    assert len(post_rules) >= 10  # the enumeration really found the POST-only URLs
    failures = []
    for name, rule in sorted(post_rules.items()):
        browser = _browser()
        browser.force_login(_allowed_user(world, rule))
        before = AuditEntry.objects.count()
        response = browser.post(_url(name, rule, world), {"confirm": "1", "reason": "x"})
        if not _is_csrf_refusal(response):
            failures.append((name, response.status_code))
        if AuditEntry.objects.count() != before:
            failures.append((name, "audit entry written"))
    assert not failures, failures


def test_every_post_form_on_a_page_refuses_a_post_without_token(world):
    """Every GET page, as an allowed role: every POST form it shows is CSRF-protected."""
    checked: dict[str, str] = {}
    failures = []
    get_rules = {name: rule for name, rule in ORG_RULES.items() if rule.method == "get"}
    for name, rule in sorted(get_rules.items()):
        browser = _browser()
        browser.force_login(_allowed_user(world, rule))
        page_url = _url(name, rule, world)
        page = browser.get(page_url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        for target in post_targets(page_url, page.text) - set(checked):
            checked[target] = name
            before = AuditEntry.objects.count()
            response = browser.post(target, {"confirm": "1", "delete": "1"})
            if not _is_csrf_refusal(response):
                failures.append((name, target, response.status_code))
            if AuditEntry.objects.count() != before:
                failures.append((name, target, "audit entry written"))
            # The session survived the refused POST (e.g. the sign-out form).
            assert browser.get(page_url).status_code == 200, (name, target)
    # Sanity: the scan saw the forms we know exist (sign-out in the layout, the member form…).
    assert reverse("logout") in checked
    assert _url("org:member_list", ORG_RULES["org:member_list"], world) in checked
    assert len(checked) >= 15, sorted(checked)
    assert not failures, failures


def test_global_forms_refuse_a_post_without_token(world):
    coordinator = world["members"][Role.COORDINATOR]
    browser = _browser()
    # Sign-in (login CSRF) — the user exists and the password is right.
    response = browser.post(
        reverse("login"), {"username": coordinator.username, "password": "pass-12345"}
    )
    assert _is_csrf_refusal(response)
    assert "_auth_user_id" not in browser.session
    browser.force_login(coordinator)
    for name in ("organization_create", "set_language", "logout"):
        assert name in GLOBAL_URLS
        before = AuditEntry.objects.count()
        response = browser.post(reverse(name), {"name": "Evil", "slug": "evil", "language": "en"})
        assert _is_csrf_refusal(response), (name, response.status_code)
        assert AuditEntry.objects.count() == before
    assert browser.get(reverse("organization_list")).status_code == 200  # still signed in
    assert not world["organization"].__class__.objects.filter(slug="evil").exists()


def test_rater_posts_without_token_are_refused():
    rater = rater_world(raters=1, providers=2)
    browser = _browser()
    start = browser.get(rater.url())
    assert start.status_code == 302
    home = browser.get(reverse("rater:home"))
    assert home.status_code == 200
    step_url = reverse("rater:step", kwargs={"number": 1})
    step = browser.get(step_url)
    assert step.status_code == 200
    assert post_targets(step_url, step.text)  # the step page has a POST form
    data = step_post(rater, {"responsiveness": 4, "quality": 5, "overall": 4})
    targets = {
        step_url,
        reverse("rater:autosave", kwargs={"number": 1}),
        reverse("rater:summary"),
        reverse("rater:submit"),
        *post_targets(step_url, step.text),
    }
    for target in sorted(targets):
        response = browser.post(target, data)
        assert _is_csrf_refusal(response), (target, response.status_code)
    assert not Response.objects.filter(cycle=rater.cycle).exists()
    # Control: the same cookie with the token does save (so the 403 was the CSRF check).
    token = browser.cookies["csrftoken"].value if "csrftoken" in browser.cookies else None
    assert token, "the step page sets a CSRF cookie"
    response = browser.post(step_url, {**data, "csrfmiddlewaretoken": _form_token(step.text)})
    assert response.status_code in (200, 302)
    assert Response.objects.filter(cycle=rater.cycle).exists()


def _form_token(text: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    assert match, "no csrfmiddlewaretoken in the form"
    return match.group(1)


def test_api_writes_ignore_the_browser_session(world):
    """/api/ is csrf-exempt because it authenticates by token only: a session is not enough."""
    coordinator = world["members"][Role.COORDINATOR]
    writes = [
        ("api:department_upsert", {}, {"items": [{"code": "XSRF", "name_ru": "Атака"}]}),
        ("api:person_upsert", {}, {"items": []}),
        ("api:cycle_transition", {"cycle_id": world["cycles_cycle"].pk}, {"to": "open"}),
    ]
    for browser in (_browser(), Client(HTTP_ACCEPT_LANGUAGE="en")):
        browser.force_login(coordinator)
        for name, kwargs, body in writes:
            url = reverse(name, kwargs=kwargs)
            before = AuditEntry.objects.count()
            response = browser.post(url, body, content_type="application/json")
            assert response.status_code == 401, (name, response.status_code, response.content)
            assert AuditEntry.objects.count() == before
    assert not world["organization"].departments.filter(code="XSRF").exists()
