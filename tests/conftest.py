import os

import pytest
from django.test import Client
from django.utils import translation

# Playwright's sync API runs an event loop in the test thread; Django's async guard
# would otherwise refuse ORM calls made by live_server tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _english_messages():
    """Tests read English messages; Russian is checked where a test asks for it by name."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """A browser whose preferred language is English (the interface default is Russian)."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def russian_client():
    """A browser that states no language preference: it gets the default, Russian."""
    return Client()


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ru-RU"}


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    from django.core.cache import cache

    cache.clear()  # counters (rater link attempts, API rate) must not leak between tests
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def org(db):
    from tests.factories import OrganizationFactory

    return OrganizationFactory()


@pytest.fixture
def make_member(db):
    """make_member(org, role) -> User with that role in that organization."""
    from tests.factories import MembershipFactory

    def make(organization, role="coordinator", department=None, password="pass-12345"):
        membership = MembershipFactory(organization=organization, role=role, department=department)
        membership.user.set_password(password)
        membership.user.save()
        return membership.user

    return make


@pytest.fixture
def coordinator(org, make_member):
    return make_member(org, "coordinator")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client
