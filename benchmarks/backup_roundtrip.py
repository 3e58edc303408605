"""Benchmark: the demo company exported to one archive and restored into an empty installation.

Each installation is a separate database driven through ``manage.py`` in its own process, as
an operator would: the source gets ``migrate`` and ``demo_company`` (about 60 departments,
2,900 people, four published cycles), then ``organization_export``; the target gets ``migrate``
and ``organization_restore``, then exports again. Prints the time of each step, rows per
second, the archive's size, and the comparison of the two archives: the row count of every
table, and the checksum of every table the restore does not legitimately change (responses
of finished cycles get new rater pseudonyms on each export; the audit log gains the restore's
own entry; accounts get new ids). Usage::

    .venv/bin/python benchmarks/backup_roundtrip.py [--db sqlite|postgres|both]

PostgreSQL at $BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432); the script
creates and drops its own databases there. ``both`` also restores the SQLite archive into
PostgreSQL.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
CHANGED_BY_RESTORE = {
    "tables/surveys.response.jsonl",
    "tables/core.auditentry.jsonl",
    "users.jsonl",
}


class Installation:
    def __init__(self, name: str, kind: str, scratch: Path):
        self.name = name
        self.kind = kind
        if kind == "sqlite":
            self.url = f"sqlite:///{scratch / (name + '.sqlite3')}"
        else:
            self.database = f"ic_bench_backup_{name}"
            self.url = f"{POSTGRES}/{self.database}"
            self.psql(f"DROP DATABASE IF EXISTS {self.database}")
            self.psql(f"CREATE DATABASE {self.database}")
        self.env = os.environ | {
            "DATABASE_URL": self.url,
            "INNERCLIENT_DATA_DIR": str(scratch / name),
            "DJANGO_LOG_LEVEL": "WARNING",
        }

    def psql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
            connection.execute(statement)

    def manage(self, *args: str) -> tuple[float, str]:
        started = time.perf_counter()
        run = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if run.returncode:
            sys.exit(f"{self.name}: manage.py {' '.join(args)} failed:\n{run.stderr[-3000:]}")
        return time.perf_counter() - started, run.stdout

    def drop(self) -> None:
        if self.kind == "postgres":
            self.psql(f"DROP DATABASE IF EXISTS {self.database}")


def seconds_in(output: str) -> float:
    """The command's own time (without Python's start-up), from its summary line."""
    found = re.search(r"in ([\d.]+) s\.|; ([\d.]+) s\.", output)
    return float(next(group for group in found.groups() if group)) if found else float("nan")


def manifest(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def content(path: Path, name: str) -> list:
    with zipfile.ZipFile(path) as archive:
        return [json.loads(line) for line in archive.read(name).splitlines()]


def roundtrip(source: Installation, target: Installation, scratch: Path, built: dict) -> dict:
    if source.name not in built:
        source.manage("migrate", "--noinput", "-v0")
        seconds, _ = source.manage("demo_company")
        built[source.name] = seconds
        print(f"  {source.name}: demo company built in {seconds:.1f} s")
    archive = scratch / f"{source.name}.zip"
    if not archive.exists():
        _, out = source.manage("organization_export", "--org", "demo", "--output", str(archive))
        built[f"{source.name} export"] = seconds_in(out)
        print(f"  {source.name}: {out.strip()}")
    exported = manifest(archive)
    rows = sum(e["rows"] for name, e in exported["files"].items() if name.startswith("tables/"))

    target.manage("migrate", "--noinput", "-v0")
    wall, out = target.manage("organization_restore", str(archive))
    restore_seconds = seconds_in(out)
    print(f"  {target.name}: {out.strip()}")
    again = scratch / f"{target.name}-again.zip"
    target.manage("organization_export", "--org", "demo", "--output", str(again))
    reexported = manifest(again)

    counts_differ = [
        name
        for name, entry in exported["files"].items()
        if reexported["files"][name]["rows"] != entry["rows"]
        and name != "tables/core.auditentry.jsonl"
    ]
    audit = "tables/core.auditentry.jsonl"
    audit_added = reexported["files"][audit]["rows"] - exported["files"][audit]["rows"]
    # Compared as parsed JSON: PostgreSQL's jsonb keeps object keys in its own order.
    checksums_differ = [
        name
        for name in exported["files"]
        if name not in CHANGED_BY_RESTORE and content(archive, name) != content(again, name)
    ]
    return {
        "rows": rows,
        "archive_mb": round(archive.stat().st_size / 1e6, 2),
        "export_seconds": built[f"{source.name} export"],
        "restore_seconds": restore_seconds,
        "restore_wall_seconds": round(wall, 1),
        "restore_rows_per_second": round(rows / restore_seconds) if restore_seconds else None,
        "tables_with_other_counts": counts_differ,
        "audit_rows_added": audit_added,
        "tables_with_other_content": checksums_differ,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="innerclient-backup-bench-"))
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    pairs = [(kind, kind) for kind in kinds]
    if args.db == "both":
        pairs.append(("sqlite", "postgres"))

    installations: dict[str, Installation] = {}
    built: dict[str, float] = {}
    results = {}
    try:
        for source_kind, target_kind in pairs:
            label = f"{source_kind} → {target_kind}"
            print(label)
            source = installations.setdefault(
                f"source_{source_kind}", Installation(f"source_{source_kind}", source_kind, scratch)
            )
            target = Installation(f"target_{source_kind}_{target_kind}", target_kind, scratch)
            installations[target.name] = target
            results[label] = roundtrip(source, target, scratch, built)
    finally:
        for installation in installations.values():
            installation.drop()

    print()
    print(
        f"{'':22} {'rows':>7} {'MB':>5} {'export s':>8} {'restore s':>9} {'rows/s':>7}  differences"
    )
    for label, figures in results.items():
        differences = figures["tables_with_other_counts"] + figures["tables_with_other_content"]
        print(
            f"{label:22} {figures['rows']:>7,} {figures['archive_mb']:>5} "
            f"{figures['export_seconds']:>8} {figures['restore_seconds']:>9} "
            f"{figures['restore_rows_per_second']:>7,}  "
            f"{', '.join(differences) or 'none'} (audit +{figures['audit_rows_added']})"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if any(
        f["tables_with_other_counts"] or f["tables_with_other_content"] for f in results.values()
    ):
        sys.exit(1)


if __name__ == "__main__":
    main()
