"""Departments and people imports: checks, planned changes, apply, idempotency, atomicity."""

import pytest

from innerclient.core.models import AuditEntry
from innerclient.org.importing import apply as apply_module
from innerclient.org.models import DataImport, Department, Person
from tests.data.builders import (
    DEPT_HEADERS_EN,
    PEOPLE_HEADERS_EN,
    csv_bytes,
    departments_rows,
    people_rows,
    xlsx_bytes,
)
from tests.data.flows import apply, upload, upload_and_apply
from tests.factories import DepartmentFactory, PersonFactory

pytestmark = pytest.mark.django_db

DEPARTMENTS = [
    ("HQ", "Головной офис", ""),
    ("FIN", "Финансы", "HQ"),
    ("HR", "Кадры", "HQ"),
    ("PAY", "Расчёт зарплаты", "FIN"),
]


def _errors(data_import):
    return [(e["row"], e["field"]) for e in data_import.preview["errors"]]


def _messages(data_import):
    return " ".join(e["message"] for e in data_import.preview["errors"])


def test_departments_from_xlsx_with_russian_headers_are_created_with_hierarchy(org, coordinator):
    result = upload_and_apply(
        org, coordinator, "departments", xlsx_bytes(departments_rows(DEPARTMENTS))
    )
    assert result.status == DataImport.Status.APPLIED
    assert result.summary["created"] == 4
    pay = Department.objects.get(organization=org, code="PAY")
    assert pay.parent.code == "FIN" and pay.parent.parent.code == "HQ"
    assert pay.name_ru == "Расчёт зарплаты"
    actions = list(AuditEntry.objects.filter(organization=org).values_list("action", flat=True))
    assert actions.count("department.create") == 4
    assert actions.count("import.apply") == 1


def test_children_may_come_before_their_parents_in_the_file(org, coordinator):
    rows = [("PAY", "Зарплата", "FIN"), ("FIN", "Финансы", "HQ"), ("HQ", "Офис", "")]
    upload_and_apply(org, coordinator, "departments", xlsx_bytes(departments_rows(rows)))
    assert Department.objects.get(organization=org, code="PAY").parent.code == "FIN"


def test_reimporting_the_same_file_changes_nothing_and_writes_no_audit_rows(org, coordinator):
    content = xlsx_bytes(departments_rows(DEPARTMENTS))
    upload_and_apply(org, coordinator, "departments", content)
    audit_before = AuditEntry.objects.count()
    second = upload(org, coordinator, "departments", content)
    assert second.preview["counts"] == {
        "create": 0,
        "update": 0,
        "unchanged": 4,
        "deactivate": 0,
        "heads": 0,
    }
    result = apply(second, coordinator)
    assert result.status == DataImport.Status.APPLIED
    assert result.summary["created"] == result.summary["updated"] == 0
    assert AuditEntry.objects.count() == audit_before


def test_changed_file_updates_departments_by_code_with_field_level_changes(org, coordinator):
    upload_and_apply(org, coordinator, "departments", xlsx_bytes(departments_rows(DEPARTMENTS)))
    changed = [
        ("HQ", "Головной офис", ""),
        ("FIN", "Финансовая служба", "HQ"),
        ("HR", "Кадры", "FIN"),
        ("PAY", "Расчёт зарплаты", "FIN"),
    ]
    preview = upload(org, coordinator, "departments", xlsx_bytes(departments_rows(changed)))
    assert preview.preview["counts"]["update"] == 2
    sample = {item["key"]: item for item in preview.preview["sample"]}
    assert ["name_ru", "Финансы", "Финансовая служба"] in sample["FIN"]["fields"]
    assert ["parent_code", "HQ", "FIN"] in sample["HR"]["fields"]
    apply(preview, coordinator)
    assert Department.objects.get(organization=org, code="HR").parent.code == "FIN"
    update = AuditEntry.objects.get(action="department.update", object_repr="Финансовая служба")
    assert update.changes == {"name_ru": ["Финансы", "Финансовая служба"]}


