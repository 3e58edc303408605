"""Production settings pass ``check --deploy``; the plain-HTTP benchmark setup still works."""

import json

from tests.ops.helpers import production_env, run_manage, run_python

SETTINGS_PROBE = (
    "import json, django; django.setup()\n"
    "from django.conf import settings as s\n"
    "print(json.dumps({name: getattr(s, name, None) for name in [\n"
    "    'DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE',\n"
    "    'SECURE_HSTS_SECONDS', 'SESSION_COOKIE_AGE', 'CSRF_COOKIE_HTTPONLY',\n"
    "    'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', 'SECURE_PROXY_SSL_HEADER',\n"
    "    'INNERCLIENT_LOG_FORMAT', 'INNERCLIENT_CACHE', 'AUTH_PASSWORD_VALIDATORS']}))\n"
)


def _settings(env) -> dict:
    result = run_python(SETTINGS_PROBE, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_deploy_check_is_clean_with_production_environment(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_defaults_are_hardened(tmp_path):
    values = _settings(production_env(tmp_path))
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True and values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SESSION_COOKIE_AGE"] <= 24 * 3600
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["INNERCLIENT_LOG_FORMAT"] == "json"
    assert values["INNERCLIENT_CACHE"] == "database"
    assert len(values["AUTH_PASSWORD_VALIDATORS"]) == 4
    assert values["SECURE_PROXY_SSL_HEADER"] is None


def test_behind_nginx_the_forwarded_scheme_is_trusted(tmp_path):
    values = _settings(production_env(tmp_path, INNERCLIENT_TRUSTED_PROXIES="1"))
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_plain_http_benchmark_environment_serves_without_redirects(tmp_path):
    """benchmarks/rater_load.py runs DEBUG off over plain HTTP with DJANGO_SECURE_COOKIES=0."""
    env = production_env(
        tmp_path, DJANGO_SECURE_COOKIES="0", DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost"
    )
    values = _settings(env)
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_health_is_reachable_over_plain_http_even_with_the_https_redirect(tmp_path):
    env = production_env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_ALLOWED_HOSTS="testserver",
    )
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from django.test import Client\n"
        "client = Client()\n"
        "print(client.get('/healthz').status_code, client.get('/accounts/login/').status_code)\n"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["200", "301"]
