"""Property-based checks of the importer: random valid files import cleanly and re-import
as a no-op; random corruptions are reported and nothing is written."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innerclient.core.models import AuditEntry
from innerclient.org.models import DataImport, Department, Person
from tests.data.builders import DEPT_HEADERS_RU, PEOPLE_HEADERS_EN, csv_bytes
from tests.data.flows import apply, upload
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-_", min_size=1, max_size=8)
names = (
    st.text(
        alphabet=st.characters(categories=("L", "N"), include_characters=" .,;\"'-"),
        min_size=1,
        max_size=30,
    )
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@st.composite
def hierarchies(draw):
    """(code, name, parent code) rows forming a forest, in a random order."""
    unique_codes = draw(st.lists(codes, min_size=1, max_size=25, unique=True))
    rows = []
    for index, code in enumerate(unique_codes):
        parent = draw(st.sampled_from(["", *unique_codes[:index]]))
        rows.append((code, draw(names), parent))
    return draw(st.permutations(rows))


def _csv(rows):
    return csv_bytes([DEPT_HEADERS_RU, *[list(r) for r in rows]], delimiter=";")


@HYPOTHESIS
@given(rows=hierarchies())
def test_random_valid_hierarchies_import_cleanly_and_reimport_is_a_no_op(coordinator, rows):
    org = OrganizationFactory()
    data_import = upload(org, coordinator, "departments", _csv(rows), "d.csv")
    assert data_import.status == DataImport.Status.PREVIEW, data_import.preview["errors"]
    assert apply(data_import, coordinator).status == DataImport.Status.APPLIED
    stored = {
        d.code: (d.name_ru, d.parent.code if d.parent else "")
        for d in Department.objects.filter(organization=org).select_related("parent")
    }
    assert stored == {code: (name, parent) for code, name, parent in rows}
    audit = AuditEntry.objects.filter(organization=org).count()
    again = upload(org, coordinator, "departments", _csv(rows), "d.csv")
    assert again.preview["counts"]["create"] == again.preview["counts"]["update"] == 0
    apply(again, coordinator)
    assert AuditEntry.objects.filter(organization=org).count() == audit


@st.composite
def corrupted(draw):
    rows = [list(r) for r in draw(hierarchies())]
    kinds = ["duplicate", "empty_name", "empty_code", "unknown_parent", "bad_active"]
    if len(rows) >= 2:
        kinds.append("cycle")
    kind = draw(st.sampled_from(kinds))
    index = draw(st.integers(0, len(rows) - 1))
    for row in rows:
        row.append("да")
    if kind == "duplicate":
        rows.append([rows[index][0], "Копия", "", "да"])
    elif kind == "empty_name":
        rows[index][1] = ""
    elif kind == "empty_code":
        rows[index][0] = ""
    elif kind == "unknown_parent":
        rows[index][2] = "NO-SUCH-PARENT"
    elif kind == "bad_active":
        rows[index][3] = "возможно"
    else:  # every department under the next one, closing a ring
        for position, row in enumerate(rows):
            row[2] = rows[(position + 1) % len(rows)][0]
    return kind, rows


@HYPOTHESIS
@given(case=corrupted())
def test_random_corruptions_are_reported_and_nothing_is_written(coordinator, case):
    kind, rows = case
    org = OrganizationFactory()
    content = csv_bytes([[*DEPT_HEADERS_RU, "Активен"], *rows], delimiter=";")
    data_import = upload(org, coordinator, "departments", content, "d.csv")
    assert data_import.status == DataImport.Status.INVALID, kind
    assert data_import.preview["errors"], kind
    assert all(e["row"] and e["row"] >= 2 for e in data_import.preview["errors"])
    with pytest.raises(Exception, match="without errors"):
        apply(data_import, coordinator)
    assert not Department.objects.filter(organization=org).exists()
    assert not AuditEntry.objects.filter(organization=org).exists()


local_parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._", min_size=1, max_size=12)


@HYPOTHESIS
@given(
    emails=st.lists(local_parts, min_size=1, max_size=20, unique=True),
    data=st.data(),
)
def test_random_people_import_and_reimport_with_other_email_case_is_a_no_op(
    coordinator, emails, data
):
    org = OrganizationFactory()
    for code in ("A", "B", "C"):
        Department.objects.create(organization=org, code=code, name_ru=code)
    rows = [
        [data.draw(names), f"{local}@example.com", data.draw(st.sampled_from("ABC")), "", "no"]
        for local in emails
    ]
    content = csv_bytes([PEOPLE_HEADERS_EN, *rows], delimiter=",")
    apply(upload(org, coordinator, "people", content, "p.csv"), coordinator)
    assert Person.objects.filter(organization=org).count() == len(emails)
    shouted = [[r[0], r[1].upper(), *r[2:]] for r in rows]
    audit = AuditEntry.objects.filter(organization=org).count()
    again = upload(
        org, coordinator, "people", csv_bytes([PEOPLE_HEADERS_EN, *shouted], delimiter=","), "p.csv"
    )
    assert again.preview["counts"]["unchanged"] == len(emails), again.preview
    apply(again, coordinator)
    assert AuditEntry.objects.filter(organization=org).count() == audit
