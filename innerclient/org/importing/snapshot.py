"""The organization's current departments and people as plain values, read in two queries.

Validation compares a file against this snapshot instead of querying per row, which is what
keeps a 50,000-row file inside a few seconds; it also lets tests and hypothesis build a
snapshot by hand with no database.
"""

from dataclasses import dataclass, field

from innerclient.core.models import Organization
from innerclient.org.models import Department, Person


@dataclass(frozen=True)
class DepartmentState:
    id: int
    code: str
    name_ru: str
    name_en: str
    parent_code: str
    head_email: str
    is_active: bool


@dataclass(frozen=True)
class PersonState:
    id: int
    email: str
    full_name: str
    department_code: str
    position: str
    is_head: bool
    is_active: bool
    language: str


@dataclass
class Snapshot:
    departments: dict[str, DepartmentState] = field(default_factory=dict)  # by code
    people: dict[str, PersonState] = field(default_factory=dict)  # by lower-case email

    @property
    def department_ids(self) -> dict[str, int]:
        return {code: state.id for code, state in self.departments.items()}


def fetch_snapshot(organization: Organization, *, with_people: bool = True) -> Snapshot:
    rows = list(
        Department.objects.filter(organization=organization).values_list(
            "id", "code", "name_ru", "name_en", "parent_id", "head_id", "is_active"
        )
    )
    code_by_id = {row[0]: row[1] for row in rows}
    people_rows = (
        Person.objects.filter(organization=organization).values_list(
            "id",
            "email",
            "full_name",
            "department_id",
            "position",
            "is_head",
            "is_active",
            "language",
        )
        if with_people
        else []
    )
    people: dict[str, PersonState] = {}
    email_by_id: dict[int, str] = {}
    for pid, email, full_name, dept_id, position, is_head, is_active, language in people_rows:
        key = email.lower()
        email_by_id[pid] = key
        people[key] = PersonState(
            id=pid,
            email=key,
            full_name=full_name,
            department_code=code_by_id.get(dept_id, ""),
            position=position,
            is_head=is_head,
            is_active=is_active,
            language=language,
        )
    if not with_people:
        head_ids = [row[5] for row in rows if row[5]]
        email_by_id = {
            pid: email.lower()
            for pid, email in Person.objects.filter(pk__in=head_ids).values_list("id", "email")
        }
    departments = {
        code: DepartmentState(
            id=did,
            code=code,
            name_ru=name_ru,
            name_en=name_en,
            parent_code=code_by_id.get(parent_id, "") if parent_id else "",
            head_email=email_by_id.get(head_id, "") if head_id else "",
            is_active=is_active,
        )
        for did, code, name_ru, name_en, parent_id, head_id, is_active in rows
    }
    return Snapshot(departments=departments, people=people)
