"""Rate limits and the one error shape, and the docs page that loads nothing from a CDN."""

import re

from innerclient.api.endpoints import map as map_endpoints
from tests.api.conftest import bearer, make_token


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and isinstance(body["error"]["details"], list)
    return body["error"]


def test_over_the_rate_limit_is_a_429_with_retry_after(settings, org):
    settings.INNERCLIENT_API_RATE_LIMIT = 3
    client = bearer(make_token(org))
    for _ in range(3):
        assert client.get("/api/v1/organization").status_code == 200
    response = client.get("/api/v1/organization")
    _error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # The limit is per token: another token of the same organization is not affected.
    assert bearer(make_token(org)).get("/api/v1/organization").status_code == 200


def test_rate_limit_zero_turns_it_off(settings, org):
    settings.INNERCLIENT_API_RATE_LIMIT = 0
    client = bearer(make_token(org))
    assert all(client.get("/api/v1/organization").status_code == 200 for _ in range(5))


def test_an_unexpected_error_is_a_500_in_the_error_shape(api, world, monkeypatch):
    def broken(link):
        raise RuntimeError("boom")

    monkeypatch.setattr(map_endpoints, "link_data", broken)
    error = _error(api.get("/api/v1/map/links"), 500, "server_error")
    assert "boom" not in error["message"]


def test_wrong_method_is_a_405_in_the_error_shape(api, world):
    response = api.delete("/api/v1/departments")
    _error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_unknown_paths_are_json_404s(api, world):
    _error(api.get("/api/v1/nothing"), 404, "not_found")
    _error(api.get("/api/v1/departments/"), 404, "not_found")  # no slash redirect
    _error(api.get("/api/"), 404, "not_found")


def test_ids_beyond_64_bits_are_refused_before_the_database(api, world):
    _error(api.get(f"/api/v1/departments/{2**70}"), 422, "validation_error")


def test_control_characters_are_refused(api, world):
    response = api.post(
        "/api/v1/departments/upsert",
        '{"items": [{"code": "A\\u0000", "name_ru": "x"}]}',
        content_type="application/json",
    )
    error = _error(response, 422, "validation_error")
    assert error["details"][0]["loc"] == ["body", "items", 0, "code"]


def test_messages_are_english_whatever_the_browser_asks(org):
    client = bearer(make_token(org))
    response = client.get("/api/v1/departments?limit=0", HTTP_ACCEPT_LANGUAGE="ru")
    assert re.search("[а-яА-Я]", response.content.decode()) is None


def test_docs_page_loads_nothing_from_another_host(client, db):
    html = client.get("/api/docs").content.decode()
    assert "//" not in re.sub(r"<script id=\"swagger-settings\".*?</script>", "", html, flags=re.S)
    assert '"validatorUrl": null' in html
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert src.startswith("/api/docs/assets/")
        assert client.get(src).status_code == 200
    assert client.get("/api/docs/assets/../settings.py").status_code == 404


def test_schema_documents_the_error_shape_and_bearer_auth(client, db):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "ErrorOut" in schema["components"]["schemas"]
    operation = schema["paths"]["/api/v1/departments"]["get"]
    assert {"401", "403", "422", "429"} <= set(operation["responses"])
    [scheme] = schema["components"]["securitySchemes"].values()
    assert scheme["scheme"] == "bearer"
