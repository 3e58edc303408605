"""Write services for departments and people. Each is atomic and writes an audit row.

Departments and people are never deleted from the interface: ratings, links and past cycles
refer to them. They are deactivated, which hides them from new cycles and from the map.
"""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from innerclient.core.audit import audit_record, model_changes
from innerclient.org.models import Department, Person


@transaction.atomic
def department_set_active(*, actor: User | None, department: Department, active: bool) -> bool:
    """Activate or deactivate a department; returns whether anything changed.

    A department with active sub-departments or active people is not deactivated: they would
    be left in a department that no longer exists for the survey. Move or deactivate them
    first. Likewise a department is not activated under an inactive parent.
    """
    department = Department.objects.select_for_update().get(pk=department.pk)
    if department.is_active == active:
        return False
    if active:
        if department.parent_id and not department.parent.is_active:
            raise ValidationError(
                _("The parent department %(code)s is inactive: activate it first.")
                % {"code": department.parent.code},
                code="parent_inactive",
            )
    else:
        children = department.children.filter(is_active=True).count()
        people = department.people.filter(is_active=True).count()
        reasons = []
        if children:
            reasons.append(
                ngettext(
                    "%(n)d active sub-department",
                    "%(n)d active sub-departments",
                    children,
                )
                % {"n": children}
            )
        if people:
            reasons.append(
                ngettext("%(n)d active person", "%(n)d active people", people) % {"n": people}
            )
        if reasons:
            raise ValidationError(
                _("The department still has %(what)s: move or deactivate them first.")
                % {"what": _(" and ").join(reasons)},
                code="not_empty",
            )
    department.is_active = active
    department.save(update_fields=["is_active", "updated_at"])
    audit_record(
        organization=department.organization,
        actor=actor,
        action="department.activate" if active else "department.deactivate",
        obj=department,
        changes={"is_active": [not active, active], "code": department.code},
    )
    return True


@transaction.atomic
def person_set_active(*, actor: User | None, person: Person, active: bool) -> bool:
    """Activate or deactivate a person; returns whether anything changed.

    A person is not activated in an inactive department (move the person first).
    """
    person = Person.objects.select_for_update().select_related("department").get(pk=person.pk)
    if person.is_active == active:
        return False
    if active and not person.department.is_active:
        raise ValidationError(
            _("The department %(code)s is inactive: activate it or move the person first.")
            % {"code": person.department.code},
            code="department_inactive",
        )
    person.is_active = active
    person.save(update_fields=["is_active", "updated_at"])
    audit_record(
        organization=person.organization,
        actor=actor,
        action="person.activate" if active else "person.deactivate",
        obj=person,
        changes={"is_active": [not active, active], "email": person.email},
    )
    return True


@transaction.atomic
def department_update(
    *,
    actor: User | None,
    department: Department,
    name_ru: str,
    name_en: str = "",
    parent: Department | None = None,
    head: Person | None = None,
) -> Department:
    """Rename a department, move it under another parent, or change its head."""
    department = Department.objects.select_for_update().get(pk=department.pk)
    organization_id = department.organization_id
    if parent is not None:
        if parent.organization_id != organization_id:
            raise ValidationError(_("The parent belongs to another organization."))
        ancestor: Department | None = parent
        seen = set()
        while ancestor is not None and ancestor.pk not in seen:
            if ancestor.pk == department.pk:
                raise ValidationError(
                    _("A department cannot be placed under itself or its own sub-department.")
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
    if head is not None and head.organization_id != organization_id:
        raise ValidationError(_("The head belongs to another organization."))
    values = {
        "name_ru": name_ru.strip(),
        "name_en": name_en.strip(),
        "parent_id": getattr(parent, "pk", None),
        "head_id": getattr(head, "pk", None),
    }
    changes = model_changes(department, list(values), values)
    if not changes:
        return department
    for name, value in values.items():
        setattr(department, name, value)
    department.full_clean(exclude=["parent", "head", "organization"])
    department.save(update_fields=[*values, "updated_at"])
    audit_record(
        organization=department.organization,
        actor=actor,
        action="department.update",
        obj=department,
        changes=changes,
    )
    return department
