"""One organization in one file: export to a zip archive, restore into an empty installation.

The archive is a zip of JSON Lines files, one per table (``scope.TABLES``), plus
``users.jsonl`` for the accounts the rows refer to and ``manifest.json`` with the format, the
database schema it was made with, and each file's row count and SHA-256. Rows keep their ids,
so everything that refers to an id — foreign keys, result snapshots, the audit log — stays
true after a restore; a restore therefore needs an installation that has none of those ids
yet (an empty one, or one the organization was removed from), and refuses otherwise.

Anonymity holds in the archive as in the database (docs/anonymity.md), and one step further:

- No key, session or queued task is in it: the link and rater keys stay with the installation.
- Rows are written in id order. Response, answer and open-answer ids are random UUIDs, so the
  files show no insertion order (a plain database dump can).
- The rater keys of cycles that are closed or published are replaced by a keyed hash under a
  random key that is used for this archive only and then forgotten. Scoring still sees which
  answers come from the same rater, but not even the installation's own keys lead from an
  invitation to an answer in the archive. Open cycles keep their keys, so that raters' links
  go on working after a restore into an installation that has the same keys.

Exporting is a command for whoever runs the server (``manage.py organization_export``), not a
page: the archive holds raw answers and comments of small groups that no page shows.
"""

import datetime as dt
import hashlib
import hmac
import io
import json
import os
import secrets
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.translation import gettext as _

from innerclient.backup import scope
from innerclient.core.audit import audit_record
from innerclient.core.models import Organization
from innerclient.surveys.models import Cycle

FORMAT = "innerclient.organization-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
USERS_FILE = "users.jsonl"
BATCH = 1000

# Account fields that travel. Staff and superuser flags are the installation's business and
# never come from an archive.
USER_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "password",
    "is_active",
    "date_joined",
    "last_login",
)
REKEYED_STATUSES = (Cycle.Status.CLOSED, Cycle.Status.PUBLISHED)

Progress = Callable[[str, int, int], None]  # (table label, rows done, rows in all)


class ArchiveError(Exception):
    """The archive cannot be made or restored; the message says why, for the operator."""


@dataclass
class ArchiveSummary:
    path: Path
    organization: str
    tables: dict[str, int] = field(default_factory=dict)
    users: int = 0
    users_matched: int = 0
    bytes: int = 0
    seconds: float = 0.0
    rekeyed_cycles: int = 0
    kept_cycles: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def table_file(label: str) -> str:
    return f"tables/{label}.jsonl"


def _schema() -> dict[str, list[str]]:
    """Applied migrations of the archived apps, which a restore must match exactly."""
    labels = sorted({label.split(".")[0] for label in scope.TABLES} | {"auth"})
    applied: dict[str, list[str]] = {label: [] for label in labels}
    for app_label, name in MigrationRecorder(connection).applied_migrations():
        if app_label in applied:
            applied[app_label].append(name)
    return {label: sorted(names) for label, names in applied.items()}


class _Encoder(DjangoJSONEncoder):
    """Django's encoder cuts times to milliseconds; an archive keeps them whole."""

    def default(self, o):
        if isinstance(o, (dt.datetime, dt.time)):
            return o.isoformat()
        return super().default(o)


def _json_line(record: dict) -> bytes:
    return (json.dumps(record, cls=_Encoder, ensure_ascii=False) + "\n").encode()


# --- export -------------------------------------------------------------------------------------


def organization_export(
    *, organization: Organization, path: Path, progress: Progress | None = None
) -> ArchiveSummary:
    """Write the organization to ``path`` (replaced only once the archive is complete)."""
    started = time.perf_counter()
    path = Path(path)
    summary = ArchiveSummary(path=path, organization=organization.slug)
    handle, scratch = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=path.parent)
    os.close(handle)
    try:
        with _consistent_read(), zipfile.ZipFile(scratch, "w", zipfile.ZIP_DEFLATED) as archive:
            manifest = _export_tables(archive, organization, summary, progress)
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
        os.replace(scratch, path)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    summary.bytes = path.stat().st_size
    summary.seconds = time.perf_counter() - started
    return summary


