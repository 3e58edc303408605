"""Write a validated plan: bulk inserts and updates plus one audit row per changed object.

Callers run these inside one transaction (``pipeline.data_import_apply``). Rows go in with
``bulk_create``/``bulk_update`` because per-row ``save()`` and ``audit_record`` calls take
minutes on a 50,000-person file.
"""

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from innerclient.core.models import AuditEntry, Organization
from innerclient.org.importing.validate import Change, Plan
from innerclient.org.models import Department, Person

BATCH = 1000


@dataclass(frozen=True)
class ApplyResult:
    created: int = 0
    updated: int = 0
    deactivated: int = 0
    heads_changed: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "heads_changed": self.heads_changed,
            "unchanged": self.unchanged,
        }


def _audit(organization, actor, action, obj_type, obj_id, obj_repr, changes) -> AuditEntry:
    return AuditEntry(
        organization=organization,
        actor_id=actor.pk if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        object_repr=str(obj_repr)[:300],
        # Plan values are already str/bool/None: no need for the generic JSON cleaner.
        changes={name: [before, after] for name, (before, after) in changes.items()},
    )


def _insert_people(organization: Organization, people: list[dict], now) -> dict[str, int]:
    """Insert people with one ``executemany`` and return their ids by email.

    ``bulk_create`` spends ~6 s of Python per 50,000 people building SQL per object; a
    prepared statement does the same insert in under one second on SQLite and PostgreSQL.
    """
    if not people:
        return {}
    columns = [
        "organization_id",
        "full_name",
        "email",
        "department_id",
        "position",
        "is_head",
        "is_active",
        "language",
        "created_at",
        "updated_at",
    ]
    stamp = Person._meta.get_field("created_at").get_db_prep_save(now, connection)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(Person._meta.db_table),
        ", ".join(quote(c) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    rows = [
        (
            organization.pk,
            p["full_name"],
            p["email"],
            p["department_id"],
            p["position"],
            p["is_head"],
            p["is_active"],
            p["language"],
            stamp,
            stamp,
        )
        for p in people
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])
    wanted = {p["email"] for p in people}
    return {
        email: pk
        for pk, email in Person.objects.filter(organization=organization).values_list("id", "email")
        if email in wanted
    }


def _person_ids(organization: Organization, emails: set[str]) -> dict[str, int]:
    emails.discard("")
    if not emails:
        return {}
    return {
        email.lower(): pk
        for pk, email in Person.objects.filter(organization=organization).values_list("id", "email")
        if email.lower() in emails
    }


def apply_departments(
    *, organization: Organization, actor: Any, plan: Plan, deactivate_missing: bool
) -> ApplyResult:
    now = timezone.now()
    existing = {
        d.code: d
        for d in Department.objects.filter(organization=organization).only(
            "id", "code", "name_ru", "name_en", "parent_id", "head_id", "is_active"
        )
    }
    new_objects = [
        Department(
            organization=organization,
            code=change.key,
            name_ru=change.fields["name_ru"][1],
            name_en=change.fields.get("name_en", (None, ""))[1],
            is_active=change.fields.get("is_active", (None, True))[1],
        )
        for change in plan.creates
    ]
    Department.objects.bulk_create(new_objects, batch_size=BATCH)
    by_code = {**existing, **{d.code: d for d in new_objects}}
    head_ids = _person_ids(
        organization,
        {
            c.fields["head_email"][1]
            for c in plan.creates + plan.updates
            if "head_email" in c.fields
        },
    )
    # Parents and heads are set after every new department has an id, so a file may list
    # children before their parents.
    touched: list[Department] = []
    for change in plan.creates + plan.updates:
        department = by_code[change.key]
        for name, (_before, after) in change.fields.items():
            if name == "parent_code":
                department.parent_id = by_code[after].pk if after else None
            elif name == "head_email":
                department.head_id = head_ids.get(after) if after else None
            else:
                setattr(department, name, after)
        department.updated_at = now
        touched.append(department)
    Department.objects.bulk_update(
        touched,
        ["name_ru", "name_en", "parent", "head", "is_active", "updated_at"],
        batch_size=BATCH,
    )
    deactivated = plan.deactivations if deactivate_missing else []
    if deactivated:
        Department.objects.filter(
            organization=organization, code__in=[c.key for c in deactivated]
        ).update(is_active=False, updated_at=now)
    audit = [
        _audit(
            organization,
            actor,
            f"department.{change.action}",
            "org.department",
            by_code[change.key].pk,
            change.label,
            change.fields,
        )
        for change in [*plan.creates, *plan.updates, *deactivated]
    ]
    AuditEntry.objects.bulk_create(audit, batch_size=BATCH)
    return ApplyResult(
        created=len(plan.creates),
        updated=len(plan.updates),
        deactivated=len(deactivated),
        unchanged=plan.unchanged,
    )


