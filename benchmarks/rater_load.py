"""Benchmark: many concurrent raters answering and submitting through the real server.

For each database backend (SQLite file in a temporary directory, and PostgreSQL in a private
database ``bench_rater`` created and dropped here) the script:

1. migrates a scratch database and creates an organization with 40 departments, a cycle opened
   with the default criteria set (8 criteria, scale 1-5) and ``--raters`` invitations, each
   asking its person to rate 3 provider departments;
2. starts gunicorn (``--workers`` x ``--threads``, DEBUG off) on a free loopback port;
3. hammers the sign-in page (``GET /accounts/login/``, no database query) with ``--concurrency``
   clients — half the requests before the raters, half after — as the trivial baseline;
4. lets ``--concurrency`` clients play every rater end to end, like a browser without
   JavaScript: the personal link (sets the cookie), the home page, for each step the form page
   and its POST (fields and CSRF token read from the page), the summary, the submit POST (a
   302 to ``/r/done/`` is the acknowledgment) and the done page. A fraction of raters
   (``--race``) also autosaves the first step concurrently with its POST and double-submits
   from a second connection at the same moment;
5. stops the server and checks the database: every acknowledged (rater, provider) is stored
   as one submitted response, exactly once, with the scores that were posted, and the
   rater's requests created no session rows.

Usage::

    .venv/bin/python benchmarks/rater_load.py [--db sqlite|postgres|both] [--raters 240]
        [--concurrency 16] [--workers 3] [--threads 2] [--conn-max-age SECONDS]

PostgreSQL: ``$BENCH_POSTGRES_URL`` (default ``postgres://postgres@127.0.0.1:5432``); the
backend is skipped when it is unreachable. Goal (issue 3): the questionnaire's request rate at
least 0.5x the trivial endpoint's on the same server in the same run, and nothing lost or
duplicated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PG_DATABASE = "bench_rater"
DEPARTMENTS = 40
PROVIDERS_PER_RATER = 3
TRIVIAL_CAP_SECONDS = 20  # per half of the trivial phase

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SCORE_RE = re.compile(r'name="score-(\d+)"')
OPEN_RE = re.compile(r'name="open-(\d+)"')


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# --- statistics -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100), in milliseconds; None when there is no sample."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1] * 1000


def latency(values: list[float]) -> dict:
    return {f"p{q}": percentile(values, q) for q in (50, 95, 99)} | {"n": len(values)}


# --- the load -------------------------------------------------------------------------------------


class Unexpected(Exception):
    """A response other than the one a browser would get on the happy path."""

    def __init__(self, what: str, status: int, detail: str = ""):
        super().__init__(f"{what}: HTTP {status} {detail}".strip())
        self.what = what
        self.status = status


class Worker:
    """One client thread: its own connections (keep-alive), samples and errors."""

    def __init__(self, base_url: str):
        import httpx

        self.httpx = httpx
        self.base_url = base_url
        self.client = self._client()
        self.twin = None  # a second connection for the concurrent-double-request raters
        self.samples: dict[str, list[float]] = {}
        self.errors: Counter = Counter()
        self.error_examples: list[str] = []
        self.acked: list[dict] = []
        self.requests = 0

    def _client(self):
        return self.httpx.Client(
            base_url=self.base_url,
            timeout=60,
            follow_redirects=False,
            headers={"Accept-Language": "ru"},
        )

    def close(self) -> None:
        self.client.close()
        if self.twin is not None:
            self.twin.close()

    def request(self, kind: str, method: str, url: str, client=None, **kwargs):
        client = client or self.client
        start = time.perf_counter()
        try:
            response = client.request(method, url, **kwargs)
        except self.httpx.HTTPError as error:
            raise Unexpected(kind, 0, type(error).__name__) from error
        finally:
            self.requests += 1
        self.samples.setdefault(kind, []).append(time.perf_counter() - start)
        return response

    def expect(self, response, kind: str, status: int, location: str | None = None):
        if response.status_code != status or (
            location is not None and response.headers.get("location") != location
        ):
            detail = response.headers.get("location", "") if response.is_redirect else ""
            raise Unexpected(kind, response.status_code, detail)
        return response

    def fail(self, error: Exception) -> None:
        key = f"{error.what} {error.status}" if isinstance(error, Unexpected) else repr(error)
        self.errors[key] += 1
        if len(self.error_examples) < 5:
            self.error_examples.append(str(error)[:200])

    # the trivial endpoint

    def trivial(self, counter: Counter, lock: threading.Lock, total: int, deadline: float):
        while time.monotonic() < deadline:
            with lock:
                if counter["trivial"] >= total:
                    return
                counter["trivial"] += 1
            try:
                response = self.request("trivial", "GET", "/accounts/login/")
                self.expect(response, "trivial", 200)
            except Unexpected as error:
                self.fail(error)

    # one rater, end to end

    def _twin_with_cookies(self):
        # A fresh connection each time: an idle keep-alive one may be closed by the server
        # just as the POST goes out (httpx does not retry a POST), which would be our error.
        if self.twin is not None:
            self.twin.close()
        self.twin = self._client()
        for cookie in self.client.cookies.jar:
            self.twin.cookies.jar.set_cookie(cookie)
        return self.twin

    def _concurrently(self, main, other):
        """Run ``other`` in a helper thread while ``main`` runs here; both results."""
        box: dict = {}

        def run():
            try:
                box["result"] = other()
            except Exception as error:  # reported below, like the main request's
                box["error"] = error

        helper = threading.Thread(target=run)
        helper.start()
        try:
            result = main()
        finally:
            helper.join()
        if "error" in box:
            raise box["error"]
        return result, box["result"]

    def answers(self, rng: random.Random, page: str) -> tuple[dict, dict]:
        """The form data a rater posts for one step, and what should be stored."""
        criteria = sorted({int(pk) for pk in SCORE_RE.findall(page)})
        questions = sorted({int(pk) for pk in OPEN_RE.findall(page)})
        csrf = CSRF_RE.search(page)
        if not criteria or csrf is None:
            raise Unexpected("step_form", 200, "no criteria or CSRF token on the page")
        data = {"csrfmiddlewaretoken": csrf.group(1), "action": "next"}
        if rng.random() < 0.05:
            data["did_not_interact"] = "1"
            return data, {"dni": True, "scores": {}}
        scores = {}
        for pk in criteria:
            score = rng.choices([1, 2, 3, 4, 5], weights=[4, 8, 25, 38, 25])[0]
            scores[pk] = score
            data[f"score-{pk}"] = str(score)
            if score <= 2:  # the cycle's default: a score of 2 or lower needs a comment
                data[f"comment-{pk}"] = "Ответ пришёл через две недели."
        for pk in questions:
            if rng.random() < 0.3:
                data[f"open-{pk}"] = "Отвечать быстрее."
        return data, {"dni": False, "scores": scores}

    def rater(self, rater: dict, race: bool) -> None:
        rng = random.Random(rater["index"])
        self.client.cookies.clear()
        response = self.request("start", "GET", rater["url"])
        self.expect(response, "start", 302, "/r/")
        self.expect(self.request("home", "GET", "/r/"), "home", 200)
        steps = rater["steps"]
        posted = {}
        for number in range(1, steps + 1):
            page = self.request("step_get", "GET", f"/r/step/{number}/")
            self.expect(page, "step_get", 200)
            data, expected = self.answers(rng, page.text)
            target = f"/r/step/{number + 1}/" if number < steps else "/r/summary/"
            post = lambda c=self.client, n=number, d=data: self.request(  # noqa: E731
                "step_post", "POST", f"/r/step/{n}/", client=c, data=d
            )
            if race and number == 1:
                twin = self._twin_with_cookies()
                autosave = lambda d=data, t=twin: self.request(  # noqa: E731
                    "autosave",
                    "POST",
                    "/r/step/1/autosave/",
                    client=t,
                    data=d,
                    headers={"HX-Request": "true"},
                )
                response, saved = self._concurrently(post, autosave)
                self.expect(saved, "autosave", 200)
            else:
                response = post()
            self.expect(response, "step_post", 302, target)
            posted[number] = expected
        summary = self.request("summary", "GET", "/r/summary/")
        self.expect(summary, "summary", 200)
        csrf = CSRF_RE.search(summary.text)
        if csrf is None:
            raise Unexpected("summary", 200, "no CSRF token")
        form = {"csrfmiddlewaretoken": csrf.group(1)}
        submit = lambda c=self.client: self.request(  # noqa: E731
            "submit", "POST", "/r/submit/", client=c, data=form
        )
        if race:
            twin = self._twin_with_cookies()
            response, second = self._concurrently(submit, lambda: submit(twin))
            self.expect(second, "submit", 302, "/r/done/")
        else:
            response = submit()
        self.expect(response, "submit", 302, "/r/done/")
        # Acknowledged: the server answered "accepted". What follows is the browser's courtesy.
        self.acked.append({"index": rater["index"], "steps": posted})
        self.expect(self.request("done", "GET", "/r/done/"), "done", 200)

    def raters(self, queue: list[dict], lock: threading.Lock, deadline: float, race_every: int):
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                rater = queue.pop()
            race = race_every > 0 and rater["index"] % race_every == 0
            try:
                self.rater(rater, race)
            except Unexpected as error:
                self.fail(error)


def run_threads(workers: list[Worker], target, *args) -> float:
    threads = [threading.Thread(target=getattr(w, target), args=args) for w in workers]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def merge(workers: list[Worker], kinds: list[str]) -> list[float]:
    return [s for w in workers for kind in kinds for s in w.samples.get(kind, [])]


# --- CPU accounting (Linux /proc): where a request's time goes, independent of wall noise ------


def _proc_stats():
    """(command line, process group, own CPU s, reaped children's CPU s) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[2] is the process group; [11..14] utime, stime, cutime, cstime in ticks.
        own = (int(fields[11]) + int(fields[12])) / tick
        children = (int(fields[13]) + int(fields[14])) / tick
        yield cmdline, int(fields[2]), own, children


def cpu_snapshot(server_pgid: int) -> dict[str, float]:
    """CPU seconds used so far by the app server (gunicorn's process group) and by PostgreSQL
    on behalf of the benchmark: live backends of its database, plus the postmaster's reaped
    children (backends exit after each request when connections are not persistent; this
    part also counts other databases' exited backends, if any)."""
    totals = {"app": 0.0, "db": 0.0, "client": time.process_time()}
    for cmdline, group, own, children in _proc_stats():
        if group == server_pgid:
            totals["app"] += own + children
        elif cmdline.startswith("postgres:") and f" {PG_DATABASE} " in cmdline:
            totals["db"] += own
        elif "bin/postgres " in cmdline:  # the postmaster
            totals["db"] += children
    return totals


def cpu_delta(before: dict, after: dict) -> dict[str, float]:
    return {key: after[key] - before[key] for key in before}


# --- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_start(
    args, scratch: Path, env: dict, port: int | None = None, wait: float = 120
) -> tuple[subprocess.Popen, str, Path]:
    port = port or free_port()  # crash_test.py restarts the server on the same port
    errors = scratch / "gunicorn.log"
    command = [
        str(GUNICORN),
        "innerclient.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={args.workers}",
        f"--worker-class={args.worker_class}",
        f"--threads={args.threads}",
        "--timeout=60",
        f"--error-logfile={errors}",
        "--log-level=warning",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopped as a whole, by its id
    )
    base_url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + wait
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: {errors.read_text()}")
        try:
            if httpx.get(f"{base_url}/accounts/login/", timeout=2).status_code == 200:
                return process, base_url, errors
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server_stop(process)
            raise RuntimeError(f"gunicorn did not answer within {wait:.0f} s")
        time.sleep(0.2)


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- one backend (runs in a child process: Django settings are fixed at start-up) ----------------


