"""An organization exported to one archive and restored: nothing lost, nothing revealed.

The world has a row in every archived table: a published cycle with answers, comments, an
appeal, a hidden comment, an action plan, the Regulation and its acknowledgment, settings,
an API token, an import and a background job, and an open cycle with a rater's draft.
"""

import io
import json
import os
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from innerclient.actions.models import ActionPlan
from innerclient.api.services import api_token_create
from innerclient.appeals.models import AppealSettings, BonusScheme
from innerclient.appeals.services import appeal_file
from innerclient.backup import scope
from innerclient.backup.archive import (
    MANIFEST,
    USERS_FILE,
    ArchiveError,
    organization_export,
    organization_restore,
    table_file,
)
from innerclient.core.models import AuditEntry, Job, Organization
from innerclient.regulation.models import CardArchive
from innerclient.regulation.services import regulation_acknowledge, regulation_publish
from innerclient.reports.services import comment_hide
from innerclient.results.models import MethodologySettings
from innerclient.results.services import results_compute
from innerclient.surveys.models import Cycle, Invitation, Response
from innerclient.surveys.services.cycles import cycle_close
from innerclient.surveys.tokens import link_token, rater_key
from tests.appeals.factories import appeals_world
from tests.data.builders import people_rows, xlsx_bytes
from tests.data.flows import upload_and_apply
from tests.factories import InteractionLinkFactory, PersonFactory
from tests.surveys.factories_rater import make_cycle, make_invitation, rater_world, step_post

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
RESTORE_AUDIT = "organization.restored"