PERSON_FIELDS = ("full_name", "position", "is_head", "is_active", "language")


def apply_people(
    *, organization: Organization, actor: Any, plan: Plan, deactivate_missing: bool
) -> ApplyResult:
    now = timezone.now()
    department_ids = dict(
        Department.objects.filter(organization=organization).values_list("code", "id")
    )
    new_people = []
    for change in plan.creates:
        values = {name: after for name, (_before, after) in change.fields.items()}
        new_people.append(
            {
                "email": change.key,
                "full_name": values["full_name"],
                "department_id": department_ids[values["department_code"]],
                "position": values.get("position", ""),
                "is_head": values.get("is_head", False),
                "is_active": values.get("is_active", True),
                "language": values.get("language", Person.Language.RU),
            }
        )
    created_ids = _insert_people(organization, new_people, now)

    update_ids = {}
    if plan.updates:
        wanted = {c.key for c in plan.updates}
        update_ids = {
            email.lower(): pk
            for pk, email in Person.objects.filter(organization=organization).values_list(
                "id", "email"
            )
            if email.lower() in wanted
        }
    changed_people = []
    for change in plan.updates:
        # A bare instance with only the changed fields set: bulk_update writes just those.
        person = Person(pk=update_ids[change.key], organization=organization, updated_at=now)
        for name, (_before, after) in change.fields.items():
            if name == "department_code":
                person.department_id = department_ids[after]
            else:
                setattr(person, name, after)
        changed_people.append(person)
    # Group by the set of changed fields so no untouched column is overwritten with defaults.
    groups: dict[frozenset[str], list[Person]] = {}
    for change, person in zip(plan.updates, changed_people, strict=True):
        names = frozenset("department" if n == "department_code" else n for n in change.fields) | {
            "updated_at"
        }
        groups.setdefault(names, []).append(person)
    for names, people in groups.items():
        Person.objects.bulk_update(people, sorted(names), batch_size=BATCH)

    deactivated = plan.deactivations if deactivate_missing else []
    deactivated_ids = {}
    if deactivated:
        emails = {c.key for c in deactivated}
        deactivated_ids = {
            email.lower(): pk
            for pk, email in Person.objects.filter(
                organization=organization, is_active=True
            ).values_list("id", "email")
            if email.lower() in emails
        }
        Person.objects.filter(pk__in=deactivated_ids.values()).update(
            is_active=False, updated_at=now
        )

    head_ids = _person_ids(organization, {c.fields["head_email"][1] for c in plan.head_changes})
    heads = []
    for change in plan.head_changes:
        after = change.fields["head_email"][1]
        heads.append(
            Department(pk=department_ids[change.key], head_id=head_ids.get(after), updated_at=now)
        )
    Department.objects.bulk_update(heads, ["head", "updated_at"], batch_size=BATCH)

    ids = created_ids | update_ids | deactivated_ids
    audit = [
        _audit(
            organization,
            actor,
            f"person.{change.action}",
            "org.person",
            ids[change.key],
            change.label,
            change.fields,
        )
        for change in [*plan.creates, *plan.updates, *deactivated]
    ]
    audit += [
        _audit(
            organization,
            actor,
            "department.update",
            "org.department",
            department_ids[change.key],
            change.label,
            change.fields,
        )
        for change in plan.head_changes
    ]
    AuditEntry.objects.bulk_create(audit, batch_size=BATCH)
    return ApplyResult(
        created=len(plan.creates),
        updated=len(plan.updates),
        deactivated=len(deactivated),
        heads_changed=len(plan.head_changes),
        unchanged=plan.unchanged,
    )


APPLIERS = {"departments": apply_departments, "people": apply_people}


def change_sample(changes: list[Change], limit: int) -> list[dict]:
    return [
        {
            "action": c.action,
            "key": c.key,
            "label": c.label,
            "row": c.row,
            "fields": [[name, before, after] for name, (before, after) in c.fields.items()],
        }
        for c in changes[:limit]
    ]
