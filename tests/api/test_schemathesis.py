"""schemathesis against /api/openapi.json, in-process through the WSGI app.

Every operation gets a bounded number of generated requests carrying a valid token (every
scope) of a seeded organization; no response may be a 5xx, and every response must match the
schema: status code, content type and body. (schemathesis' own pytest plugin does not work
with this pytest, so each operation is one parametrized test driving hypothesis directly.)
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from innerclient.api.api import api
from tests.api.conftest import make_token

EXAMPLES = 15
# Path parameters filled with the seeded organization's real ids in about half the examples,
# so the generated requests reach the services, not only the 404 branch.
REAL_IDS = {
    "department_id": "department",
    "person_id": "person",
    "action_id": "action",
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
OPERATIONS = sorted(
    (path, method.upper())
    for path, methods in api.get_openapi_schema(path_prefix="/api/")["paths"].items()
    for method in methods
)


_schema = None


@pytest.fixture
def _keep_test_connection():
    """The raw WSGI handler closes "old" connections at each request's start and end, which
    on PostgreSQL closes the test's transaction; Django's test client disconnects the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _loaded_schema():
    global _schema
    if _schema is None:
        _schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    return _schema


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
@pytest.mark.usefixtures("_keep_test_connection")
def test_api_conforms_to_its_schema(world, settings, path, method):
    settings.INNERCLIENT_API_RATE_LIMIT = 0  # hundreds of requests in a few seconds
    headers = {"Authorization": f"Bearer {make_token(world['organization'])}"}
    operation = _loaded_schema()[path][method]
    real_ids = {key: world[name].pk for key, name in REAL_IDS.items()}
    # Transitions get the draft cycle (open → close → publish can happen), reads the published.
    real_ids["cycle_id"] = world["draft_cycle" if path.endswith("/transition") else "cycle"].pk

    @given(case=operation.as_strategy(), real=st.booleans())
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case, real):
        if real and case.path_parameters:
            case.path_parameters = {k: real_ids.get(k, v) for k, v in case.path_parameters.items()}
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
