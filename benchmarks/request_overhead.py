"""Micro-benchmark: what the operations layer costs per request, in process, no HTTP.

Production settings (``DJANGO_DEBUG=0``, JSON logs at INFO with the access line on, the
database cache), secure cookies off. For each backend (a SQLite file in a temporary directory;
PostgreSQL in a scratch database created and dropped here) the script builds the world of
benchmarks/rater_load.py (a few raters), then calls Django's WSGI handler in a loop, as
gunicorn does (``close()`` included, so ``request_started``/``request_finished`` fire), for:

- ``login``: ``GET /accounts/login/`` with the CSRF cookie a browser has after its first visit;
- ``step``: a rater's questionnaire page ``GET /r/step/1/`` (signed rater cookie);
- ``start``: the rater's personal link ``GET /r/<public_id>/<token>/``, the one rater path the
  link throttle looks at.

Each page runs under variants of the same process, interleaved round by round:

- ``as configured``: settings.MIDDLEWARE and LOGGING as production has them;
- ``access log off``: ``INNERCLIENT_ACCESS_LOG`` false (the request id stays);
- ``no ops middleware``: both middleware of innerclient/ops removed;
- ``no health check``: as configured, with ``CONN_HEALTH_CHECKS`` off on the connection.

Figures are app CPU microseconds per request (``time.process_time``), the best of the rounds:
on a shared machine other processes only ever add to it. Differences of a few tens of
microseconds between variants are within the noise of a busy machine, so a second table times
the operations layer's own pieces in isolation (``timeit`` on app CPU, best of 5; the
middleware there sees one request over and over, so the ~8 µs that building
``request.headers`` costs a fresh request is not in its figure). SQL statements per
request are counted with ``connection.execute_wrapper``, plus ``health-check`` for the check
of ``CONN_HEALTH_CHECKS`` (counted by wrapping ``is_usable``): a ``SELECT 1`` round trip on
PostgreSQL, no statement on SQLite. JSON lines go to /dev/null: the write to a real pipe is
not counted.

Usage::

    .venv/bin/python benchmarks/request_overhead.py [--db sqlite|postgres|both]
        [--requests 200] [--rounds 12] [--profile login|step|start]

``--profile`` prints the 40 most expensive functions of that page (cProfile, cumulative) under
the ``as configured`` variant instead of the tables. PostgreSQL: ``$BENCH_POSTGRES_URL``
(default ``postgres://postgres@127.0.0.1:5432``), database ``$BENCH_OVERHEAD_DB`` (default
``bench_request_overhead``); skipped when unreachable.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rater_load
from rater_load import ROOT, build_world, pg_admin_url, pg_database, postgres_reachable

# A private database: rater_load's pg_database reads the name at call time.
rater_load.PG_DATABASE = os.environ.get("BENCH_OVERHEAD_DB", "bench_request_overhead")
OPS_MIDDLEWARE = (
    "innerclient.ops.middleware.RequestIdMiddleware",
    "innerclient.ops.middleware.RaterLinkThrottleMiddleware",
)
PAGES = ("login", "step", "start")
VARIANTS = ("as configured", "access log off", "no ops middleware", "no health check")


# --- the WSGI loop --------------------------------------------------------------------------------


def _environ(path: str, cookies: dict[str, str]) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8001",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) request_overhead",
        "HTTP_ACCEPT": "text/html,application/xhtml+xml",
        "HTTP_ACCEPT_LANGUAGE": "ru",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        "HTTP_CONNECTION": "keep-alive",
        "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


class Caller:
    def __init__(self, handler):
        self.handler = handler

    def __call__(self, path: str, cookies: dict[str, str]) -> tuple[str, list]:
        box = {}

        def start_response(status, headers, exc_info=None):
            box["status"], box["headers"] = status, headers

        result = self.handler(_environ(path, cookies), start_response)
        try:
            b"".join(result)
        finally:
            result.close()  # request_finished, as gunicorn does
        return box["status"], box["headers"]


def _set_cookies(headers: list) -> dict[str, str]:
    cookies = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key] = rest.split(";", 1)[0]
    return cookies


def _handler(middleware: list[str]) -> Caller:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    with override_settings(MIDDLEWARE=middleware):
        return Caller(WSGIHandler())


def _best_us(fn, number: int = 20_000) -> float:
    """App CPU per call, like the table (a database round trip's wait is not counted)."""
    best = min(timeit.repeat(fn, timer=time.process_time, number=number, repeat=5))
    return best / number * 1e6


def _pieces(link: str) -> dict[str, float]:
    """The operations layer's own work per request, each part alone."""
    from django.core.signals import request_finished
    from django.db import connection
    from django.http import HttpResponse
    from django.test import RequestFactory, override_settings

    from innerclient.ops import middleware, throttle
    from innerclient.ops.rater_paths import redact_path

    factory = RequestFactory()
    response = HttpResponse(b"")
    request_id = middleware.RequestIdMiddleware(lambda request: response)
    link_throttle = middleware.RaterLinkThrottleMiddleware(lambda request: response)
    login = factory.get("/accounts/login/")
    key = throttle.client_key(factory.get(link))
    pieces = {}
    with override_settings(INNERCLIENT_ACCESS_LOG=True):
        pieces["RequestIdMiddleware, access line (JSON, INFO)"] = _best_us(
            lambda: request_id(login)
        )
    with override_settings(INNERCLIENT_ACCESS_LOG=False):
        pieces["RequestIdMiddleware, access line off"] = _best_us(lambda: request_id(login))
    pieces["RaterLinkThrottleMiddleware, not under /r/"] = _best_us(lambda: link_throttle(login))
    pieces["redact_path (not a link)"] = _best_us(lambda: redact_path("/accounts/login/"))
    pieces["request_finished receivers (all, Django's too)"] = _best_us(
        lambda: request_finished.send(sender=None)
    )
    attempt = factory.get(link)
    pieces["throttle: client key of a link attempt"] = _best_us(
        lambda: throttle.client_key(attempt), number=5_000
    )
    pieces["throttle: blocked_for (the cache read)"] = _best_us(
        lambda: throttle.blocked_for(key), number=2_000
    )
    connection.ensure_connection()
    pieces["CONN_HEALTH_CHECKS: is_usable()"] = _best_us(connection.is_usable, number=2_000)
    return pieces


def _health_checks(connection, enabled: bool) -> None:
    # Django reads the setting when it connects; the open connection keeps its own flag.
    connection.settings_dict["CONN_HEALTH_CHECKS"] = enabled
    connection.health_check_enabled = enabled


# --- one backend ----------------------------------------------------------------------------------


def run_backend(args) -> dict:
    backend = args.child
    scratch = Path(tempfile.mkdtemp(prefix=f"innerclient-overhead-{backend}-"))
    if backend == "postgres":
        database_url = pg_database("create")
    else:
        database_url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "INNERCLIENT_DATA_DIR": str(scratch),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "INNERCLIENT_LINK_KEY": secrets.token_urlsafe(32),
            "INNERCLIENT_RATER_KEY": secrets.token_urlsafe(32),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_LOG_LEVEL": "INFO",
            "INNERCLIENT_LOG_FORMAT": "json",
            "INNERCLIENT_ACCESS_LOG": "1",
            "DJANGO_SETTINGS_MODULE": "innerclient.settings",
        }
    )
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import override_settings

    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(devnull)
    try:
        call_command("migrate", verbosity=0)
        # DEBUG off serves {% static %} through the manifest (as in rater_load.py).
        call_command("collectstatic", verbosity=0, interactive=False)
        _cycle_id, plans = build_world(4)
        connections.close_all()

        full = _handler(list(settings.MIDDLEWARE))
        bare = _handler([m for m in settings.MIDDLEWARE if m not in OPS_MIDDLEWARE])
        link = plans[0]["url"]
        _status, headers = full("/accounts/login/", {})
        login_cookies = _set_cookies(headers)
        status, headers = full(link, {})
        assert status.startswith("302"), status
        requests = {
            "login": ("/accounts/login/", login_cookies, "200"),
            "step": ("/r/step/1/", _set_cookies(headers), "200"),
            "start": (link, {}, "302"),
        }

        def run(name: str, page: str, count: int) -> float:
            caller = bare if name == "no ops middleware" else full
            path, cookies, want = requests[page]
            _health_checks(connection, name != "no health check")
            with override_settings(INNERCLIENT_ACCESS_LOG=name != "access log off"):
                started = time.process_time()
                for _ in range(count):
                    status, _headers = caller(path, cookies)
                    if not status.startswith(want):
                        raise RuntimeError(f"{page} ({name}): {status}")
                return (time.process_time() - started) / count

        def statements(name: str, page: str) -> list[str]:
            caller = bare if name == "no ops middleware" else full
            path, cookies, want = requests[page]
            seen: list[str] = []

            def count(execute, sql, params, many, context):
                seen.append(sql.split()[0].upper())
                return execute(sql, params, many, context)

            wrapper = connections["default"]  # the object itself, not the thread's proxy

            def is_usable():
                seen.append("health-check")
                return type(wrapper).is_usable(wrapper)

            _health_checks(connection, name != "no health check")
            caller(path, cookies)  # an open connection, as in a running server
            wrapper.is_usable = is_usable
            try:
                with connection.execute_wrapper(count):
                    status, _headers = caller(path, cookies)
            finally:
                del wrapper.is_usable
            if not status.startswith(want):
                raise RuntimeError(f"{page} ({name}): {status}")
            return seen

        if args.profile:
            import cProfile
            import pstats

            run("as configured", args.profile, 50)
            profiler = cProfile.Profile()
            profiler.enable()
            run("as configured", args.profile, args.requests)
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
            stats.print_stats(40)
            stats.print_callees("middleware.py.*__call__")
            return {"backend": backend, "profile": out.getvalue()}

        for name in VARIANTS:  # warm-up: templates, catalogues, compiled queries
            for page in PAGES:
                run(name, page, 30)
        samples: dict[tuple[str, str], list[float]] = {}
        # Interleaved, so that a busy moment hits every variant; the order rotates each round,
        # because the first variant after a change of page runs with colder caches.
        for number in range(args.rounds):
            order = VARIANTS[number % len(VARIANTS) :] + VARIANTS[: number % len(VARIANTS)]
            for page in PAGES:
                for name in order:
                    samples.setdefault((page, name), []).append(run(name, page, args.requests))
        _health_checks(connection, True)
        return {
            "backend": backend,
            "cpu_us": {
                page: {name: min(samples[(page, name)]) * 1e6 for name in VARIANTS}
                for page in PAGES
            },
            "statements": {
                page: {name: statements(name, page) for name in VARIANTS} for page in PAGES
            },
            "pieces": _pieces(link),
        }
    finally:
        connections.close_all()
        if backend == "postgres":
            pg_database("drop")
        shutil.rmtree(scratch, ignore_errors=True)


