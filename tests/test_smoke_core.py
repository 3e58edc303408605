import pytest
from django.urls import reverse

from innerclient.core.models import AuditEntry, Membership, Role


@pytest.mark.django_db
def test_sign_in_page_renders_in_russian_by_default(russian_client):
    response = russian_client.get(reverse("login"))
    assert response.status_code == 200
    assert 'lang="ru"' in response.content.decode()
    assert "Войти" in response.content.decode()


@pytest.mark.django_db
def test_coordinator_creates_organization_and_becomes_its_coordinator(
    coordinator_client, coordinator
):
    response = coordinator_client.post(
        reverse("organization_create"), {"name": "ООО Ромашка", "slug": "romashka"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=coordinator, organization__slug="romashka")
    assert membership.role == Role.COORDINATOR
    assert AuditEntry.objects.filter(
        organization=membership.organization, action="organization.create"
    ).exists()
