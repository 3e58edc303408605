"""Every REST API endpoint with the scope it needs (tests/api/test_access.py runs them all).

Kept apart from tests/access_rules/api.py, which imports it: that module imports the access
matrix, and the matrix imports it back while loading, so nothing else should import it first.
"""

from dataclasses import dataclass

from innerclient.api.models import Scope


@dataclass(frozen=True)
class Endpoint:
    method: str
    scope: str | None  # None: any valid token of the organization
    # URL kwarg -> name of an object of the API test world (tests/api/conftest.py).
    objects: tuple[tuple[str, str], ...] = ()
    body: dict | None = None  # a valid JSON body for a POST


API_ENDPOINTS: dict[str, Endpoint] = {
    "api:organization": Endpoint("get", None),
    "api:department_list": Endpoint("get", Scope.STRUCTURE_READ),
    "api:department_detail": Endpoint(
        "get", Scope.STRUCTURE_READ, objects=(("department_id", "department"),)
    ),
    "api:department_upsert": Endpoint(
        "post", Scope.STRUCTURE_WRITE, body={"items": [{"code": "NEW", "name_ru": "Новый"}]}
    ),
    "api:person_list": Endpoint("get", Scope.STRUCTURE_READ),
    "api:person_detail": Endpoint("get", Scope.STRUCTURE_READ, objects=(("person_id", "person"),)),
    "api:person_upsert": Endpoint(
        "post",
        Scope.STRUCTURE_WRITE,
        body={
            "items": [{"email": "new@example.test", "full_name": "Новый", "department_code": "A"}]
        },
    ),
    "api:link_list": Endpoint("get", Scope.MAP_READ),
    "api:cycle_list": Endpoint("get", Scope.CYCLES_READ),
    "api:cycle_detail": Endpoint("get", Scope.CYCLES_READ, objects=(("cycle_id", "cycle"),)),
    "api:cycle_transition": Endpoint(
        "post", Scope.CYCLES_WRITE, objects=(("cycle_id", "draft_cycle"),), body={"to": "open"}
    ),
    "api:cycle_response_rates": Endpoint(
        "get", Scope.CYCLES_READ, objects=(("cycle_id", "cycle"),)
    ),
    "api:cycle_results": Endpoint("get", Scope.RESULTS_READ, objects=(("cycle_id", "cycle"),)),
    "api:action_plan_list": Endpoint("get", Scope.ACTIONS_READ),
    "api:action_plan_detail": Endpoint(
        "get", Scope.ACTIONS_READ, objects=(("action_id", "action"),)
    ),
}
# The schema, the docs page and its assets are public; /api/ itself is a JSON 404.
API_PUBLIC = {"api:openapi-json", "api:openapi-view", "api:api-root", "api_docs_asset"}