@pytest.fixture
def world(org):
    appeals = appeals_world(org)
    appeal_file(
        actor=appeals.head,
        cycle=appeals.cycle,
        department=appeals.provider,
        kind="client_view",
        client_department=appeals.low,
        text="Assembly rated us on a project we never ran.",
    )
    comment_hide(
        actor=appeals.coordinator,
        organization=org,
        kind="answer",
        comment_id=appeals.answer.pk,
        reason="Abusive",
    )
    ActionPlan.objects.create(
        organization=org,
        department=appeals.provider,
        owner=PersonFactory(department=appeals.provider, full_name="Пётр Иванов"),
        cycle=appeals.cycle,
        title="Answer every request within a day",
        due_date=appeals.cycle.closed_at.date(),
        created_by=appeals.head,
    )
    InteractionLinkFactory(organization=org, client=appeals.low, provider=appeals.provider)
    MethodologySettings.objects.get_or_create(organization=org)
    appeal_settings, _ = AppealSettings.objects.get_or_create(organization=org)
    appeal_settings.committee.set([appeals.coordinator, appeals.other_head])
    BonusScheme.objects.get_or_create(organization=org)
    version = regulation_publish(actor=appeals.coordinator, organization=org, cycle=appeals.cycle)
    regulation_acknowledge(actor=appeals.head, version=version)
    api_token_create(
        actor=appeals.coordinator, organization=org, name="HRIS", scopes=["structure:read"]
    )
    people = people_rows([("Анна Смирнова", "anna@example.com", "P", "Engineer", "")])
    upload_and_apply(org, appeals.coordinator, "people", xlsx_bytes(people))
    job = Job.objects.create(organization=org, kind="cards", status=Job.Status.DONE)
    CardArchive.objects.create(
        organization=org,
        cycle=appeals.cycle,
        snapshot_version=1,
        language="ru",
        job=job,
        content=b"PK\x03\x04 not really a zip \x00\xff",
        filename="cards.zip",
        created_by=appeals.coordinator,
    )
    # A cycle closed through the service: only its department counts are left.
    closed = make_cycle(organization=org, name="Closed cycle")
    make_invitation(
        closed, person=PersonFactory(department=appeals.low), providers=[appeals.provider]
    )
    cycle_close(actor=appeals.coordinator, cycle=closed)
    # An open cycle in which a rater has saved a draft through his link.
    raters = rater_world(organization=org, raters=1, providers=2, name="2027 Q2")
    rater = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert rater.get(raters.url()).status_code == 302
    saved = rater.post(
        reverse("rater:autosave", args=[1]),
        step_post(raters, {"quality": 2}, {"quality": "Slow to answer"}),
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200
    return appeals, raters


def _delete_organization(organization_id: int) -> None:
    """Take the organization out, as if the archive went to another installation."""
    for model in reversed(scope.archived_models()):
        scope.organization_rows(model, organization_id).delete()
    for model in scope.archived_models():
        assert not scope.organization_rows(model, organization_id).exists(), model


def _database_rows(organization_id: int) -> dict[str, list[dict]]:
    """Every archived row, field by field, read straight from the database.

    Account links become user names (accounts are matched by name), and the rater keys of
    finished cycles become their order of first appearance (the archive replaces them).
    """
    usernames = dict(get_user_model().objects.values_list("pk", "username"))
    finished = set(
        Cycle.objects.filter(
            organization_id=organization_id,
            status__in=[Cycle.Status.CLOSED, Cycle.Status.PUBLISHED],
        ).values_list("pk", flat=True)
    )
    pseudonyms: dict[tuple, int] = {}
    rows = {}
    for label, model in zip(scope.TABLES, scope.archived_models(), strict=True):
        names = [field.attname for field in model._meta.concrete_fields]
        many = [field.name for field in model._meta.many_to_many]
        links = {f"{name}_id" for name in scope.user_fields(model) if name not in many}
        found = []
        for row in scope.organization_rows(model, organization_id).order_by("pk"):
            values = {name: getattr(row, name) for name in names}
            for name in many:
                values[name] = sorted(
                    usernames.get(pk, pk) for pk in getattr(row, name).values_list("pk", flat=True)
                )
            if label == "core.auditentry" and values["action"] == RESTORE_AUDIT:
                continue
            for link in links:
                if values[link] is not None:
                    values[link] = usernames[values[link]]
            if label == "surveys.response" and values["cycle_id"] in finished:
                key = (values["cycle_id"], values["rater_key"])
                values["rater_key"] = pseudonyms.setdefault(key, len(pseudonyms))
            if "content" in values:
                values["content"] = bytes(values["content"])
            found.append(values)
        rows[label] = found
    return rows


def _export(organization, tmp_path, name="archive.zip") -> Path:
    path = tmp_path / name
    organization_export(organization=organization, path=path)
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zipped(members: dict[str, bytes], path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_every_model_is_archived_or_left_out_for_a_stated_reason():
    assert scope.unlisted_models() == []


def test_round_trip_restores_every_row_of_every_table(world, org, tmp_path):
    before = _database_rows(org.pk)
    assert all(before[label] for label in scope.TABLES), [
        label for label in scope.TABLES if not before[label]
    ]
    path = _export(org, tmp_path)
    _delete_organization(org.pk)

    summary = organization_restore(path=path)

    assert summary.rows == sum(len(rows) for rows in before.values())
    assert summary.users_matched == summary.users > 0  # the accounts were still here
    after = _database_rows(org.pk)
    for label in scope.TABLES:
        assert after[label] == before[label], label
    restored = AuditEntry.objects.get(organization_id=org.pk, action=RESTORE_AUDIT)
    assert restored.changes["rows"] == summary.rows


def test_restored_answers_score_exactly_as_before(world, org, tmp_path):
    appeals, _raters = world
    before = results_compute(actor=None, cycle=appeals.cycle, reason="before the export")
    path = _export(org, tmp_path)
    _delete_organization(org.pk)
    organization_restore(path=path)

    # The leniency model groups answers by rater: the replaced keys must group them the same.
    cycle = Cycle.objects.get(pk=appeals.cycle.pk)
    after = results_compute(actor=None, cycle=cycle, reason="after the restore")
    assert after.version == before.version + 1
    assert after.departments == before.departments
    assert after.criteria == before.criteria
    assert after.payload == before.payload
    assert before.payload["providers"]


def test_new_rows_after_a_restore_take_new_ids(world, org, tmp_path):
    path = _export(org, tmp_path)
    highest = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
    _delete_organization(org.pk)
    organization_restore(path=path)
    entry = AuditEntry.objects.create(organization_id=org.pk, action="test.after_restore")
    assert entry.pk > highest


def test_a_rater_of_an_open_cycle_finds_his_draft_after_the_restore(world, org, tmp_path):
    _appeals, raters = world
    path = _export(org, tmp_path)
    _delete_organization(org.pk)
    organization_restore(path=path)

    rater = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert rater.get(raters.url()).status_code == 302
    page = rater.get(reverse("rater:step", args=[1]))
    assert 'value="2" class="extreme" checked' in page.text
    assert "Slow to answer</textarea>" in page.text


def test_the_archive_links_no_answer_to_a_person_even_with_the_keys(world, org, tmp_path):
    appeals, raters = world
    path = _export(org, tmp_path)
    members = _members(path)
    everything = b"".join(members.values())

    # No key of the installation, and no link token of any invitation, is in the archive.
    for secret in (
        settings.SECRET_KEY,
        settings.INNERCLIENT_LINK_KEY,
        settings.INNERCLIENT_RATER_KEY,
    ):
        if secret:
            assert secret.encode() not in everything
    invitations = Invitation.objects.filter(cycle__organization=org)
    tokens = {link_token(str(pid)) for pid in invitations.values_list("public_id", flat=True)}
    assert tokens and not any(token.encode() in everything for token in tokens)

    archived = [json.loads(line) for line in members[table_file("surveys.response")].splitlines()]
    by_cycle = defaultdict(set)
    for record in archived:
        by_cycle[record["fields"]["cycle"]].add(record["fields"]["rater_key"])
    # Finished cycle: none of the archived keys is what the keys derive from any invitation,
    # nor the key stored in this database.
    derivable = {rater_key(token) for token in tokens}
    stored = set(Response.objects.filter(cycle=appeals.cycle).values_list("rater_key", flat=True))
    assert by_cycle[appeals.cycle.pk] and not by_cycle[appeals.cycle.pk] & (derivable | stored)
    # Open cycle: kept, so that the rater's link goes on working.
    assert by_cycle[raters.cycle.pk] <= derivable

    # Rows in id order; response ids are random, so the order says nothing of who came first.
    ids = [record["pk"] for record in archived]
    assert ids == sorted(ids)
    # Nothing of sessions or the task queue.
    assert not [name for name in members if "session" in name or "task" in name]


def test_a_damaged_archive_is_refused_and_nothing_is_written(world, org, tmp_path):
    path = _export(org, tmp_path)
    _delete_organization(org.pk)
    members = _members(path)
    name = table_file("surveys.answer")
    members[name] = members[name].replace(b'"score": 2', b'"score": 5', 1)
    damaged = _zipped(members, tmp_path / "damaged.zip")

    with pytest.raises(ArchiveError, match="does not match its checksum"):
        organization_restore(path=damaged)
    assert not Organization.objects.filter(pk=org.pk).exists()

    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ArchiveError, match="not an organization archive"):
        organization_restore(path=truncated)
    not_zip = tmp_path / "people.csv"
    not_zip.write_text("name;email\n")
    with pytest.raises(ArchiveError, match="not an organization archive"):
        organization_restore(path=not_zip)
    assert not Organization.objects.filter(pk=org.pk).exists()


def test_an_archive_of_another_schema_is_refused(world, org, tmp_path):
    path = _export(org, tmp_path)
    _delete_organization(org.pk)
    members = _members(path)
    manifest = json.loads(members[MANIFEST])
    manifest["schema"]["surveys"].append("0099_from_the_future")
    members[MANIFEST] = json.dumps(manifest).encode()
    newer = _zipped(members, tmp_path / "newer.zip")
    with pytest.raises(ArchiveError, match="another version of the database schema"):
        organization_restore(path=newer)
    assert not Organization.objects.filter(pk=org.pk).exists()


def test_restoring_over_existing_rows_is_refused_and_changes_nothing(world, org, tmp_path):
    path = _export(org, tmp_path)
    counts = {
        label: model.objects.count()
        for label, model in zip(scope.TABLES, scope.archived_models(), strict=True)
    }
    with pytest.raises(ArchiveError, match="already exists here"):
        organization_restore(path=path)
    Organization.objects.filter(pk=org.pk).update(slug="renamed")
    with pytest.raises(ArchiveError, match="already holds rows with the archive's ids"):
        organization_restore(path=path)
    assert counts == {
        label: model.objects.count()
        for label, model in zip(scope.TABLES, scope.archived_models(), strict=True)
    }


def test_a_dry_run_checks_everything_and_keeps_nothing(world, org, tmp_path):
    path = _export(org, tmp_path)
    _delete_organization(org.pk)
    out = io.StringIO()
    call_command("organization_restore", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "dry run, nothing kept" in out.getvalue()
    assert not Organization.objects.filter(pk=org.pk).exists()


def test_the_commands_name_the_problem(org, tmp_path):
    with pytest.raises(CommandError, match="no organization “nope”"):
        call_command("organization_export", "--org", "nope", "--output", str(tmp_path))
    with pytest.raises(CommandError, match="There is no file"):
        call_command("organization_restore", str(tmp_path / "missing.zip"))
    out = io.StringIO()
    call_command(
        "organization_export",
        "--org",
        org.slug,
        "--output",
        str(tmp_path),
        stdout=out,
        stderr=io.StringIO(),
    )
    written = list(tmp_path.glob(f"{org.slug}-*.innerclient.zip"))
    assert len(written) == 1 and str(written[0]) in out.getvalue()
    assert not list(tmp_path.glob(".export-*"))  # no half-written file left behind


def _canonical(path: Path) -> dict[str, list]:
    """The archive's rows with account ids replaced by user names, for comparing archives."""
    members = _members(path)
    usernames = {
        record["pk"]: record["username"]
        for record in map(json.loads, members[USERS_FILE].splitlines())
    }
    replaced = set(json.loads(members[MANIFEST])["rater_keys"]["replaced_in_cycles"])
    pseudonyms: dict[tuple, int] = {}
    tables = {}
    for label, model in zip(scope.TABLES, scope.archived_models(), strict=True):
        links = scope.user_fields(model)
        rows = []
        for record in map(json.loads, members[table_file(label)].splitlines()):
            fields = record["fields"]
            if label == "core.auditentry" and fields["action"] == RESTORE_AUDIT:
                continue
            for link in links:
                if isinstance(fields.get(link), list):
                    fields[link] = sorted(usernames[pk] for pk in fields[link])
                elif fields.get(link) is not None:
                    fields[link] = usernames[fields[link]]
            if label == "surveys.response" and fields["cycle"] in replaced:
                key = (fields["cycle"], fields["rater_key"])
                fields["rater_key"] = pseudonyms.setdefault(key, len(pseudonyms))
            rows.append(record)
        tables[label] = rows
    return tables


def test_restore_into_a_new_installation_on_sqlite(world, org, tmp_path):
    """Another installation: its own SQLite file and keys, accounts created anew."""
    path = _export(org, tmp_path)
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'other.sqlite3'}",
        "DJANGO_SECRET_KEY": "another-installation-secret-key-for-the-restore-test-0123456789",
        "INNERCLIENT_LINK_KEY": "another-link-key",
        "INNERCLIENT_RATER_KEY": "another-rater-key",
        "DJANGO_DEBUG": "1",
    }

    def manage(*args):
        run = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        return run.stdout

    manage("migrate", "--noinput", "-v0")
    restored = manage("organization_restore", str(path))
    assert "accounts created, 0 matched" in restored
    again = tmp_path / "again.zip"
    manage("organization_export", "--org", org.slug, "--output", str(again))

    assert _canonical(again) == _canonical(path)


def test_archive_rows_keep_every_field(world, org, tmp_path):
    """The export writes every concrete field, so a restore has nothing to guess."""
    members = _members(_export(org, tmp_path))
    for label, model in zip(scope.TABLES, scope.archived_models(), strict=True):
        expected = {
            field.name
            for field in [*model._meta.concrete_fields, *model._meta.many_to_many]
            if not field.primary_key
        }
        first = json.loads(members[table_file(label)].splitlines()[0])
        assert set(first["fields"]) == expected, label