def pg_admin_url() -> str:
    url = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
        "TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"
    )
    parts = urlsplit(url)
    return parts._replace(path="/postgres").geturl()


def pg_database(action: str) -> str:
    import psycopg

    admin = pg_admin_url()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        if action == "create":
            connection.execute(f"CREATE DATABASE {PG_DATABASE}")
    return urlsplit(admin)._replace(path=f"/{PG_DATABASE}").geturl()


def build_world(raters: int) -> tuple[int, list[dict]]:
    """Organization, departments, people, an open cycle and its invitations; the links."""
    from innerclient.core.models import Organization
    from innerclient.org.models import Department, Person
    from innerclient.surveys.criteria import criteria_set_create
    from innerclient.surveys.models import Assignment, Cycle, Invitation, RaterKind
    from innerclient.surveys.questionnaire import invitation_url
    from innerclient.surveys.services.cycles import cycle_open

    rng = random.Random(2027)
    organization = Organization.objects.create(name="Нагрузочная компания", slug="bench")
    departments = Department.objects.bulk_create(
        Department(
            organization=organization,
            code=f"D{i:02d}",
            name_ru=f"Подразделение {i}",
            name_en=f"Department {i}",
        )
        for i in range(DEPARTMENTS)
    )
    people = Person.objects.bulk_create(
        Person(
            organization=organization,
            full_name=f"Оценщик Номер {i}",
            email=f"rater{i}@bench.test",
            department=departments[i % DEPARTMENTS],
            language="en" if i % 5 == 0 else "ru",
        )
        for i in range(raters)
    )
    criteria_set = criteria_set_create(
        actor=None, organization=organization, name="Стандартные критерии"
    )
    cycle = Cycle.objects.create(
        organization=organization, name="2027 Q1", criteria_set=criteria_set
    )
    invitations = Invitation.objects.bulk_create(Invitation(cycle=cycle, person=p) for p in people)
    assignments = []
    plans = []
    for index, (person, invitation) in enumerate(zip(people, invitations, strict=True)):
        others = [d for d in departments if d.pk != person.department_id]
        providers = rng.sample(others, PROVIDERS_PER_RATER)
        assignments += [
            Assignment(invitation=invitation, provider=p, kind=RaterKind.EMPLOYEE)
            for p in providers
        ]
        # Steps are ordered by provider code (questionnaire.rater_load).
        ordered = sorted(providers, key=lambda d: (d.code, d.pk))
        plans.append(
            {"index": index, "url": invitation_url(invitation), "steps": len(ordered)}
            | {"providers": [d.pk for d in ordered]}
        )
    Assignment.objects.bulk_create(assignments)
    cycle_open(actor=None, cycle=cycle)
    return cycle.pk, plans