class _consistent_read:
    """One snapshot of the database for the whole export, so the tables agree with each other.

    SQLite in WAL mode reads from one snapshot inside a transaction; PostgreSQL needs
    REPEATABLE READ for that (READ COMMITTED takes a new snapshot per query).
    """

    def __enter__(self):
        self.atomic = transaction.atomic()
        outermost = not connection.in_atomic_block
        self.atomic.__enter__()
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return self

    def __exit__(self, *exc):
        return self.atomic.__exit__(*exc)


def _export_tables(archive, organization, summary, progress) -> dict:
    organization_id = organization.pk
    counts = {
        label: scope.organization_rows(model, organization_id).count()
        for label, model in zip(scope.TABLES, scope.archived_models(), strict=True)
    }
    total = sum(counts.values())
    done = 0
    cycles = dict(Cycle.objects.filter(organization_id=organization_id).values_list("pk", "status"))
    rekeyed = {pk for pk, status in cycles.items() if status in REKEYED_STATUSES}
    summary.rekeyed_cycles, summary.kept_cycles = len(rekeyed), len(cycles) - len(rekeyed)
    pseudonym = _Repseudonymizer(rekeyed)
    files: dict[str, dict] = {}
    user_ids: set[int] = set()
    for label, model in zip(scope.TABLES, scope.archived_models(), strict=True):
        links = scope.user_fields(model)
        rows = scope.organization_rows(model, organization_id).order_by("pk")
        name = table_file(label)
        digest = hashlib.sha256()
        written = 0
        with archive.open(_member(name), "w") as stream:
            for record in _serialized(rows):
                if label == "surveys.response":
                    pseudonym.apply(record["fields"])
                for link in links:
                    value = record["fields"].get(link)
                    if isinstance(value, list):
                        user_ids.update(value)
                    elif value is not None:
                        user_ids.add(value)
                line = _json_line(record)
                digest.update(line)
                stream.write(line)
                written += 1
                if progress and written % BATCH == 0:
                    progress(label, done + written, total)
        done += written
        summary.tables[label] = written
        files[name] = {"table": label, "rows": written, "sha256": digest.hexdigest()}
        if progress:
            progress(label, done, total)
    files[USERS_FILE] = _export_users(archive, user_ids)
    summary.users = files[USERS_FILE]["rows"]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "organization": {"id": organization.pk, "slug": organization.slug},
        "schema": _schema(),
        "rater_keys": {
            "replaced_in_cycles": sorted(rekeyed),
            "kept_in_cycles": sorted(set(cycles) - rekeyed),
        },
        "files": files,
    }


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=timezone.localtime().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _serialized(rows) -> Iterator[dict]:
    serializer = serializers.get_serializer("python")()
    chunk: list = []
    for row in rows.iterator(chunk_size=BATCH):
        chunk.append(row)
        if len(chunk) == BATCH:
            yield from serializer.serialize(chunk)
            chunk = []
    if chunk:
        yield from serializer.serialize(chunk)


class _Repseudonymizer:
    """Replaces rater keys of finished cycles under a key that exists for one export only."""

    def __init__(self, cycle_ids: set[int]):
        self.cycle_ids = cycle_ids
        self.key = secrets.token_bytes(32)

    def apply(self, fields: dict) -> None:
        if fields["cycle"] in self.cycle_ids:
            message = f"archive-rater:{fields['rater_key']}".encode()
            fields["rater_key"] = hmac.new(self.key, message, "sha256").hexdigest()


def _export_users(archive, user_ids: set[int]) -> dict:
    user_model = get_user_model()
    digest = hashlib.sha256()
    rows = 0
    with archive.open(_member(USERS_FILE), "w") as stream:
        for values in (
            user_model._default_manager.filter(pk__in=user_ids)
            .order_by("pk")
            .values("pk", *USER_FIELDS)
        ):
            line = _json_line(values)
            digest.update(line)
            stream.write(line)
            rows += 1
    return {"table": scope.USERS, "rows": rows, "sha256": digest.hexdigest()}


# --- restore ------------------------------------------------------------------------------------


@dataclass
class _Archive:
    manifest: dict
    zipfile: zipfile.ZipFile

    def lines(self, name: str) -> Iterator[dict]:
        with self.zipfile.open(name) as stream:
            for line in io.TextIOWrapper(stream, encoding="utf-8"):
                if line.strip():
                    yield json.loads(line)


def archive_read(path: Path) -> dict:
    """The manifest of a checked archive (format, schema and checksums), or ArchiveError."""
    with _opened(path) as archive:
        return archive.manifest