def test_missing_departments_are_deactivated_only_when_asked_and_never_deleted(org, coordinator):
    upload_and_apply(org, coordinator, "departments", xlsx_bytes(departments_rows(DEPARTMENTS)))
    shorter = xlsx_bytes(departments_rows(DEPARTMENTS[:3]))
    kept = upload_and_apply(org, coordinator, "departments", shorter)
    assert kept.summary["deactivated"] == 0
    assert Department.objects.get(organization=org, code="PAY").is_active
    result = upload_and_apply(org, coordinator, "departments", shorter, deactivate_missing=True)
    assert result.summary["deactivated"] == 1
    pay = Department.objects.get(organization=org, code="PAY")
    assert not pay.is_active
    assert AuditEntry.objects.filter(action="department.deactivate", object_id=str(pay.pk)).exists()


@pytest.mark.parametrize(
    ("rows", "expected", "words"),
    [
        ([("A", "Альфа", ""), ("A", "Бета", "")], [(3, "code")], "repeated"),
        ([("A", "Альфа", "ZZZ")], [(2, "parent_code")], "ZZZ"),
        (
            [("A", "Альфа", "B"), ("B", "Бета", "A")],
            [(2, "parent_code"), (3, "parent_code")],
            "Cycle",
        ),
        ([("A", "Альфа", "A")], [(2, "parent_code")], "own parent"),
        ([("", "Альфа", "")], [(2, "code")], "code is empty"),
        ([("A", "", "")], [(2, "name_ru")], "name is empty"),
    ],
    ids=["duplicate-code", "unknown-parent", "cycle", "self-parent", "empty-code", "empty-name"],
)
def test_department_file_errors_are_reported_by_row_and_nothing_is_written(
    org, coordinator, rows, expected, words
):
    data_import = upload(org, coordinator, "departments", xlsx_bytes(departments_rows(rows)))
    assert data_import.status == DataImport.Status.INVALID
    assert _errors(data_import) == expected
    assert words in _messages(data_import)
    assert not Department.objects.filter(organization=org).exists()
    with pytest.raises(Exception, match="without errors"):
        apply(data_import, coordinator)


def test_cycle_through_existing_structure_is_found(org, coordinator):
    upload_and_apply(org, coordinator, "departments", xlsx_bytes(departments_rows(DEPARTMENTS)))
    # HQ under PAY, while PAY is (in the database) under FIN under HQ.
    data_import = upload(
        org, coordinator, "departments", xlsx_bytes(departments_rows([("HQ", "Офис", "PAY")]))
    )
    assert data_import.status == DataImport.Status.INVALID
    assert "Cycle" in _messages(data_import)


def test_department_head_email_of_a_person_in_another_department_is_an_error(org, coordinator):
    hq = DepartmentFactory(organization=org, code="HQ")
    fin = DepartmentFactory(organization=org, code="FIN", parent=hq)
    PersonFactory(department=fin, email="boss@example.com")
    rows = [
        ["Код подразделения", "Наименование", "Email руководителя"],
        ["HQ", "Офис", "boss@example.com"],
    ]
    data_import = upload(org, coordinator, "departments", xlsx_bytes(rows))
    assert data_import.status == DataImport.Status.INVALID
    assert _errors(data_import) == [(2, "head_email")]
    assert "outside the department" in _messages(data_import)


def test_department_head_email_sets_the_head_when_the_person_belongs_there(org, coordinator):
    hq = DepartmentFactory(organization=org, code="HQ", name_ru="Офис")
    boss = PersonFactory(department=hq, email="boss@example.com")
    rows = [
        ["Код подразделения", "Наименование", "Email руководителя"],
        ["HQ", "Офис", "BOSS@example.com"],
    ]
    upload_and_apply(org, coordinator, "departments", xlsx_bytes(rows))
    hq.refresh_from_db()
    assert hq.head == boss


def _departments(org):
    for code, name, parent in DEPARTMENTS:
        DepartmentFactory(
            organization=org,
            code=code,
            name_ru=name,
            parent=Department.objects.get(organization=org, code=parent) if parent else None,
        )


PEOPLE = [
    ("Иванов Иван", "Ivanov@Example.com", "HQ", "Директор", "да"),
    ("Петрова Анна", "petrova@example.com", "FIN", "Бухгалтер", "нет"),
    ("Сидоров Пётр", "sidorov@example.com", "FIN", "Финансовый директор", "1"),
]


