"""The coordinator's token page: the secret is shown once, only its hash is stored."""

import hashlib

import pytest
from django.urls import reverse

from innerclient.api.models import ApiToken, Scope
from innerclient.api.services import api_token_create
from innerclient.core.models import AuditEntry
from tests.api.conftest import bearer, make_token


@pytest.fixture
def page(org):
    return reverse("org:api_tokens", kwargs={"org_slug": org.slug})


def test_coordinator_creates_a_token_and_sees_the_secret_once(coordinator_client, org, page):
    response = coordinator_client.post(
        page, {"name": "HR sync", "scopes": [Scope.STRUCTURE_READ, Scope.STRUCTURE_WRITE]}
    )
    assert response.status_code == 200
    secret = response.context["created"].secret
    assert secret.startswith("ic_")
    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(organization=org)
    assert token.scopes == [Scope.STRUCTURE_READ, Scope.STRUCTURE_WRITE]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[: len(token.prefix)] and len(token.prefix) < 16
    # The secret is stored nowhere: not in the token row, not in the session.
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    from django.contrib.sessions.models import Session

    assert all(secret not in str(s.get_decoded()) for s in Session.objects.all())
    listing = coordinator_client.get(page).content.decode()
    assert token.prefix in listing and secret not in listing


def test_creating_a_token_is_audited(coordinator_client, org, page):
    coordinator_client.post(page, {"name": "BI", "scopes": [Scope.RESULTS_READ]})
    entry = AuditEntry.objects.get(organization=org, action="api_token.create")
    assert entry.changes["scopes"] == [Scope.RESULTS_READ]
    assert "ic_" in entry.changes["prefix"]


def test_a_token_needs_a_name_and_a_scope(coordinator_client, org, page):
    response = coordinator_client.post(page, {"name": "", "scopes": []})
    assert response.status_code == 200
    assert response.context["created"] is None
    assert response.context["form"].errors.keys() == {"name", "scopes"}
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_and_is_audited(coordinator_client, coordinator, org):
    created = api_token_create(
        actor=coordinator, organization=org, name="Old", scopes=[Scope.STRUCTURE_READ]
    )
    client = bearer(created.secret)
    assert client.get("/api/v1/departments").status_code == 200
    url = reverse("org:api_token_revoke", kwargs={"org_slug": org.slug, "pk": created.token.pk})
    assert coordinator_client.post(url).status_code == 302
    created.token.refresh_from_db()
    assert created.token.revoked_at is not None
    assert client.get("/api/v1/departments").status_code == 401
    assert AuditEntry.objects.filter(action="api_token.revoke", organization=org).count() == 1
    coordinator_client.post(url)  # twice: nothing more happens
    assert AuditEntry.objects.filter(action="api_token.revoke", organization=org).count() == 1


def test_using_a_token_records_when_it_was_last_used(org):
    client = bearer(make_token(org))
    assert ApiToken.objects.get().last_used_at is None
    client.get("/api/v1/organization")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    client.get("/api/v1/organization")  # within a minute: no second write
    assert ApiToken.objects.get().last_used_at == first


def test_organization_endpoint_names_the_token_and_its_scopes(org):
    client = bearer(make_token(org, scopes=[Scope.MAP_READ]))
    body = client.get("/api/v1/organization").json()
    assert body["slug"] == org.slug
    assert body["token"]["scopes"] == [Scope.MAP_READ]
