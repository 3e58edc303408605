import pytest
from django.urls import reverse

from innerclient.core.audit import audit_record
from innerclient.core.models import AuditEntry, Role
from tests.factories import MembershipFactory, OrganizationFactory


@pytest.mark.django_db
def test_switcher_lists_every_organization_of_the_user_with_its_role(client, make_member):
    first, second = OrganizationFactory(name="Альфа"), OrganizationFactory(name="Бета")
    user = make_member(first, Role.COORDINATOR)
    MembershipFactory(user=user, organization=second, role=Role.ANALYST)
    client.force_login(user)
    page = client.get(reverse("org:home", args=[first.slug])).content.decode()
    switcher = page[page.index('data-testid="org-switcher"') :]
    assert "Альфа" in switcher and "Бета" in switcher
    assert reverse("org:home", args=[second.slug]) in switcher


@pytest.mark.django_db
def test_user_with_one_organization_lands_in_it(client, org, make_member):
    client.force_login(make_member(org, Role.EMPLOYEE))
    response = client.get(reverse("home"))
    assert response.url == reverse("org:home", args=[org.slug])


@pytest.mark.django_db
def test_user_with_several_organizations_chooses(client, make_member):
    first, second = OrganizationFactory(), OrganizationFactory()
    user = make_member(first)
    MembershipFactory(user=user, organization=second, role=Role.HEAD)
    client.force_login(user)
    assert client.get(reverse("home")).url == reverse("organization_list")
    page = client.get(reverse("organization_list")).content.decode()
    assert first.name in page and second.name in page


@pytest.mark.django_db
def test_organization_slug_is_made_unique(coordinator_client):
    for _ in range(2):
        coordinator_client.post(reverse("organization_create"), {"name": "Same Name"})
    from innerclient.core.models import Organization

    assert set(Organization.objects.filter(name="Same Name").values_list("slug", flat=True)) == {
        "same-name",
        "same-name-2",
    }


@pytest.mark.django_db
def test_audit_log_shows_only_own_organization(coordinator_client, org, coordinator):
    other = OrganizationFactory()
    audit_record(organization=org, actor=coordinator, action="test.mine", changes={"x": [1, 2]})
    audit_record(organization=other, actor=None, action="test.theirs")
    page = coordinator_client.get(reverse("org:audit_log", args=[org.slug])).content.decode()
    assert "test.mine" in page
    assert "test.theirs" not in page
    filtered = coordinator_client.get(
        reverse("org:audit_log", args=[org.slug]), {"action": "nothing."}
    ).content.decode()
    assert "test.mine" not in filtered
    assert AuditEntry.objects.count() == 2


@pytest.mark.django_db
def test_sign_in_with_password(client, org, make_member):
    user = make_member(org, Role.ANALYST, password="correct-horse-9")
    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-9"}
    )
    assert response.status_code == 302
    client.logout()
    wrong = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert wrong.status_code == 200
    assert user.password.startswith("md5$")  # tests use a fast hasher; production uses argon2


def test_production_hasher_is_argon2():
    from django.conf import settings

    from innerclient import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.LANGUAGE_CODE == "ru"