class _opened:
    def __init__(self, path: Path):
        self.path = Path(path)

    def __enter__(self) -> _Archive:
        try:
            self.zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise ArchiveError(_("There is no file %(path)s.") % {"path": self.path}) from None
        except (zipfile.BadZipFile, OSError):
            raise ArchiveError(
                _("%(path)s is not an organization archive (not a zip file).") % {"path": self.path}
            ) from None
        try:
            archive = _Archive(manifest=self._manifest(), zipfile=self.zip)
            self._verify(archive.manifest)
        except BaseException:
            self.zip.close()
            raise
        return archive

    def __exit__(self, *exc):
        self.zip.close()

    def _manifest(self) -> dict:
        try:
            manifest = json.loads(self.zip.read(MANIFEST))
        except (KeyError, ValueError):
            manifest = None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ArchiveError(
                _("%(path)s is not an organization archive (no manifest).") % {"path": self.path}
            )
        if manifest.get("format_version") != FORMAT_VERSION:
            raise ArchiveError(
                _("The archive has format version %(found)s; this version reads %(expected)s.")
                % {"found": manifest.get("format_version"), "expected": FORMAT_VERSION}
            )
        return manifest

    def _verify(self, manifest: dict) -> None:
        listed = set(manifest["files"])
        expected = {table_file(label) for label in scope.TABLES} | {USERS_FILE}
        present = set(self.zip.namelist()) - {MANIFEST}
        missing = sorted((expected - listed) | (listed - present))
        if missing:
            raise ArchiveError(
                _("The archive is incomplete: %(files)s missing.") % {"files": ", ".join(missing)}
            )
        for name in sorted(listed):
            digest = hashlib.sha256()
            rows = 0
            try:
                with self.zip.open(name) as stream:
                    for line in stream:
                        digest.update(line)
                        rows += 1
            except (zipfile.BadZipFile, OSError, EOFError):
                raise ArchiveError(
                    _("The archive is damaged: %(file)s cannot be read.") % {"file": name}
                ) from None
            entry = manifest["files"][name]
            if digest.hexdigest() != entry["sha256"] or rows != entry["rows"]:
                raise ArchiveError(
                    _("The archive is damaged: %(file)s does not match its checksum.")
                    % {"file": name}
                )


def organization_restore(
    *, path: Path, actor=None, progress: Progress | None = None, dry_run: bool = False
) -> ArchiveSummary:
    """Recreate the archived organization here, all of it or nothing.

    Refuses (ArchiveError, nothing written) when the archive is damaged, was made with another
    database schema, or any of its ids or its short name is already taken here.
    """
    started = time.perf_counter()
    with _opened(path) as archive:
        manifest = archive.manifest
        _check_schema(manifest["schema"])
        summary = ArchiveSummary(path=Path(path), organization=manifest["organization"]["slug"])
        try:
            with transaction.atomic():
                _check_free(archive)
                users = _restore_users(archive, summary)
                _restore_tables(archive, users, summary, progress)
                if dry_run:
                    # Sequences are not transactional: a dry run must not move them.
                    transaction.set_rollback(True)
                    return _finished(summary, started)
                _reset_sequences()
                organization = Organization.objects.get(pk=manifest["organization"]["id"])
                audit_record(
                    organization=organization,
                    actor=actor,
                    action="organization.restored",
                    obj=organization,
                    changes={
                        "archive_created_at": manifest["created_at"],
                        "rows": summary.rows,
                        "accounts_created": summary.users - summary.users_matched,
                        "accounts_matched": summary.users_matched,
                    },
                )
        except (IntegrityError, DataError, DeserializationError) as error:
            raise ArchiveError(
                _("The archive's rows do not fit together (%(error)s); nothing was restored.")
                % {"error": error}
            ) from None
    return _finished(summary, started)


def _finished(summary: ArchiveSummary, started: float) -> ArchiveSummary:
    summary.seconds = time.perf_counter() - started
    return summary


def _check_schema(archived: dict[str, list[str]]) -> None:
    current = _schema()
    differing = sorted(
        label for label in set(archived) | set(current) if archived.get(label) != current.get(label)
    )
    if differing:
        raise ArchiveError(
            _(
                "The archive was made with another version of the database schema (%(apps)s "
                "differ). Restore it with the version of Inner Client that made it, then upgrade."
            )
            % {"apps": ", ".join(differing)}
        )


