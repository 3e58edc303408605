"""Staff sign-in: too many wrong passwords lock the account out from that address for a while,
with a clear message; a coordinator can lift it; everything is on the audit log."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from innerclient.core.models import AuditEntry, Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-12345"
LOGIN = "/accounts/login/"


def _browser(address="203.0.113.10", language="en", **extra) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **extra)


def _sign_in(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def _fail(client, username, times=5):
    for _ in range(times):
        response = _sign_in(client, username, "wrong-password")
        assert response.status_code in (200, 429)
    return response


@pytest.fixture
def member(org, make_member):
    return make_member(org, Role.ANALYST, password=PASSWORD)


def test_five_wrong_passwords_then_the_right_one_is_refused_with_a_message(member):
    browser = _browser()
    for _ in range(4):
        assert _sign_in(browser, member.username, "wrong-password").status_code == 200
    fifth = _sign_in(browser, member.username, "wrong-password")
    assert fifth.status_code == 429
    refused = _sign_in(browser, member.username, PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in browser.session
    text = refused.content.decode()
    assert "Too many failed attempts; try again in 15 minutes or ask a coordinator." in text
    assert 'id="id_username"' in text  # the sign-in page itself, not a bare error
    assert int(refused["Retry-After"]) == 15 * 60


def test_the_message_is_in_russian_for_a_russian_browser(member):
    browser = _browser(language="ru")
    _fail(browser, member.username)
    text = _sign_in(browser, member.username, PASSWORD).content.decode()
    assert "Слишком много неудачных попыток" in text
    assert "15 минут" in text


def test_fewer_failures_than_the_limit_do_not_lock(member):
    browser = _browser()
    _fail(browser, member.username, times=4)
    response = _sign_in(browser, member.username, PASSWORD)
    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(member.pk)


def test_the_account_is_not_locked_from_another_address(member):
    _fail(_browser("203.0.113.10"), member.username)
    colleague_pc = _browser("203.0.113.11")
    assert _sign_in(colleague_pc, member.username, PASSWORD).status_code == 302


def test_another_account_is_not_locked_from_the_same_address(org, member, make_member):
    other = make_member(org, Role.HEAD, password=PASSWORD)
    office = _browser("203.0.113.12")
    _fail(office, member.username)
    assert _sign_in(_browser("203.0.113.12"), other.username, PASSWORD).status_code == 302


def test_a_differently_typed_name_counts_for_the_same_account(member):
    browser = _browser()
    for name in [member.username.upper(), f" {member.username} ", member.username] * 2:
        _sign_in(browser, name, "wrong-password")
    assert _sign_in(browser, member.username, PASSWORD).status_code == 429


def test_after_the_cool_off_the_right_password_works(member):
    browser = _browser()
    _fail(browser, member.username)
    assert _sign_in(browser, member.username, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert _sign_in(browser, member.username, PASSWORD).status_code == 302


def test_the_wait_shown_counts_down_from_the_last_failure(member):
    browser = _browser()
    _fail(browser, member.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10, seconds=30))
    text = _sign_in(browser, member.username, PASSWORD).content.decode()
    assert "try again in 5 minutes" in text


def test_attempts_while_locked_do_not_extend_the_wait(member):
    browser = _browser()
    _fail(browser, member.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    _fail(browser, member.username, times=3)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert _sign_in(browser, member.username, PASSWORD).status_code == 302


def test_the_limit_and_the_cool_off_come_from_settings(member, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)
    browser = _browser()
    _fail(browser, member.username, times=2)
    text = _sign_in(browser, member.username, PASSWORD).content.decode()
    assert "try again in 1 minute or ask a coordinator" in text


def test_the_trusted_proxy_address_is_the_client(member, settings):
    settings.INNERCLIENT_TRUSTED_PROXIES = 1
    attacker = _browser("127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    _fail(attacker, member.username)
    owner = _browser("127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert _sign_in(owner, member.username, PASSWORD).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.1"}


def test_failures_and_the_lockout_are_audited_without_the_password(org, member):
    browser = _browser("203.0.113.20")
    _fail(browser, member.username)
    _sign_in(browser, member.username, PASSWORD)  # refused: locked, not counted again
    entries = AuditEntry.objects.filter(organization=org, action__startswith="signin.")
    assert sorted(entries.values_list("action", flat=True)) == ["signin.failed"] * 5 + [
        "signin.locked"
    ]
    locked = entries.get(action="signin.locked")
    assert locked.object_repr == member.username and locked.actor is None
    assert locked.changes == {"address": "203.0.113.20", "failures": 5, "minutes": 15}
    everything = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    everything += str(list(AccessAttempt.objects.values_list("post_data", "get_data")))
    assert "wrong-password" not in everything and PASSWORD not in everything


def test_a_name_with_no_account_is_counted_but_not_written_down():
    browser = _browser()
    _fail(browser, "my-password-typed-here")
    assert _sign_in(browser, "my-password-typed-here", "x").status_code == 429
    rows = AuditEntry.objects.filter(action="signin.failed")
    assert rows.count() == 5 and not rows.exclude(organization=None).exists()
    assert "my-password-typed-here" not in str(list(rows.values_list("changes", "object_repr")))


def test_the_failures_of_a_member_of_two_organizations_are_in_both_audit_logs(org, member):
    other = MembershipFactory(user=member, role=Role.EMPLOYEE).organization
    _sign_in(_browser(), member.username, "wrong-password")
    for organization in (org, other):
        assert AuditEntry.objects.filter(organization=organization, action="signin.failed").count()


def test_the_coordinator_sees_the_lock_and_unlocks_with_a_confirmation(
    org, member, coordinator_client, coordinator
):
    browser = _browser()
    _fail(browser, member.username)
    membership = member.memberships.get(organization=org)
    members_page = coordinator_client.get(reverse("org:member_list", args=[org.slug]))
    unlock_url = reverse("org:member_unlock", args=[org.slug, membership.pk])
    assert "sign-in locked" in members_page.content.decode()
    assert unlock_url in members_page.content.decode()
    confirm = coordinator_client.get(unlock_url)
    assert confirm.status_code == 200
    assert 'data-testid="confirm"' in confirm.content.decode()
    assert AccessAttempt.objects.exists()  # the confirmation page changes nothing

    done = coordinator_client.post(unlock_url, follow=True)
    assert f"{member.username} can sign in again." in done.content.decode()
    assert "sign-in locked" not in done.content.decode()
    assert _sign_in(browser, member.username, PASSWORD).status_code == 302
    entry = AuditEntry.objects.get(organization=org, action="signin.unlock")
    assert entry.actor == coordinator and entry.object_repr == member.username
    assert entry.changes == {"username": member.username, "attempts_cleared": 1}


def test_unlocking_an_account_that_is_not_locked_changes_nothing(org, member, coordinator_client):
    membership = member.memberships.get(organization=org)
    url = reverse("org:member_unlock", args=[org.slug, membership.pk])
    assert "not locked out" in coordinator_client.get(url).content.decode()
    done = coordinator_client.post(url, follow=True)
    assert f"{member.username} was not locked out." in done.content.decode()
    assert not AuditEntry.objects.filter(action="signin.unlock").exists()


def test_an_analyst_cannot_unlock(org, member, make_member):
    locked = make_member(org, Role.HEAD, password=PASSWORD)
    _fail(_browser(), locked.username)
    analyst = _browser("198.51.100.50")
    analyst.force_login(member)
    url = reverse("org:member_unlock", args=[org.slug, locked.memberships.get().pk])
    assert analyst.get(url).status_code == 403
    assert analyst.post(url).status_code == 403
    assert AccessAttempt.objects.filter(username=locked.username).exists()
    assert not AuditEntry.objects.filter(action="signin.unlock").exists()


def test_api_tokens_and_rater_links_are_not_affected(org, member, coordinator):
    from innerclient.api.services import api_token_create
    from tests.surveys.factories_rater import rater_world

    browser = _browser("203.0.113.30")
    _fail(browser, member.username)
    created = api_token_create(
        actor=coordinator, organization=org, name="HRIS", scopes=["structure:read"]
    )
    api = browser.get("/api/v1/departments", HTTP_AUTHORIZATION=f"Bearer {created.secret}")
    assert api.status_code == 200
    world = rater_world()
    assert browser.get(world.url()).status_code == 302