def verify(cycle_id: int, plans: list[dict], acked: list[dict]) -> dict:
    """Every acknowledged (rater, provider) stored exactly once, as posted."""
    from django.contrib.sessions.models import Session
    from django.db.models import Count

    from innerclient.surveys.models import Answer, Response
    from innerclient.surveys.tokens import rater_key

    by_index = {p["index"]: p for p in plans}
    expected = {}
    for ack in acked:
        plan = by_index[ack["index"]]
        key = rater_key(plan["url"].rstrip("/").rsplit("/", 1)[1])
        for number, provider in enumerate(plan["providers"], 1):
            expected[(key, provider)] = ack["steps"][number]
    rows = (
        Response.objects.filter(cycle_id=cycle_id, status=Response.Status.SUBMITTED)
        .values("rater_key", "provider_id")
        .annotate(n=Count("id"))
    )
    stored = {(r["rater_key"], r["provider_id"]): r["n"] for r in rows}
    all_rows = (
        Response.objects.filter(cycle_id=cycle_id)
        .values("rater_key", "provider_id")
        .annotate(n=Count("id"))
    )
    answers: dict[tuple, dict] = {}
    for key, provider, criterion, score in Answer.objects.filter(
        response__cycle_id=cycle_id, response__status=Response.Status.SUBMITTED
    ).values_list("response__rater_key", "response__provider_id", "criterion_id", "score"):
        answers.setdefault((key, provider), {})[criterion] = score
    dni = set(
        Response.objects.filter(cycle_id=cycle_id, did_not_interact=True).values_list(
            "rater_key", "provider_id"
        )
    )
    mismatched = 0
    for pair, want in expected.items():
        if stored.get(pair) != 1:
            continue
        if want["dni"] != (pair in dni) or answers.get(pair, {}) != want["scores"]:
            mismatched += 1
    return {
        "acknowledged_raters": len(acked),
        "acknowledged": len(expected),
        "stored": sum(1 for pair in expected if stored.get(pair, 0) >= 1),
        "lost": sum(1 for pair in expected if stored.get(pair, 0) == 0),
        "duplicated": sum(1 for n in stored.values() if n > 1)
        + sum(1 for r in all_rows if r["n"] > 1),
        "unacknowledged_stored": sum(1 for pair in stored if pair not in expected),
        "answers_mismatched": mismatched,
        "session_rows": Session.objects.count(),
    }


