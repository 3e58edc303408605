"""Short crash test for CI (issue 6, point 3): ``benchmarks/crash_test.py`` with few raters.

gunicorn is SIGKILLed (master and workers) mid-run and restarted, then the db_worker mid-batch
of invitation emails; nothing acknowledged may be lost or stored twice, no email sent twice.
PostgreSQL only (the script makes its own database next to the test database); deselect with
``-m "not crash"``.
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
    command = [sys.executable, str(ROOT / "benchmarks" / "crash_test.py"), "--db", "postgres"]
    command += ["--raters", "30", "--concurrency", "6", "--workers", "2", "--json", str(out)]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
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
