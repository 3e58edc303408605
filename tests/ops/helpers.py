"""Running the project in a child process with its own environment (settings are read once,
at start-up, so production settings can only be tried in a fresh interpreter)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "INNERCLIENT_")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "innerclient.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "INNERCLIENT_LINK_KEY": secrets.token_urlsafe(32),
            "INNERCLIENT_RATER_KEY": secrets.token_urlsafe(32),
            "DJANGO_ALLOWED_HOSTS": "example.com",
            "INNERCLIENT_DATA_DIR": str(tmp_path),
        }
    )
    env.update(extra)
    return env


def run_python(code: str, env: dict, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_manage(args: list[str], env: dict, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def debug_env(tmp_path, **extra) -> dict:
    """A laptop's environment: DEBUG on, no keys set, the data folder under ``tmp_path``."""
    env = production_env(tmp_path, DJANGO_DEBUG="1", **extra)
    for name in ("DJANGO_SECRET_KEY", "INNERCLIENT_LINK_KEY", "INNERCLIENT_RATER_KEY"):
        if name not in extra:
            env.pop(name)
    return env
