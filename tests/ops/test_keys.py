"""The installation's keys: random on a laptop (kept in the data folder), mandatory and separate
from the secret key in production, and reported by ``check --deploy``."""

import base64
import hashlib
import hmac
import json
import stat
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from innerclient.ops import keys
from innerclient.surveys.tokens import link_token
from tests.ops.helpers import ROOT, debug_env, production_env, run_manage, run_python

PROBE = (
    "import json, django; django.setup()\n"
    "from django.conf import settings as s\n"
    "print(json.dumps([s.SECRET_KEY, s.INNERCLIENT_LINK_KEY, s.INNERCLIENT_RATER_KEY]))\n"
)
# The secret key every `make run` had before keys were generated (it was in settings.py).
OLD_CONSTANT = "dev-only-insecure-key-do-not-use-in-production"


def _keys(env) -> list[str]:
    result = run_python(PROBE, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _refusal(env) -> str:
    result = run_python(PROBE, env)
    assert result.returncode != 0, "started although it should have refused"
    assert "ImproperlyConfigured" in result.stderr
    return result.stderr


def test_a_first_debug_start_generates_random_keys_into_the_data_folder_and_reuses_them(
    tmp_path,
):
    data = tmp_path / "fresh" / "data"  # not there yet: created on the first start
    env = debug_env(tmp_path, INNERCLIENT_DATA_DIR=str(data))
    first = _keys(env)
    secret, link, rater = first
    assert len({secret, link, rater}) == 3
    assert min(len(secret), len(link), len(rater)) >= 40
    assert OLD_CONSTANT not in first
    assert not keys.derived_from_secret(link, secret)
    assert not keys.derived_from_secret(rater, secret)
    path = data / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert [stored[name] for name in keys.NAMES] == first
    assert _keys(env) == first  # the next start reads the same keys


def test_another_installation_gets_other_keys(tmp_path):
    one = _keys(debug_env(tmp_path, INNERCLIENT_DATA_DIR=str(tmp_path / "one")))
    two = _keys(debug_env(tmp_path, INNERCLIENT_DATA_DIR=str(tmp_path / "two")))
    assert not set(one) & set(two)


def test_keys_set_in_the_environment_win_over_the_file_and_are_not_written(tmp_path):
    env = debug_env(tmp_path, INNERCLIENT_LINK_KEY="link-from-env-" + "a" * 30)
    secret, link, rater = _keys(env)
    assert link == "link-from-env-" + "a" * 30
    stored = json.loads((tmp_path / "keys.json").read_text())
    assert stored["INNERCLIENT_RATER_KEY"] == rater and stored["DJANGO_SECRET_KEY"] == secret
    assert link not in stored.values()


def test_processes_starting_at_once_agree_on_one_set_of_keys(tmp_path):
    env = debug_env(tmp_path)
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", PROBE], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = {process.communicate(timeout=120)[0].strip().splitlines()[-1] for process in starts}
    assert len(outputs) == 1
    assert not [p for p in tmp_path.iterdir() if p.name != "keys.json" and "keys" in p.name]


def test_the_secret_key_is_no_longer_a_constant_in_the_repository():
    source = (ROOT / "innerclient" / "settings.py").read_text()
    assert OLD_CONSTANT not in source
    assert settings.SECRET_KEY != OLD_CONSTANT


def test_a_link_cannot_be_computed_from_the_repository_alone():
    """Before: the link key was sha256("INNERCLIENT_LINK_KEY:" + the constant above), so anyone
    with the demo's database could recompute every link and so every rater key."""
    public_id = str(uuid.uuid4())
    old_key = hashlib.sha256(f"INNERCLIENT_LINK_KEY:{OLD_CONSTANT}".encode()).digest()
    old = hmac.new(old_key, f"link:{public_id}".encode(), "sha256").digest()
    assert link_token(public_id) != base64.urlsafe_b64encode(old).decode().rstrip("=")


def test_production_refuses_to_start_without_the_rater_keys(tmp_path):
    env = production_env(tmp_path)
    del env["INNERCLIENT_LINK_KEY"], env["INNERCLIENT_RATER_KEY"]
    stderr = _refusal(env)
    assert "INNERCLIENT_LINK_KEY is not set" in stderr
    assert "INNERCLIENT_RATER_KEY is not set" in stderr
    assert not (tmp_path / "keys.json").exists()  # production never generates keys


def test_production_refuses_a_rater_key_equal_to_the_secret_key(tmp_path):
    env = production_env(tmp_path)
    env["INNERCLIENT_RATER_KEY"] = env["DJANGO_SECRET_KEY"]
    assert "INNERCLIENT_RATER_KEY equals or is derived from DJANGO_SECRET_KEY" in _refusal(env)


@pytest.mark.parametrize(
    "derive",
    [
        lambda s: hashlib.sha256(f"INNERCLIENT_LINK_KEY:{s}".encode()).hexdigest(),
        lambda s: hashlib.sha256(s.encode()).hexdigest(),
        lambda s: s[:20],
        lambda s: s + "-link",
    ],
    ids=["old-derivation", "sha256", "prefix", "suffixed"],
)
def test_production_refuses_a_link_key_derived_from_the_secret_key(tmp_path, derive):
    env = production_env(tmp_path)
    env["INNERCLIENT_LINK_KEY"] = derive(env["DJANGO_SECRET_KEY"])
    assert "INNERCLIENT_LINK_KEY equals or is derived from DJANGO_SECRET_KEY" in _refusal(env)


def test_production_refuses_one_key_for_both(tmp_path):
    env = production_env(tmp_path)
    env["INNERCLIENT_RATER_KEY"] = env["INNERCLIENT_LINK_KEY"]
    assert "are the same key" in _refusal(env)


def test_production_starts_with_its_own_keys_and_writes_no_key_file(tmp_path):
    env = production_env(tmp_path)
    assert _keys(env) == [env[name] for name in keys.NAMES]
    assert not (tmp_path / "keys.json").exists()


def test_deploy_check_warns_about_keys_generated_into_the_data_folder(tmp_path):
    result = run_manage(["check", "--deploy"], debug_env(tmp_path))
    output = result.stdout + result.stderr
    assert "innerclient.W001" in output
    assert str(tmp_path / "keys.json") in output


def test_deploy_check_reports_a_rater_key_derived_from_the_secret_key(tmp_path):
    secret = "s" * 20 + "-secret-key-of-this-test-installation"
    env = debug_env(tmp_path, DJANGO_SECRET_KEY=secret, INNERCLIENT_LINK_KEY=secret)
    result = run_manage(["check", "--deploy"], env)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "innerclient.E001" in output
    assert "INNERCLIENT_LINK_KEY equals or is derived from DJANGO_SECRET_KEY" in output


def test_deploy_check_has_nothing_to_say_about_production_keys(tmp_path):
    result = run_manage(["check", "--deploy"], production_env(tmp_path))
    assert "innerclient." not in result.stdout + result.stderr