# --- the parent -----------------------------------------------------------------------------------


def report(result: dict) -> None:
    print(f"\n{result['backend']}")
    if "profile" in result:
        print(result["profile"])
        return
    width = max(len(v) for v in VARIANTS)
    print(f"  {'app CPU µs/request':<{width}}  " + "  ".join(f"{p:>7}" for p in PAGES))
    for name in VARIANTS:
        cells = "  ".join(f"{result['cpu_us'][p][name]:>7.0f}" for p in PAGES)
        print(f"  {name:<{width}}  {cells}")
    print("  SQL statements per request: as configured | no ops middleware | no health check")
    for page in PAGES:
        found = result["statements"][page]
        cells = [
            " ".join(found[name]) or "none"
            for name in ("as configured", "no ops middleware", "no health check")
        ]
        print(f"    {page:<6} {' | '.join(cells)}")
    print("  The operations layer's pieces, app CPU µs each")
    width = max(len(name) for name in result["pieces"])
    for name, value in result["pieces"].items():
        print(f"    {name:<{width}}  {value:7.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=200, help="requests per page and round")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--profile", choices=PAGES)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.result.write_text(json.dumps(run_backend(args)))
        return 0

    backends = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in backends and not postgres_reachable():
        print(f"PostgreSQL at {pg_admin_url()} is unreachable: skipped", file=sys.stderr)
        backends.remove("postgres")
    for backend in backends:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, *sys.argv[1:], "--child", backend]
            subprocess.run([*command, "--result", out.name], check=True)
            report(json.loads(Path(out.name).read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
