"""Crash test: the app server and the background worker are killed with SIGKILL mid-run.

Issue 6, point 3. Reuses ``rater_load.py`` (world, rater client, server start/stop, check):

1. migrates a scratch database (PostgreSQL ``crash_rater``, created and dropped; or a SQLite
   file with ``--db sqlite``) and builds ``--raters`` raters (3 providers each) in an open
   cycle; a share of them (``--drafts``) only saves its first steps and never submits;
2. starts gunicorn and lets ``--concurrency`` clients play the raters; when ``--kill-at`` of
   the submitting raters are acknowledged, the server's whole process group (master and
   workers) gets SIGKILL, and gunicorn is restarted on the same port. A client that got no
   answer (connection refused or reset) retries the same request, as a browser resubmits;
3. checks the database: each acknowledged submission stored once as posted, no duplicates,
   every acknowledged step save of the draft raters stored with its answers, 0 session rows;
4. starts ``manage.py run_worker`` (the Procfile's worker) against a loopback SMTP server
   (aiosmtpd, throttled so the batch takes a few seconds) to send the cycle's invitations
   (enqueued by ``cycle_open``), SIGKILLs the worker mid-batch, restarts it with the
   production sweep beside it (``send_reminders --loop``, Procfile), and checks that everyone
   got exactly one invitation and that the killed task was recovered (failed and retried,
   innerclient/ops/worker.py), not left RUNNING. The processes started here run with
   ``INNERCLIENT_EMAIL_CLAIM_SECONDS=--claim-seconds`` (claims of a killed sender expire) and
   ``INNERCLIENT_WORKER_LOST_AFTER=--lost-after`` (a worker silent that long is dead);
5. imports ``--import-people`` people through the services (a background apply: a job and a
   task), starts ``run_worker``, SIGKILLs it ``--import-kill-after`` seconds into the apply,
   checks that none of the import's rows is in the database (the apply is one transaction),
   restarts the worker, and checks that recovery re-ran the apply: every person present once,
   one audit row per person, the job done, no task left RUNNING.

Usage::

    .venv/bin/python benchmarks/crash_test.py [--db postgres|sqlite] [--raters 240]
        [--concurrency 16] [--kill-at 0.4] [--import-people 20000] [--json FILE]

Exit status 1 on any lost, duplicated or altered submission, lost draft, duplicated or
missing invitation email, half-applied, missing or duplicated import row, or task stranded.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rater_load
from rater_load import (
    ROOT,
    Unexpected,
    Worker,
    build_world,
    free_port,
    latency,
    log,
    merge,
    pg_admin_url,
    pg_database,
    postgres_reachable,
    run_threads,
    server_start,
    server_stop,
    verify,
)

rater_load.PG_DATABASE = "crash_rater"  # private database: read by pg_database at call time
START_SECONDS = 120  # gunicorn start-up on a loaded CI machine
RETRY_SECONDS = 150  # how long a client keeps retrying a request that got no answer

WORKER_ARGS = ["run_worker", "--no-startup-delay", "--interval", "0.2", "--no-reload"]


class CrashWorker(Worker):
    """A rater client that retries a request the server never answered (it was killed)."""

    def __init__(self, base_url: str):
        super().__init__(base_url)
        self.retries = 0
        self.draft_saves: list[dict] = []

    def request(self, kind, method, url, client=None, **kwargs):
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            try:
                return super().request(kind, method, url, client=client, **kwargs)
            except Unexpected as error:
                if error.status != 0 or time.monotonic() > deadline:
                    raise
                self.retries += 1
                time.sleep(0.1)

    def draft_rater(self, rater: dict) -> None:
        """Saves the first steps (each POST's 302 acknowledges a draft) and leaves."""
        import random

        rng = random.Random(rater["index"])
        self.client.cookies.clear()
        self.expect(self.request("start", "GET", rater["url"]), "start", 302, "/r/")
        for number in range(1, rater["steps"]):  # all but the last step
            page = self.request("step_get", "GET", f"/r/step/{number}/")
            self.expect(page, "step_get", 200)
            data, expected = self.answers(rng, page.text)
            retries = self.retries
            response = self.request("step_post", "POST", f"/r/step/{number}/", data=data)
            self.expect(response, "step_post", 302, f"/r/step/{number + 1}/")
            self.draft_saves.append(
                {"index": rater["index"], "step": number, "expected": expected}
                | {"at": time.monotonic(), "retried": self.retries > retries}
            )

    def raters(self, queue, lock, deadline, race_every):
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                rater = queue.pop()
            try:
                if rater.get("draft"):
                    self.draft_rater(rater)
                else:
                    race = race_every > 0 and rater["index"] % race_every == 0
                    self.rater(rater, race)
            except Unexpected as error:
                self.fail(error)


def drafts_verify(cycle_id: int, plans: list[dict], saves: list[dict]) -> dict:
    """Every acknowledged step save of a draft rater is stored, once, with its answers."""
    from django.db.models import Count

    from innerclient.surveys.models import Answer, Response
    from innerclient.surveys.tokens import rater_key

    by_index = {p["index"]: p for p in plans}
    rows = (
        Response.objects.filter(cycle_id=cycle_id)
        .values("rater_key", "provider_id", "did_not_interact")
        .annotate(n=Count("id"))
    )
    stored = {(r["rater_key"], r["provider_id"]): r for r in rows}
    answers: dict[tuple, dict] = {}
    # A draft keeps a row per criterion; an unscored one (e.g. "did not interact") is NULL.
    for key, provider, criterion, score in Answer.objects.filter(
        response__cycle_id=cycle_id, score__isnull=False
    ).values_list("response__rater_key", "response__provider_id", "criterion_id", "score"):
        answers.setdefault((key, provider), {})[criterion] = score
    lost = mismatched = 0
    examples = []
    for save in saves:
        plan = by_index[save["index"]]
        key = rater_key(plan["url"].rstrip("/").rsplit("/", 1)[1])
        pair = (key, plan["providers"][save["step"] - 1])
        row = stored.get(pair)
        if row is None:
            lost += 1
        elif (
            row["did_not_interact"] != save["expected"]["dni"]
            or answers.get(pair, {}) != save["expected"]["scores"]
        ):
            mismatched += 1
            if len(examples) < 5:
                examples.append(
                    {"save": save, "stored_dni": row["did_not_interact"]}
                    | {"stored": answers.get(pair)}
                )
    return {
        "acknowledged": len(saves),
        "lost": lost,
        "mismatched": mismatched,
        "mismatch_examples": examples,
    }


# --- the app server phase -------------------------------------------------------------------------


def rater_phase(args, scratch: Path, env: dict, cycle_id: int, plans: list[dict]) -> dict:
    process, base_url, error_log = server_start(args, scratch, env, wait=START_SECONDS)
    port = int(base_url.rsplit(":", 1)[1])
    workers = [CrashWorker(base_url) for _ in range(args.concurrency)]
    submitters = sum(1 for p in plans if not p.get("draft"))
    kills: list[dict] = []
    box = {"process": process, "stop": False}

    def killer():
        for number in range(1, args.kills + 1):
            threshold = submitters * args.kill_at * number / args.kills
            while sum(len(w.acked) for w in workers) < threshold and not box["stop"]:
                time.sleep(0.02)
            if box["stop"]:
                return
            acked = sum(len(w.acked) for w in workers)
            drafts = sum(len(w.draft_saves) for w in workers)
            start = time.monotonic()
            os.killpg(box["process"].pid, signal.SIGKILL)  # master and workers at once
            box["process"].wait()
            time.sleep(args.down_seconds)
            try:
                box["process"], _, _ = server_start(
                    args, scratch, env, port=port, wait=START_SECONDS
                )
            except Exception as error:
                box["error"] = error
                return
            kills.append(
                {"at": start, "acked_before": acked, "draft_saves_before": drafts}
                | {"downtime_s": time.monotonic() - start}
            )
            down = kills[-1]["downtime_s"]
            log(f"server killed at {acked} acknowledged, back after {down:.1f} s")

    lock = threading.Lock()
    for worker in workers:
        worker.request("warmup", "GET", "/accounts/login/")
    queue = list(reversed(plans))
    race_every = round(1 / args.race) if args.race > 0 else 0
    thread = threading.Thread(target=killer)
    thread.start()
    try:
        seconds = run_threads(
            workers, "raters", queue, lock, time.monotonic() + args.max_seconds, race_every
        )
    finally:
        box["stop"] = True
        thread.join()
        for worker in workers:
            worker.close()
        server_stop(box["process"])
    if "error" in box:
        raise RuntimeError(f"restart failed: {error_log.read_text()[-2000:]}") from box["error"]

    acked = [a for w in workers for a in w.acked]
    saves = [s for w in workers for s in w.draft_saves]
    errors: Counter = Counter()
    for worker in workers:
        errors.update(worker.errors)
    kinds = ["start", "home", "step_get", "step_post", "autosave", "summary", "submit", "done"]
    requests = len(merge(workers, kinds))
    first_kill = kills[0]["at"] if kills else float("inf")
    check = verify(cycle_id, plans, acked)
    drafts = drafts_verify(cycle_id, plans, saves)
    drafts["acknowledged_before_kill"] = sum(1 for s in saves if s["at"] < first_kill)
    server_errors = [
        line
        for line in error_log.read_text(errors="replace").splitlines()
        if "Traceback" in line or "ERROR" in line
    ]
    return {
        "raters": len(plans),
        "submitting_raters": submitters,
        "unfinished": len(queue),
        "seconds": seconds,
        "requests": requests,
        "requests_per_s": requests / seconds,
        "submissions_per_s": len(acked) / seconds,
        "latency": {
            "submit": latency(merge(workers, ["submit"])),
            "all": latency(merge(workers, kinds)),
        },
        "kills": [{k: v for k, v in kill.items() if k != "at"} for kill in kills],
        "client_retries": sum(w.retries for w in workers),
        "errors": dict(errors),
        "error_examples": [e for w in workers for e in w.error_examples][:5],
        "server_errors": len(server_errors),
        "check": check,
        "drafts": drafts,
    }


# --- the background worker phase ------------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: counts recipients; throttled so a batch spans the kill."""

    def __init__(self, delay: float):
        self.delay = delay
        self.recipients: Counter = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        time.sleep(self.delay)  # before the message is accepted: the client waits here
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def total(self) -> int:
        with self.lock:
            return sum(self.recipients.values())


def command_start(args, env: dict, scratch: Path, name: str, *command: str) -> subprocess.Popen:
    out = (scratch / f"{name}.log").open("ab")
    env = env | {
        "INNERCLIENT_EMAIL_CLAIM_SECONDS": str(args.claim_seconds),
        "INNERCLIENT_WORKER_LOST_AFTER": str(args.lost_after),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=out,
        start_new_session=True,  # its own process group: killed as a whole, by its id
    )


def processes_stop(processes: list[subprocess.Popen], *, timeout: float) -> None:
    """SIGTERM (a clean stop: the worker removes its heartbeat), then SIGKILL after timeout."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def worker_phase(args, scratch: Path, env: dict, cycle_id: int) -> dict:
    from aiosmtpd.controller import Controller
    from django_tasks_db.models import DBTaskResult

    from innerclient.surveys.models import Invitation

    invitations = Invitation.objects.filter(cycle_id=cycle_id, person__is_active=True)
    emails = list(invitations.values_list("person__email", flat=True))
    mailbox = Mailbox(args.smtp_delay)
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = env | {
        "INNERCLIENT_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "INNERCLIENT_SMTP_HOST": "127.0.0.1",
        "INNERCLIENT_SMTP_PORT": str(controller.port),
    }
    processes = []
    try:
        queued = DBTaskResult.objects.filter(status="READY").count()
        start = time.monotonic()
        worker = command_start(args, env, scratch, "worker", *WORKER_ARGS)
        processes.append(worker)
        deadline = time.monotonic() + 60
        while mailbox.total() < len(emails) * args.kill_at and time.monotonic() < deadline:
            time.sleep(0.01)
        at_kill = mailbox.total()
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        log(f"worker killed after {at_kill} of {len(emails)} invitations")
        time.sleep(args.down_seconds)
        # Restarted worker, and the production sweep beside it (Procfile: reminders). The
        # worker recovers the killed task once its heartbeat is --lost-after old, and the
        # retry sends only what nobody claimed; the sweep sends the rest once the killed
        # sender's claims expire.
        processes.append(command_start(args, env, scratch, "worker2", *WORKER_ARGS))
        sweep = ["send_reminders", "--loop", "--interval", "1"]
        processes.append(command_start(args, env, scratch, "sweep", *sweep))
        deadline = time.monotonic() + args.claim_seconds + args.lost_after + 60
        running = DBTaskResult.objects.filter(status="RUNNING")
        while time.monotonic() < deadline and (
            invitations.filter(invited_at__isnull=True).exists()
            or mailbox.total() < len(emails)
            or running.exists()
        ):
            time.sleep(0.2)
        time.sleep(1.5)  # one more sweep: a late duplicate would show up now
        seconds = time.monotonic() - start
    finally:
        processes_stop(processes, timeout=10)
        controller.stop()
    received = mailbox.recipients
    return {
        "invitations": len(emails),
        "tasks_queued": queued,
        "sent_before_kill": at_kill,
        "messages": sum(received.values()),
        "emailed": sum(1 for address in emails if received[address] >= 1),
        "missing": sum(1 for address in emails if received[address] == 0),
        "duplicated": sum(1 for n in received.values() if n > 1),
        "not_marked_invited": invitations.filter(invited_at__isnull=True).count(),
        "tasks_stranded_running": DBTaskResult.objects.filter(status="RUNNING").count(),
        "seconds": seconds,
    }


# --- the import phase -----------------------------------------------------------------------------


def _csv(rows: list[list[str]]) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


def import_start(people: int) -> dict:
    """An organization with departments, and a people import handed to the worker."""
    from django.contrib.auth.models import User

    from innerclient.core.models import Organization
    from innerclient.org.importing import pipeline
    from innerclient.org.models import DataImport

    organization = Organization.objects.create(name="Crash import", slug="crash-import")
    actor = User.objects.create_user("crash-import@example.com", password=secrets.token_hex(8))

    def upload(kind: str, content: bytes) -> DataImport:
        table = pipeline.read_upload(content=content, filename=f"{kind}.csv")
        data_import = pipeline.data_import_create(
            actor=actor,
            organization=organization,
            kind=kind,
            filename=f"{kind}.csv",
            content=content,
            table=table,
        )
        # Checked here, in this process: the worker's part under test is the apply.
        data_import = pipeline.data_import_validate(data_import_id=data_import.pk)
        assert data_import.status == DataImport.Status.PREVIEW, data_import.preview["errors"][:3]
        return pipeline.data_import_start_apply(actor=actor, data_import=data_import, options={})

    departments = 50
    rows = [["Код подразделения", "Наименование", "Родительское подразделение"]]
    rows += [["D000", "Головной офис", ""]]
    rows += [[f"D{i:03d}", f"Подразделение {i}", "D000"] for i in range(1, departments)]
    assert upload("departments", _csv(rows)).status == DataImport.Status.APPLIED
    rows = [["ФИО", "Эл. почта", "Код подразделения", "Должность", "Руководитель"]]
    rows += [
        [f"Сотрудник Номер {i}", f"crash.{i}@example.com", f"D{i % departments:03d}", "", ""]
        for i in range(people)
    ]
    data_import = upload("people", _csv(rows))
    assert data_import.status == DataImport.Status.APPLYING, "not a background import"
    return {"organization": organization.pk, "import": data_import.pk, "job": data_import.job_id}


def import_phase(args, scratch: Path, env: dict) -> dict:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from innerclient.core.models import AuditEntry, Job
    from innerclient.ops.models import TaskRecovery
    from innerclient.org.models import DataImport, Person

    clock = time.monotonic()
    ids = import_start(args.import_people)
    log(f"import of {args.import_people} people queued in {time.monotonic() - clock:.1f} s")
    people = Person.objects.filter(organization_id=ids["organization"])
    audit = AuditEntry.objects.filter(organization_id=ids["organization"], action="person.create")
    job = Job.objects.filter(pk=ids["job"])
    data_import = DataImport.objects.filter(pk=ids["import"])
    processes = []
    try:
        start = time.monotonic()
        worker = command_start(args, env, scratch, "import_worker", *WORKER_ARGS)
        processes.append(worker)
        deadline = time.monotonic() + START_SECONDS
        while job.get().status == Job.Status.QUEUED and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        time.sleep(args.import_kill_after)
        status_at_kill = data_import.get().status
        job_at_kill = job.get().status
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        rows_after_kill = people.count()
        audit_after_kill = audit.count()
        stranded_after_kill = DBTaskResult.objects.filter(status="RUNNING").count()
        log(
            f"worker killed {time.monotonic() - started:.1f} s into the apply "
            f"(import {status_at_kill}): {rows_after_kill} rows in the database"
        )
        time.sleep(args.down_seconds)
        restarted = time.monotonic()
        processes.append(command_start(args, env, scratch, "import_worker2", *WORKER_ARGS))
        deadline = time.monotonic() + START_SECONDS + args.lost_after + 120
        while job.get().status not in (Job.Status.DONE, Job.Status.FAILED) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.1)
        recovered_in = time.monotonic() - restarted
        seconds = time.monotonic() - start
    finally:
        processes_stop(processes, timeout=30)
    rows_final = people.count()
    emails = people.values("email").annotate(n=Count("id"))
    final_job = job.get()
    return {
        "people": args.import_people,
        "status_at_kill": status_at_kill,
        "killed_mid_apply": status_at_kill == DataImport.Status.APPLYING
        and job_at_kill == Job.Status.RUNNING,
        "rows_after_kill": rows_after_kill,
        "audit_rows_after_kill": audit_after_kill,
        "tasks_running_after_kill": stranded_after_kill,
        "rows_final": rows_final,
        "missing": args.import_people - emails.count(),
        "duplicated": sum(1 for row in emails if row["n"] > 1),
        "audit_rows_final": audit.count(),
        "job_status": final_job.status,
        "job_messages": final_job.messages,
        "import_status": data_import.get().status,
        "recoveries": list(
            TaskRecovery.objects.order_by("created_at").values("task_path", "attempt", "outcome")
        ),
        "recovered_in_s": recovered_in,
        "seconds": seconds,
    }


# --- the run --------------------------------------------------------------------------------------


def run(args) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix=f"innerclient-crash-{args.db}-"))
    if args.db == "postgres":
        rater_load.PG_DATABASE = args.pg_database
        database_url = pg_database("create")
    else:
        database_url = f"sqlite:///{scratch / 'crash.sqlite3'}"
    env = os.environ | {
        "DATABASE_URL": database_url,
        "INNERCLIENT_DATA_DIR": str(scratch),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "INNERCLIENT_LINK_KEY": secrets.token_urlsafe(32),
        "INNERCLIENT_RATER_KEY": secrets.token_urlsafe(32),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "innerclient.settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    try:
        clock = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        cycle_id, plans = build_world(args.raters)
        draft_every = round(1 / args.drafts) if args.drafts > 0 else 0
        for plan in plans:
            plan["draft"] = draft_every > 0 and plan["index"] % draft_every == draft_every - 1
        connections.close_all()
        log(f"{args.db}: set up {args.raters} raters in {time.perf_counter() - clock:.1f} s")
        result = {"backend": args.db, "raters": rater_phase(args, scratch, env, cycle_id, plans)}
        connections.close_all()
        result["emails"] = worker_phase(args, scratch, env, cycle_id)
        connections.close_all()
        result["imports"] = import_phase(args, scratch, env)
        from django_tasks_db.models import DBTaskResult

        from innerclient.ops.models import TaskRecovery

        result["tasks_stranded_running"] = DBTaskResult.objects.filter(status="RUNNING").count()
        result["recovered_tasks"] = TaskRecovery.objects.filter(outcome="retried").count()
        return result
    finally:
        connections.close_all()
        if args.db == "postgres":
            pg_database("drop")
        shutil.rmtree(scratch, ignore_errors=True)


def summary(result: dict) -> dict:
    r, e, i = result["raters"], result["emails"], result["imports"]
    return {
        "throughput_req_s": round(r["requests_per_s"], 1),
        "submissions_per_s": round(r["submissions_per_s"], 2),
        "p99_ms": round(r["latency"]["all"]["p99"] or 0, 1),
        "submit_p99_ms": round(r["latency"]["submit"]["p99"] or 0, 1),
        "acknowledged": r["check"]["acknowledged"],
        "lost": r["check"]["lost"],
        "duplicated": r["check"]["duplicated"],
        "answers_mismatched": r["check"]["answers_mismatched"],
        "session_rows": r["check"]["session_rows"],
        "draft_saves_acknowledged": r["drafts"]["acknowledged"],
        "draft_saves_before_kill": r["drafts"]["acknowledged_before_kill"],
        "drafts_lost": r["drafts"]["lost"] + r["drafts"]["mismatched"],
        "kills": len(r["kills"]),
        "client_retries": r["client_retries"],
        "client_errors": sum(r["errors"].values()),
        "emails_sent": e["emailed"],
        "emails_expected": e["invitations"],
        "emails_missing": e["missing"] + e["not_marked_invited"],
        "emails_duplicated": e["duplicated"],
        "imports_rows_expected": i["people"],
        "imports_killed_mid_apply": i["killed_mid_apply"],
        "imports_rows_after_kill": i["rows_after_kill"],
        "imports_rows_final": i["rows_final"],
        "imports_missing": i["missing"],
        "imports_duplicated": i["duplicated"],
        "imports_audit_rows_extra": i["audit_rows_final"] - i["people"],
        "imports_job_done": i["job_status"] == "done",
        "imports_recovered_in_s": round(i["recovered_in_s"], 1),
        "tasks_stranded_running": result["tasks_stranded_running"],
        "recovered_tasks": result["recovered_tasks"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--pg-database", default="crash_rater", help="scratch database (created and dropped)"
    )
    parser.add_argument("--raters", type=int, default=240)
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="gthread")
    parser.add_argument("--race", type=float, default=0.1, help="share of double-posting raters")
    parser.add_argument("--drafts", type=float, default=0.2, help="share of draft-only raters")
    parser.add_argument("--kill-at", type=float, default=0.4, help="share done at the kill")
    parser.add_argument("--kills", type=int, default=1, help="server kills during the run")
    parser.add_argument("--down-seconds", type=float, default=1.0)
    parser.add_argument(
        "--claim-seconds", type=float, default=3.0, help="INNERCLIENT_EMAIL_CLAIM_SECONDS"
    )
    parser.add_argument(
        "--lost-after", type=float, default=3.0, help="INNERCLIENT_WORKER_LOST_AFTER"
    )
    parser.add_argument("--import-people", type=int, default=20000, help="rows of the import")
    parser.add_argument(
        "--import-kill-after", type=float, default=1.5, help="seconds into the apply"
    )
    parser.add_argument("--smtp-delay", type=float, default=0.02, help="per recipient, s")
    parser.add_argument("--max-seconds", type=float, default=240)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.db == "postgres" and not postgres_reachable():
        print(f"PostgreSQL at {pg_admin_url()} is unreachable", file=sys.stderr)
        return 2
    result = run(args)
    result["summary"] = figures = summary(result)
    print(json.dumps(result, indent=2, default=str), file=sys.stderr)
    print(
        f"\nCrash test ({args.db}): {args.raters} raters, {args.concurrency} clients, "
        f"{figures['kills']} server kill(s), 2 worker kills, {os.cpu_count()} CPUs"
    )
    for key, value in figures.items():
        print(f"  {key:28} {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    bad = [
        "lost",
        "duplicated",
        "answers_mismatched",
        "session_rows",
        "drafts_lost",
        "emails_missing",
        "emails_duplicated",
        "imports_rows_after_kill",
        "imports_missing",
        "imports_duplicated",
        "imports_audit_rows_extra",
        "tasks_stranded_running",
    ]
    good = ["imports_killed_mid_apply", "imports_job_done"]
    return 1 if any(figures[key] for key in bad) or not all(figures[k] for k in good) else 0


if __name__ == "__main__":
    sys.exit(main())
