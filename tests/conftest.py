import os

import pytest

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
def _test_settings(settings, tmp_path):
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