def test_people_from_cp1251_semicolon_csv_are_created_and_heads_set(org, coordinator):
    _departments(org)
    content = csv_bytes(people_rows(PEOPLE), encoding="cp1251", delimiter=";")
    result = upload_and_apply(org, coordinator, "people", content, filename="people.csv")
    assert result.summary["created"] == 3 and result.summary["heads_changed"] == 2
    ivanov = Person.objects.get(organization=org, email="ivanov@example.com")
    assert ivanov.full_name == "Иванов Иван" and ivanov.is_head
    assert Department.objects.get(organization=org, code="HQ").head == ivanov
    assert Department.objects.get(organization=org, code="FIN").head.email == "sidorov@example.com"
    assert AuditEntry.objects.filter(action="person.create").count() == 3


def test_people_from_utf8_bom_comma_csv_with_english_headers(org, coordinator):
    _departments(org)
    content = csv_bytes(people_rows(PEOPLE, PEOPLE_HEADERS_EN), delimiter=",", bom=True)
    result = upload_and_apply(org, coordinator, "people", content, filename="people.csv")
    assert result.summary["created"] == 3
    assert Person.objects.get(email="petrova@example.com").position == "Бухгалтер"


def test_people_are_updated_by_case_insensitive_email(org, coordinator):
    _departments(org)
    upload_and_apply(org, coordinator, "people", xlsx_bytes(people_rows(PEOPLE)))
    moved = [("Иванов Иван Иванович", "IVANOV@example.com", "HQ", "Директор", "да"), *PEOPLE[1:]]
    preview = upload(org, coordinator, "people", xlsx_bytes(people_rows(moved)))
    assert preview.preview["counts"]["update"] == 1
    assert preview.preview["counts"]["create"] == 0
    apply(preview, coordinator)
    assert Person.objects.filter(organization=org).count() == 3
    assert Person.objects.get(email="ivanov@example.com").full_name == "Иванов Иван Иванович"
    entry = AuditEntry.objects.get(action="person.update")
    assert entry.changes == {"full_name": ["Иванов Иван", "Иванов Иван Иванович"]}


def test_people_reimport_is_a_no_op(org, coordinator):
    _departments(org)
    content = xlsx_bytes(people_rows(PEOPLE))
    upload_and_apply(org, coordinator, "people", content)
    before = AuditEntry.objects.count()
    result = upload_and_apply(org, coordinator, "people", content)
    assert result.summary == {
        "created": 0,
        "updated": 0,
        "deactivated": 0,
        "heads_changed": 0,
        "unchanged": 3,
    }
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        (("Иванов", "not-an-email", "HQ", "", ""), "email", "not an email"),
        (("", "a@example.com", "HQ", "", ""), "full_name", "full name is empty"),
        (("Иванов", "a@example.com", "NOPE", "", ""), "department_code", "Unknown department"),
        (("Иванов", "a@example.com", "HQ", "", "может быть"), "is_head", "yes or no"),
    ],
    ids=["bad-email", "empty-name", "unknown-department", "bad-head-flag"],
)
def test_people_row_errors(org, coordinator, row, field, words):
    _departments(org)
    data_import = upload(org, coordinator, "people", xlsx_bytes(people_rows([row])))
    assert data_import.status == DataImport.Status.INVALID
    assert _errors(data_import) == [(2, field)]
    assert words in _messages(data_import)
    assert not Person.objects.exists()


def test_duplicate_email_in_file_is_an_error_whatever_the_case(org, coordinator):
    _departments(org)
    rows = [PEOPLE[0], ("Другой Иванов", "IVANOV@EXAMPLE.COM", "FIN", "", "")]
    data_import = upload(org, coordinator, "people", xlsx_bytes(people_rows(rows)))
    assert _errors(data_import) == [(3, "email")]
    assert "row 2" in _messages(data_import)


def test_two_heads_of_one_department_is_an_error(org, coordinator):
    _departments(org)
    rows = [PEOPLE[0], ("Второй", "second@example.com", "HQ", "", "да")]
    data_import = upload(org, coordinator, "people", xlsx_bytes(people_rows(rows)))
    assert _errors(data_import) == [(3, "is_head")]


