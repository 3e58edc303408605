"""Request ids on responses and log records; JSON lines; rater links never logged."""

import io
import json
import logging
import uuid

import pytest
from django.urls import reverse

from innerclient.ops.logs import JsonFormatter, RequestContextFilter, TextFormatter
from innerclient.ops.rater_paths import is_link_attempt, redact_path, redact_text
from innerclient.surveys.tokens import link_token
from tests.ops.helpers import production_env, run_python

LINK_ID = "3f2b8c4e-5a6d-4e7f-8a9b-0c1d2e3f4a5b"


@pytest.fixture
def log_lines(settings):
    """Everything logged during the test, formatted by the production formatter."""
    settings.INNERCLIENT_ACCESS_LOG = True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.mark.django_db
def test_each_response_carries_a_generated_request_id(client):
    first = client.get(reverse("login"))
    second = client.get(reverse("login"))
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_a_safe_incoming_request_id_is_kept(client):
    response = client.get(reverse("login"), headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert response["X-Request-ID"] == "nginx-0123456789abcdef"


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["short", "x" * 65, "<script>alert(1)</script>", "a b c d e"])
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    response = client.get(reverse("login"), headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_every_log_record_of_a_request_carries_its_id(client, log_lines, monkeypatch):
    from innerclient.ops import views

    def noisy_checks():
        logging.getLogger("innerclient.somewhere").warning("inside the request")
        return "ok", {}

    monkeypatch.setattr(views.health, "run_checks", noisy_checks)
    response = client.get(reverse("health"), headers={"X-Request-ID": "req-abcdef123456"})
    lines = log_lines()
    inside = next(line for line in lines if line["message"] == "inside the request")
    assert inside["request_id"] == "req-abcdef123456" == response["X-Request-ID"]
    assert inside["method"] == "GET" and inside["path"] == "/healthz"
    assert inside["level"] == "WARNING" and inside["logger"] == "innerclient.somewhere"
    assert inside["time"].endswith("Z")


@pytest.mark.django_db
def test_the_access_line_has_status_and_duration(client, log_lines):
    response = client.get(reverse("login"))
    access = [line for line in log_lines() if line["logger"] == "innerclient.request"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == response["X-Request-ID"]
    assert line["status"] == 200 and line["method"] == "GET" and line["path"] == "/accounts/login/"
    assert isinstance(line["duration_ms"], float)
    assert set(line) == {
        "time", "level", "logger", "message", "request_id", "method", "path", "status",
        "duration_ms",
    }  # fmt: skip


@pytest.mark.django_db
def test_successful_health_checks_write_no_access_line(client, log_lines):
    assert client.get(reverse("health")).status_code == 200
    assert not [line for line in log_lines() if line["logger"] == "innerclient.request"]


@pytest.mark.django_db
def test_records_outside_a_request_have_no_request_fields(client, log_lines):
    client.get(reverse("login"))  # the context ends with the response
    logging.getLogger("innerclient.worker").info("task done")
    (line,) = [line for line in log_lines() if line["message"] == "task done"]
    assert line["request_id"] is None and line["path"] is None


@pytest.mark.django_db
def test_a_rater_link_is_redacted_in_every_log_line(client, log_lines):
    token = link_token(LINK_ID)
    bad = f"/r/{LINK_ID}/{token[:-3]}xyz/"  # a link one typo away from a real one
    assert client.get(bad).status_code == 404
    lines = log_lines()
    assert lines, "the 404 is logged"
    text = json.dumps(lines, ensure_ascii=False)
    assert LINK_ID not in text and token[:20] not in text
    access = next(line for line in lines if line["logger"] == "innerclient.request")
    assert access["path"] == "/r/…" and access["message"] == "GET /r/… 404"
    not_found = next(line for line in lines if line["logger"] == "django.request")
    assert not_found["message"] == "Not Found: /r/…" and not_found["status"] == 404
    assert not_found["request_id"] == access["request_id"] and not_found["path"] == "/r/…"


@pytest.mark.django_db
def test_token_free_rater_pages_are_logged_as_they_are(client, log_lines):
    client.get(reverse("rater:summary"))
    access = next(line for line in log_lines() if line["logger"] == "innerclient.request")
    assert access["path"] == "/r/summary/"


def test_only_the_personal_link_and_unknown_rater_paths_are_link_attempts():
    """Keeps rater_paths in step with innerclient/surveys/urls_rater.py and the rater's
    "what we changed" page under /r/changes/."""
    for name, args in [
        ("rater:home", []),
        ("rater:step", [3]),
        ("rater:autosave", [12]),
        ("rater:summary", []),
        ("rater:submit", []),
        ("rater:done", []),
        ("changes:for_rater", []),
    ]:
        assert not is_link_attempt(reverse(name, args=args)), name
    assert is_link_attempt(reverse("rater:start", args=[uuid.uuid4(), "tok"]))
    for odd in ["/r/x", "/r/step/", "/r/step/1", "/r/summary/extra/", "/r/done/../"]:
        assert is_link_attempt(odd), odd
    assert not is_link_attempt("/o/acme/cycles/")


def test_redaction_of_paths_and_text():
    link = f"/r/{LINK_ID}/abcdef/"
    assert redact_path(link) == "/r/…"
    assert redact_path(link + "?utm=1") == "/r/…"
    assert redact_path("/r/step/2/") == "/r/step/2/"
    assert redact_path("/o/acme/") == "/o/acme/"
    assert redact_text(f'"GET {link} HTTP/1.1" 302 0') == '"GET /r/… HTTP/1.1" 302 0'
    assert redact_text(f"see https://ic.example.com{link}.") == "see https://ic.example.com/r/…"
    assert redact_text("POST /r/submit/ 302") == "POST /r/submit/ 302"


def test_text_lines_carry_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("/r/a/b/",), None)
    RequestContextFilter().filter(record)
    assert TextFormatter().format(record).endswith("INFO x [-] hello /r/…")


def test_production_settings_write_json_lines_with_redacted_links(tmp_path):
    """The LOGGING of settings.py itself, in a child process with production settings."""
    env = production_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SECURE_COOKIES="0",
        INNERCLIENT_CACHE="locmem",
    )
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "from innerclient.surveys.tokens import link_token\n"
        f"token = link_token({LINK_ID!r})\n"
        f"response = Client().get(f'/r/{LINK_ID}/{{token}}/', "
        "headers={'X-Request-ID': 'probe-12345678'})\n"
        "print(response.status_code, token)\n"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    status, token = result.stdout.split()
    assert status == "302"  # the child's own valid link: the start view redirects
    # Python's own warnings (not log records) may come first on stderr.
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    access = next(line for line in lines if line["logger"] == "innerclient.request")
    assert access["path"] == "/r/…" and access["status"] == 302
    assert access["request_id"] == "probe-12345678"
    assert LINK_ID not in result.stderr and token not in result.stderr