def _check_free(archive: _Archive) -> None:
    slug = archive.manifest["organization"]["slug"]
    if Organization.objects.filter(slug=slug).exists():
        raise ArchiveError(
            _("An organization with the short name “%(slug)s” already exists here.")
            % {"slug": slug}
        )
    taken = []
    for label, model in zip(scope.TABLES, scope.archived_models(), strict=True):
        ids = [record["pk"] for record in archive.lines(table_file(label))]
        for start in range(0, len(ids), BATCH):
            if model._default_manager.filter(pk__in=ids[start : start + BATCH]).exists():
                taken.append(label)
                break
    if taken:
        raise ArchiveError(
            _(
                "This installation already holds rows with the archive's ids (%(tables)s). "
                "Restore into an empty installation."
            )
            % {"tables": ", ".join(taken)}
        )


def _restore_users(archive: _Archive, summary: ArchiveSummary) -> dict[int, int]:
    """Archived account id -> account id here; an existing user name keeps its account."""
    user_model = get_user_model()
    records = list(archive.lines(USERS_FILE))
    existing = dict(
        user_model._default_manager.filter(
            username__in=[record["username"] for record in records]
        ).values_list("username", "pk")
    )
    mapping = {}
    for record in records:
        if record["username"] in existing:
            mapping[record["pk"]] = existing[record["username"]]
            summary.users_matched += 1
            continue
        values = {name: record[name] for name in USER_FIELDS}
        for name in ("date_joined", "last_login"):
            if values[name]:
                values[name] = user_model._meta.get_field(name).to_python(values[name])
        mapping[record["pk"]] = user_model._default_manager.create(**values).pk
    summary.users = len(records)
    return mapping


def _restore_tables(archive, users: dict[int, int], summary, progress) -> None:
    total = sum(
        entry["rows"] for name, entry in archive.manifest["files"].items() if name != USERS_FILE
    )
    done = 0
    for label, model in zip(scope.TABLES, scope.archived_models(), strict=True):
        links = scope.user_fields(model)
        batch: list = []
        written = 0
        for deserialized in serializers.deserialize(
            "python", _with_users(archive.lines(table_file(label)), links, users)
        ):
            batch.append(deserialized)
            if len(batch) == BATCH:
                _insert_raw(model, batch)
                written += len(batch)
                batch = []
                if progress:
                    progress(label, done + written, total)
        if batch:
            _insert_raw(model, batch)
            written += len(batch)
        done += written
        summary.tables[label] = written
        if progress:
            progress(label, done, total)
    _check_constraints()


def _insert_raw(model, batch: list) -> None:
    """INSERT the rows as they are, then their many-to-many links.

    ``bulk_create`` would stamp ``auto_now_add`` fields with the time of the restore; a raw
    insert, as ``loaddata`` does, keeps the archived times.
    """
    objects = [deserialized.object for deserialized in batch]
    fields = model._meta.local_concrete_fields
    size = connection.ops.bulk_batch_size(fields, objects) or len(objects)
    for start in range(0, len(objects), size):
        model._base_manager._insert(objects[start : start + size], fields=fields, raw=True)
    for deserialized in batch:
        for name, values in (deserialized.m2m_data or {}).items():
            getattr(deserialized.object, name).set(values)


def _with_users(records: Iterable[dict], links: list[str], users: dict[int, int]) -> Iterator[dict]:
    for record in records:
        for link in links:
            archived = record["fields"].get(link)
            if isinstance(archived, list):
                record["fields"][link] = [users[pk] for pk in archived]
            elif archived is not None:
                record["fields"][link] = users[archived]
        yield record


def _check_constraints() -> None:
    """Foreign keys are checked at commit; check now, so the error names the table."""
    tables = [model._meta.db_table for model in scope.archived_models()]
    try:
        connection.check_constraints(table_names=tables)
    except (IntegrityError, DatabaseError) as error:
        raise IntegrityError(str(error)) from None


def _reset_sequences() -> None:
    """Rows came with their ids; the next new row must get an id after them (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), scope.archived_models())
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def export_filename(organization: Organization) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return f"{organization.slug}-{stamp}.innerclient.zip"
