"""Every API endpoint: no token, revoked token, missing scope, another organization's token."""

import json

import pytest
from django.urls import reverse

from innerclient.api.models import ApiToken, Scope
from innerclient.api.services import api_token_revoke
from innerclient.core.models import Membership, Role
from tests.api.conftest import bearer, make_token
from tests.api.endpoints import API_ENDPOINTS, API_PUBLIC
from tests.factories import MembershipFactory
from tests.test_access_matrix import _pattern_names


def _url(name, endpoint, world):
    return reverse(name, kwargs={key: world[obj].pk for key, obj in endpoint.objects})


def _call(client, name, world):
    endpoint = API_ENDPOINTS[name]
    url = _url(name, endpoint, world)
    if endpoint.method == "post":
        return client.post(url, json.dumps(endpoint.body or {}), content_type="application/json")
    return client.get(url)


def _assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    if code:
        assert body["error"]["code"] == code


def test_every_api_pattern_is_listed():
    names = {n for n in _pattern_names() if n.startswith("api:") or n.startswith("api_")}
    assert names == set(API_ENDPOINTS) | API_PUBLIC


@pytest.mark.parametrize("name", sorted(API_ENDPOINTS))
def test_no_token_is_401(client, world, name):
    response = _call(client, name, world)
    _assert_error(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("name", sorted(API_ENDPOINTS))
def test_revoked_token_is_401(world, name):
    secret = make_token(world["organization"])
    token = ApiToken.objects.get(organization=world["organization"])
    api_token_revoke(actor=token.created_by, token=token)
    _assert_error(_call(bearer(secret), name, world), 401, "unauthorized")


@pytest.mark.parametrize("name", sorted(n for n, e in API_ENDPOINTS.items() if e.scope))
def test_token_without_the_scope_is_403(world, name):
    scope = API_ENDPOINTS[name].scope
    secret = make_token(world["organization"], scopes=[s for s in Scope.values if s != scope])
    _assert_error(_call(bearer(secret), name, world), 403, "missing_scope")


@pytest.mark.parametrize("name", sorted(n for n, e in API_ENDPOINTS.items() if e.objects))
def test_another_organizations_token_gets_404_on_these_objects(world, other_world, name):
    secret = make_token(other_world["organization"])
    _assert_error(_call(bearer(secret), name, world), 404, "not_found")


@pytest.mark.parametrize("name", sorted(API_ENDPOINTS))
def test_a_token_with_the_scope_gets_through(api, world, name):
    response = _call(api, name, world)
    assert response.status_code not in (401, 403, 404), response.content
    assert response.status_code < 500


def test_unknown_token_is_401(client, world):
    response = client.get("/api/v1/departments", HTTP_AUTHORIZATION="Bearer ic_not-a-token")
    _assert_error(response, 401, "unauthorized")


def test_a_session_does_not_open_the_api(client, world):
    """Signing in to the site is not an API credential (and no CSRF hole opens)."""
    client.force_login(
        MembershipFactory(organization=world["organization"], role=Role.COORDINATOR).user
    )
    _assert_error(client.get("/api/v1/departments"), 401)


def test_token_stops_working_when_its_creator_is_no_longer_coordinator(world):
    secret = make_token(world["organization"])
    client = bearer(secret)
    assert client.get("/api/v1/organization").status_code == 200
    token = ApiToken.objects.get(organization=world["organization"])
    Membership.objects.filter(user=token.created_by).update(role=Role.ANALYST)
    _assert_error(client.get("/api/v1/organization"), 401)


def test_token_of_an_inactive_organization_is_401(world):
    client = bearer(make_token(world["organization"]))
    world["organization"].is_active = False
    world["organization"].save()
    _assert_error(client.get("/api/v1/organization"), 401)


def test_schema_and_docs_are_public(client, db):
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/docs").status_code == 200
