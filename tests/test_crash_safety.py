"""Short crash test for CI (issue 6, point 3): ``benchmarks/crash_test.py`` with few raters.

gunicorn is SIGKILLed (master and workers) mid-run and restarted, then the worker
(``run_worker``) mid-batch of invitation emails, then mid-apply of a large import: nothing
acknowledged may be lost or stored twice, no email sent twice, no import half-applied, and
the killed tasks are recovered (failed and retried), none left RUNNING. PostgreSQL only (the
script makes its own database next to the test database); deselect with ``-m "not crash"``.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.crash,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="the crash test runs on PostgreSQL only",
    ),
]


def test_kill_server_and_worker_mid_run_loses_and_duplicates_nothing(tmp_path):
    out = tmp_path / "crash.json"
    parts = os.environ["DATABASE_URL"].split("/")
    env = os.environ | {"BENCH_POSTGRES_URL": "/".join(parts[:3])}  # the server, no database
    env.pop("DATABASE_URL")
    scratch = f"{parts[3].split('?')[0] or 'postgres'}_crash_rater"  # beside the test database
    command = [sys.executable, str(ROOT / "benchmarks" / "crash_test.py"), "--db", "postgres"]
    command += ["--raters", "30", "--concurrency", "6", "--workers", "2", "--json", str(out)]
    command += ["--pg-database", scratch, "--import-people", "12000"]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=420)
    assert out.exists(), run.stderr[-3000:]
    result = json.loads(out.read_text())
    figures = result["summary"]
    assert run.returncode == 0, figures
    assert figures["kills"] == 1
    assert figures["acknowledged"] > 0
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["answers_mismatched"] == 0
    assert figures["drafts_lost"] == 0
    assert figures["draft_saves_before_kill"] > 0
    assert figures["session_rows"] == 0
    assert result["emails"]["sent_before_kill"] < figures["emails_expected"]
    assert figures["emails_sent"] == figures["emails_expected"]
    assert figures["emails_missing"] == 0
    assert figures["emails_duplicated"] == 0
    # The import: killed inside its one transaction, nothing of it stored; then retried by
    # the restarted worker, every row once.
    imports = result["imports"]
    assert figures["imports_killed_mid_apply"], imports["status_at_kill"]
    assert figures["imports_rows_after_kill"] == 0
    assert imports["audit_rows_after_kill"] == 0
    assert imports["tasks_running_after_kill"] == 1
    assert figures["imports_rows_final"] == figures["imports_rows_expected"] == 12000
    assert figures["imports_missing"] == 0
    assert figures["imports_duplicated"] == 0
    assert figures["imports_audit_rows_extra"] == 0
    assert figures["imports_job_done"], imports["job_messages"]
    assert imports["import_status"] == "applied"
    assert {"task_path": "innerclient.org.tasks.import_apply", "attempt": 1} | {
        "outcome": "retried"
    } in imports["recoveries"]
    # Both killed tasks (the invitations and the import) were failed and retried.
    assert figures["recovered_tasks"] == 2
    assert figures["tasks_stranded_running"] == 0
