"""Access rules for the REST API (innerclient/api) and its token page.

The API authenticates with tokens, not sessions, so its patterns are PUBLIC_URLS for the
session matrix (an anonymous request gets a JSON 401, never a redirect to sign-in). Each API
endpoint is listed in ``tests/api/endpoints.py`` with the scope it needs;
tests/api/test_access.py runs every one of them without a token, with a revoked token, without
the scope and with another organization's token, and fails for an API pattern missing there.
"""

from tests.api.endpoints import API_ENDPOINTS, API_PUBLIC
from tests.test_access_matrix import COORD, Rule

ORG_RULES = {
    "org:api_tokens": Rule(COORD),
    "org:api_token_revoke": Rule(COORD, method="post", objects=(("pk", "api_token"),)),
}
PUBLIC_URLS = set(API_ENDPOINTS) | API_PUBLIC


def extend_world(world) -> dict:
    from innerclient.api.models import Scope
    from innerclient.api.services import api_token_create

    created = api_token_create(
        actor=world["membership"].user,
        organization=world["organization"],
        name="Matrix",
        scopes=[Scope.STRUCTURE_READ],
    )
    return {"api_token": created.token}