def test_new_head_while_the_current_head_stays_is_an_error(org, coordinator):
    _departments(org)
    upload_and_apply(org, coordinator, "people", xlsx_bytes(people_rows(PEOPLE[:1])))
    rows = [("Новый", "new@example.com", "HQ", "", "да")]  # Ivanov is not in the file: stays
    data_import = upload(org, coordinator, "people", xlsx_bytes(people_rows(rows)))
    assert _errors(data_import) == [(2, "is_head")]
    assert "already has a head" in _messages(data_import)


def test_head_who_moves_to_another_department_leaves_his_old_one_headless(org, coordinator):
    _departments(org)
    upload_and_apply(org, coordinator, "people", xlsx_bytes(people_rows(PEOPLE[:1])))
    rows = [("Иванов Иван", "ivanov@example.com", "HR", "Директор", "нет")]
    result = upload_and_apply(org, coordinator, "people", xlsx_bytes(people_rows(rows)))
    assert result.summary["heads_changed"] == 1
    assert Department.objects.get(organization=org, code="HQ").head is None


def test_missing_people_are_deactivated_when_asked(org, coordinator):
    _departments(org)
    upload_and_apply(org, coordinator, "people", xlsx_bytes(people_rows(PEOPLE)))
    result = upload_and_apply(
        org, coordinator, "people", xlsx_bytes(people_rows(PEOPLE[:2])), deactivate_missing=True
    )
    assert result.summary["deactivated"] == 1
    assert not Person.objects.get(email="sidorov@example.com").is_active
    assert Person.objects.filter(organization=org).count() == 3


def test_a_failure_in_the_middle_of_apply_leaves_nothing_written(org, coordinator, monkeypatch):
    _departments(org)
    data_import = upload(org, coordinator, "people", xlsx_bytes(people_rows(PEOPLE)))
    audit_before = AuditEntry.objects.count()
    real_bulk_create = AuditEntry.objects.bulk_create

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    # People are already inserted when the audit rows fail to write.
    monkeypatch.setattr(apply_module.AuditEntry.objects, "bulk_create", explode)
    result = apply(data_import, coordinator)
    monkeypatch.setattr(apply_module.AuditEntry.objects, "bulk_create", real_bulk_create)
    assert result.status == DataImport.Status.FAILED
    assert "disk full" in result.summary["error"]
    assert not Person.objects.filter(organization=org).exists()
    assert Department.objects.get(organization=org, code="HQ").head is None
    assert AuditEntry.objects.count() == audit_before


def test_unknown_headers_need_the_mapping_step(org, coordinator):
    rows = [["Шифр отдела X", "Как называется", "Над кем"], ["A", "Альфа", ""]]
    data_import = upload(org, coordinator, "departments", xlsx_bytes(rows))
    assert data_import.status == DataImport.Status.NEEDS_MAPPING
    from innerclient.org.importing import pipeline

    pipeline.data_import_set_mapping(
        actor=coordinator,
        data_import=data_import,
        mapping={"Шифр отдела X": "code", "Как называется": "name_ru", "Над кем": "parent_code"},
    )
    validated = pipeline.data_import_start_validation(actor=coordinator, data_import=data_import)
    assert validated.status == DataImport.Status.PREVIEW
    apply(validated, coordinator)
    assert Department.objects.get(organization=org, code="A").name_ru == "Альфа"


def test_mapping_must_name_every_required_field_once(org, coordinator):
    from django.core.exceptions import ValidationError

    from innerclient.org.importing import pipeline

    rows = [["X", "Y"], ["A", "Альфа"]]
    data_import = upload(org, coordinator, "departments", xlsx_bytes(rows))
    with pytest.raises(ValidationError) as raised:
        pipeline.data_import_set_mapping(
            actor=coordinator, data_import=data_import, mapping={"X": "code", "Y": "code"}
        )
    text = " ".join(raised.value.messages)
    assert "more than one column" in text and "Name (Russian)" in text


def test_english_headers_for_departments(org, coordinator):
    content = csv_bytes(departments_rows(DEPARTMENTS, DEPT_HEADERS_EN), delimiter=",")
    result = upload_and_apply(org, coordinator, "departments", content, filename="d.csv")
    assert result.summary["created"] == 4