def run_backend(args) -> dict:
    backend = args.child
    scratch = Path(tempfile.mkdtemp(prefix=f"innerclient-rater-{backend}-"))
    if backend == "postgres":
        database_url = pg_database("create")
    else:
        database_url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    env = os.environ | {
        "DATABASE_URL": database_url,
        "INNERCLIENT_DATA_DIR": str(scratch),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "INNERCLIENT_LINK_KEY": secrets.token_urlsafe(32),
        "INNERCLIENT_RATER_KEY": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "0",  # plain HTTP on loopback: cookies must not be Secure
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "innerclient.settings",
    }
    if args.conn_max_age is not None:
        env["DATABASE_CONN_MAX_AGE"] = str(args.conn_max_age)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    process = None
    try:
        clock = time.perf_counter()
        call_command("migrate", verbosity=0)
        # DEBUG off serves {% static %} through the manifest: collect it into the scratch dir.
        call_command("collectstatic", verbosity=0, interactive=False)
        cycle_id, plans = build_world(args.raters)
        connections.close_all()
        log(f"{backend}: set up {args.raters} raters in {time.perf_counter() - clock:.1f} s")

        process, base_url, error_log = server_start(args, scratch, env)
        workers = [Worker(base_url) for _ in range(args.concurrency)]
        lock = threading.Lock()
        for worker in workers:  # warm up every worker process and connection
            worker.request("warmup", "GET", "/accounts/login/")

        counter: Counter = Counter()
        half = args.trivial_requests // 2
        cap = time.monotonic() + TRIVIAL_CAP_SECONDS
        snapshot = cpu_snapshot(process.pid)
        trivial_time = run_threads(workers, "trivial", counter, lock, half, cap)
        trivial_cpu = cpu_delta(snapshot, snapshot := cpu_snapshot(process.pid))
        queue = list(reversed(plans))
        race_every = round(1 / args.race) if args.race > 0 else 0
        cap = time.monotonic() + args.max_seconds
        rater_time = run_threads(workers, "raters", queue, lock, cap, race_every)
        rater_cpu = cpu_delta(snapshot, snapshot := cpu_snapshot(process.pid))
        counter["trivial"] = 0
        cap = time.monotonic() + TRIVIAL_CAP_SECONDS
        trivial_time += run_threads(
            workers, "trivial", counter, lock, args.trivial_requests - half, cap
        )
        after = cpu_delta(snapshot, cpu_snapshot(process.pid))
        trivial_cpu = {key: trivial_cpu[key] + after[key] for key in trivial_cpu}
        for worker in workers:
            worker.close()
        server_stop(process)
        process = None

        acked = [a for w in workers for a in w.acked]
        errors = Counter()
        for worker in workers:
            errors.update(worker.errors)
        rater_kinds = ["start", "home", "step_get", "step_post", "autosave", "summary"]
        rater_kinds += ["submit", "done"]
        rater_requests = len(merge(workers, rater_kinds))
        trivial_requests = len(merge(workers, ["trivial"]))
        server_errors = [
            line
            for line in error_log.read_text(errors="replace").splitlines()
            if "Traceback" in line or "ERROR" in line or "Error" in line
        ]
        result = {
            "backend": backend,
            "raters": args.raters,
            "unfinished": len(queue),
            "rater_seconds": rater_time,
            "rater_requests": rater_requests,
            "rater_rps": rater_requests / rater_time,
            "submissions_per_s": len(acked) / rater_time,
            "responses_per_s": len(acked) * PROVIDERS_PER_RATER / rater_time,
            "trivial_seconds": trivial_time,
            "trivial_requests": trivial_requests,
            "trivial_rps": trivial_requests / trivial_time,
            "latency": {
                "submit": latency(merge(workers, ["submit"])),
                "step_post": latency(merge(workers, ["step_post"])),
                "rater_all": latency(merge(workers, rater_kinds)),
                "trivial": latency(merge(workers, ["trivial"])),
            },
            "latency_by_kind": {kind: latency(merge(workers, [kind])) for kind in rater_kinds},
            # CPU milliseconds per request: app server (gunicorn), database server
            # (PostgreSQL; SQLite's work is inside the app server), load generator.
            "cpu_ms": {
                "rater": {k: v * 1000 / max(rater_requests, 1) for k, v in rater_cpu.items()},
                "trivial": {k: v * 1000 / max(trivial_requests, 1) for k, v in trivial_cpu.items()},
            },
            "errors": dict(errors),
            "error_examples": [e for w in workers for e in w.error_examples][:5],
            "server_errors": len(server_errors),
            "server_error_examples": server_errors[:5],
        }
        result["ratio"] = result["rater_rps"] / result["trivial_rps"]
        result["check"] = verify(cycle_id, plans, acked)
        return result
    finally:
        if process is not None:
            server_stop(process)
        connections.close_all()
        if backend == "postgres":
            pg_database("drop")
        shutil.rmtree(scratch, ignore_errors=True)


