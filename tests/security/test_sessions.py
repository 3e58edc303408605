"""Session, CSRF-cookie and password hardening, sign-out, and a sign-in form that does not
tell whether a user name exists.

Accounts are created only by a coordinator (``member_add`` with a generated temporary
password); the project has no sign-up, password-change or password-reset URL, so the password
validators are checked directly and against the temporary passwords (and the URL list is
checked so that a new password path makes this file look again).
"""

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from innerclient.core.models import Role
from innerclient.core.services import member_add
from tests.factories import MembershipFactory
from tests.test_access_matrix import _pattern_names

pytestmark = pytest.mark.django_db


def test_session_cookie_is_http_only_and_same_site(client, make_member, org):
    user = make_member(org, Role.COORDINATOR)
    response = client.post(reverse("login"), {"username": user.username, "password": "pass-12345"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] in ("Lax", "Strict")
    # A working day, not Django's two weeks.
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 3600
    assert 0 < int(cookie["max-age"]) <= 24 * 3600


def test_csrf_cookie_settings(client):
    assert settings.CSRF_COOKIE_HTTPONLY is True
    assert settings.CSRF_COOKIE_SAMESITE in ("Lax", "Strict")
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.CSRF_COOKIE_SECURE == settings.SESSION_COOKIE_SECURE
    response = client.get(reverse("login"))
    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] in ("Lax", "Strict")


def test_production_settings_make_cookies_secure():
    """Production (DEBUG off) defaults to secure cookies; tests/ops/test_deploy.py runs the
    full ``check --deploy``; here just the cookie flags that go with it."""
    import subprocess
    import sys

    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','innerclient.settings');"
        "django.setup(); from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "x" * 60,
        "INNERCLIENT_LINK_KEY": "l" * 43,
        "INNERCLIENT_RATER_KEY": "r" * 43,
        "DJANGO_ALLOWED_HOSTS": "example.test",
        "DATABASE_URL": "sqlite:///:memory:",
        "HOME": "/tmp",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "True", "True"]


@pytest.mark.parametrize(
    "password",
    ["short1", "password", "qwerty123", "1234567890123", "Password1"],
)
def test_password_validators_reject_short_and_common_passwords(password):
    user = User(username="olga@example.test", email="olga@example.test")
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user)


def test_password_similar_to_the_user_name_is_rejected():
    user = User(username="olga.petrova@example.test", email="olga.petrova@example.test")
    with pytest.raises(ValidationError):
        password_validation.validate_password("olga.petrova", user)


def test_temporary_passwords_pass_the_validators(org):
    coordinator = MembershipFactory(organization=org, role=Role.COORDINATOR).user
    for i in range(5):
        membership, password = member_add(
            actor=coordinator, organization=org, email=f"new{i}@example.test", role=Role.ANALYST
        )
        assert password and len(password) >= 12
        password_validation.validate_password(password, membership.user)
        assert membership.user.check_password(password)
        assert password not in membership.user.password  # stored hashed


def test_no_unvalidated_password_paths_exist():
    """Sign-up / password change / reset URLs do not exist; if one is added it must use
    Django's forms (which run the validators) — this test names the paths to look at."""
    names = set(_pattern_names())
    password_urls = {n for n in names if "password" in n or "signup" in n or "register" in n}
    assert password_urls == set(), f"check these for password validation: {password_urls}"


def test_sign_out_invalidates_the_session(make_member, org):
    user = make_member(org, Role.COORDINATOR)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert (
        browser.post(
            reverse("login"), {"username": user.username, "password": "pass-12345"}
        ).status_code
        == 302
    )
    session_key = browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=session_key).exists()
    assert browser.get(reverse("organization_list")).status_code == 200
    assert browser.get(reverse("logout")).status_code == 405  # sign-out is POST only
    assert browser.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()
    # Replaying the old cookie does not sign in again.
    replay = Client(HTTP_ACCEPT_LANGUAGE="en")
    replay.cookies[settings.SESSION_COOKIE_NAME] = session_key
    response = replay.get(reverse("organization_list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_sign_in_rotates_the_session_key(make_member, org):
    """Session fixation: the key a visitor had before signing in is not the one after."""
    user = make_member(org, Role.COORDINATOR)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    session = browser.session
    session["planted"] = "1"
    session.save()
    before = session.session_key
    browser.cookies[settings.SESSION_COOKIE_NAME] = before
    browser.post(reverse("login"), {"username": user.username, "password": "pass-12345"})
    assert browser.cookies[settings.SESSION_COOKIE_NAME].value != before


def _errors(response) -> list[str]:
    return [str(e) for e in response.context["form"].non_field_errors()] + [
        f"{k}:{v}" for k, v in response.context["form"].errors.items() if k != "__all__"
    ]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_sign_in_does_not_reveal_whether_a_user_exists(make_member, org, language):
    user = make_member(org, Role.COORDINATOR)
    browser = Client(HTTP_ACCEPT_LANGUAGE=language)
    unknown = browser.post(
        reverse("login"), {"username": "nobody@example.test", "password": "pass-12345"}
    )
    wrong = browser.post(reverse("login"), {"username": user.username, "password": "wrong-pass"})
    assert unknown.status_code == wrong.status_code == 200
    assert _errors(unknown) == _errors(wrong)
    assert _errors(unknown)  # there is a message
    # Inactive users get the same message as well.
    user.is_active = False
    user.save()
    inactive = browser.post(reverse("login"), {"username": user.username, "password": "pass-12345"})
    assert _errors(inactive) == _errors(wrong)
    # And the pages differ only by the echoed user name (and the per-request CSRF token).
    assert _without_tokens(unknown.text.replace("nobody@example.test", "")) == _without_tokens(
        wrong.text.replace(user.username, "")
    )


def _without_tokens(text: str) -> str:
    import re

    return re.sub(r"[A-Za-z0-9]{64}", "", text)  # masked CSRF tokens are 64 characters
