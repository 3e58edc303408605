"""The NinjaAPI instance: routers, authentication, error handlers and the docs page."""

from ninja import NinjaAPI

from innerclient.api.auth import TokenAuth
from innerclient.api.docs import LocalSwagger
from innerclient.api.endpoints import cycles, structure
from innerclient.api.endpoints import map as map_links
from innerclient.api.errors import install_handlers

DESCRIPTION = """\
The Inner Client REST API for integrators (HR systems, service desks, BI).

Send an organization's API token as `Authorization: Bearer <token>`; a coordinator creates
tokens on the organization's "API tokens" page. Every object is the token's organization's:
an id of another organization is a 404. Errors have one shape:
`{"error": {"code": "...", "message": "...", "details": [{"loc": [...], "message": "..."}]}}`.
Messages are in English. See docs/api.md for scopes, pagination and rate limits.
"""

api = NinjaAPI(
    title="Inner Client API",
    version="1",
    description=DESCRIPTION,
    auth=TokenAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=LocalSwagger(),
)
install_handlers(api)

api.add_router("/v1", structure.router)
api.add_router("/v1", map_links.router)
api.add_router("/v1", cycles.router)

# Action plans are another area's model; the endpoints appear only when it is installed.
try:
    from innerclient.api.endpoints import actions
except ImportError:  # pragma: no cover - innerclient.actions absent
    actions = None
if actions is not None:
    api.add_router("/v1", actions.router)
