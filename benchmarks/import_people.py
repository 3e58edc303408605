"""Benchmark: import ~300 departments and 50,000 people from XLSX through the app's services.

Runs on a scratch SQLite database in a temporary directory (or $DATABASE_URL if set), so it
never touches the development data. Usage::

    .venv/bin/python benchmarks/import_people.py [--people 50000] [--departments 300]

Prints the time of each phase; the goal is under 15 s in total on a 2-core machine.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRATCH = tempfile.mkdtemp(prefix="innerclient-bench-")
os.environ.setdefault("INNERCLIENT_DATA_DIR", SCRATCH)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innerclient.settings")
os.environ["INNERCLIENT_IMPORT_INLINE_MAX_ROWS"] = "10000000"  # measure the work, not a queue
os.environ["DJANGO_LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from innerclient.core.models import AuditEntry, Organization  # noqa: E402
from innerclient.org.importing import pipeline  # noqa: E402
from innerclient.org.models import DataImport, Person  # noqa: E402


def xlsx(rows) -> bytes:
    import io

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def departments_file(count: int) -> bytes:
    rows = [["Код подразделения", "Наименование", "Наименование EN", "Родительское подразделение"]]
    rows.append(["D000", "Головной офис", "Head office", ""])
    for i in range(1, count):
        parent = f"D{(i - 1) // 8:03d}"  # a tree about 3 levels deep
        rows.append([f"D{i:03d}", f"Подразделение {i}", f"Department {i}", parent])
    return xlsx(rows)


def people_file(count: int, departments: int) -> bytes:
    rows = [["ФИО", "Эл. почта", "Код подразделения", "Должность", "Руководитель", "Язык"]]
    for i in range(count):
        department = i % departments
        head = "да" if i < departments else "нет"
        rows.append(
            [
                f"Сотрудник Номер {i}",
                f"Person.{i}@Example.com",
                f"D{department:03d}",
                "Специалист",
                head,
                "ru" if i % 5 else "en",
            ]
        )
    return xlsx(rows)


class Clock:
    def __init__(self):
        self.phases: list[tuple[str, float]] = []

    def run(self, name, function, *args, **kwargs):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        self.phases.append((name, time.perf_counter() - start))
        print(f"  {name:<34} {self.phases[-1][1]:7.2f} s", flush=True)
        return result


def import_file(clock: Clock, *, actor, organization, kind: str, content: bytes, label: str):
    table = clock.run(f"{label}: parse", pipeline.read_upload, content=content, filename="f.xlsx")
    data_import = clock.run(
        f"{label}: store upload",
        pipeline.data_import_create,
        actor=actor,
        organization=organization,
        kind=kind,
        filename=f"{kind}.xlsx",
        content=content,
        table=table,
    )
    data_import = clock.run(
        f"{label}: validate + preview", pipeline.data_import_validate, data_import_id=data_import.pk
    )
    assert data_import.status == DataImport.Status.PREVIEW, data_import.preview["errors"][:5]
    data_import.status = DataImport.Status.PREVIEW
    result = clock.run(
        f"{label}: apply (re-check + write)",
        pipeline.data_import_apply,
        data_import_id=data_import.pk,
        actor_id=actor.pk,
    )
    assert result.status == DataImport.Status.APPLIED, result.summary
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--departments", type=int, default=300)
    args = parser.parse_args()

    print(f"database: {django.db.connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    actor = User.objects.create_user("bench@example.com", password="x")
    organization = Organization.objects.create(name="Benchmark", slug=f"bench-{time.time_ns()}")

    start = time.perf_counter()
    dept_content = departments_file(args.departments)
    people_content = people_file(args.people, args.departments)
    print(
        f"generated files in {time.perf_counter() - start:.2f} s "
        f"(people.xlsx: {len(people_content) / 2**20:.1f} MB)"
    )

    clock = Clock()
    import_file(
        clock,
        actor=actor,
        organization=organization,
        kind="departments",
        content=dept_content,
        label="departments",
    )
    result = import_file(
        clock,
        actor=actor,
        organization=organization,
        kind="people",
        content=people_content,
        label="people",
    )
    total = sum(seconds for _name, seconds in clock.phases)
    people_total = sum(s for n, s in clock.phases if n.startswith("people"))
    print(f"  {'people total':<34} {people_total:7.2f} s")
    print(f"  {'TOTAL':<34} {total:7.2f} s   summary: {result.summary}")
    assert Person.objects.filter(organization=organization).count() == args.people
    print(f"audit rows: {AuditEntry.objects.filter(organization=organization).count()}")

    clock2 = Clock()
    again = import_file(
        clock2,
        actor=actor,
        organization=organization,
        kind="people",
        content=people_content,
        label="re-import",
    )
    print(
        f"  {'re-import total':<34} {sum(s for _n, s in clock2.phases):7.2f} s   "
        f"summary: {again.summary}"
    )


if __name__ == "__main__":
    main()