# --- the parent: one child per backend, then the table --------------------------------------------


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(pg_admin_url(), connect_timeout=3):
            return True
    except Exception:
        return False


def fmt(value, spec: str = ".0f") -> str:
    return "—" if value is None else format(value, spec)


def table(results: list[dict], args) -> str:
    head = ["", *(r["backend"] for r in results)]
    rows: list[list[str]] = []

    def row(label, fn):
        rows.append([label, *(fn(r) for r in results)])

    row(
        "raters acknowledged / planned",
        lambda r: f"{r['check']['acknowledged_raters']}/{r['raters']}",
    )
    row("rater phase, s", lambda r: fmt(r["rater_seconds"], ".1f"))
    row("submissions/s (raters)", lambda r: fmt(r["submissions_per_s"], ".1f"))
    row("responses/s (rater x provider)", lambda r: fmt(r["responses_per_s"], ".1f"))
    row("questionnaire requests/s", lambda r: fmt(r["rater_rps"], ".0f"))
    row("trivial GET /accounts/login/ req/s", lambda r: fmt(r["trivial_rps"], ".0f"))
    row("ratio (goal >= 0.5x)", lambda r: f"{r['ratio']:.2f}x")
    for name, label in [
        ("submit", "submit POST"),
        ("step_post", "step POST"),
        ("rater_all", "all questionnaire"),
        ("trivial", "trivial GET"),
    ]:
        row(
            f"{label} p50/p95/p99, ms",
            lambda r, n=name: "/".join(fmt(r["latency"][n][f"p{q}"]) for q in (50, 95, 99)),
        )
    for who, label in [("app", "app server"), ("db", "PostgreSQL"), ("client", "load client")]:
        row(
            f"{label} CPU ms/request: questionnaire / trivial",
            lambda r, w=who: (
                "—"
                if w == "db" and r["backend"] != "postgres"
                else f"{r['cpu_ms']['rater'][w]:.1f} / {r['cpu_ms']['trivial'][w]:.1f}"
            ),
        )
    row("client errors", lambda r: str(sum(r["errors"].values())))
    row("server errors (log lines)", lambda r: str(r["server_errors"]))
    row("acknowledged pairs", lambda r: str(r["check"]["acknowledged"]))
    row("stored exactly once", lambda r: str(r["check"]["stored"]))
    row("lost", lambda r: str(r["check"]["lost"]))
    row("duplicated", lambda r: str(r["check"]["duplicated"]))
    row("answers differing from posted", lambda r: str(r["check"]["answers_mismatched"]))
    row("stored but not acknowledged", lambda r: str(r["check"]["unacknowledged_stored"]))
    row("session rows", lambda r: str(r["check"]["session_rows"]))
    widths = [max(len(line[i]) for line in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(head))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) for line in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--raters", type=int, default=240)
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="gthread")
    parser.add_argument("--trivial-requests", type=int, default=2000)
    parser.add_argument(
        "--race", type=float, default=0.1, help="share of raters who double-post concurrently"
    )
    parser.add_argument(
        "--conn-max-age", type=int, default=None, help="DATABASE_CONN_MAX_AGE for the server"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=80, help="wall-clock cap of the rater phase"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
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
    results = []
    for backend in backends:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, *sys.argv[1:], "--child", backend]
            command += ["--result", out.name]
            log(f"{backend}: running")
            subprocess.run(command, check=True)
            results.append(json.loads(Path(out.name).read_text()))
    print(
        f"\nRater load: {args.raters} raters x {PROVIDERS_PER_RATER} providers, "
        f"{args.concurrency} clients, gunicorn {args.worker_class} "
        f"{args.workers} workers x {args.threads} threads, {os.cpu_count()} CPUs\n"
    )
    print(table(results, args))
    for result in results:
        for label, key in [("client", "error_examples"), ("server", "server_error_examples")]:
            for example in result[key]:
                print(f"{result['backend']} {label} error: {example}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    ok = all(
        r["check"]["lost"] == 0
        and r["check"]["duplicated"] == 0
        and r["check"]["answers_mismatched"] == 0
        for r in results
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
