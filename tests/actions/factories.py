"""Action plans for the tests: departments with people, and actions created directly."""

import datetime

from django.utils import timezone

from innerclient.actions.models import ActionPlan
from tests.factories import DepartmentFactory, PersonFactory


def make_action(
    *,
    department,
    owner=None,
    title="Answer every request within a day",
    due_date=None,
    status=ActionPlan.Status.PLANNED,
    **fields,
) -> ActionPlan:
    owner = owner or PersonFactory(department=department)
    return ActionPlan.objects.create(
        organization=department.organization,
        department=department,
        owner=owner,
        title=title,
        due_date=due_date or timezone.localdate() + datetime.timedelta(days=30),
        status=status,
        **fields,
    )


def department_with_head(organization, code, name_en=None):
    department = DepartmentFactory(
        organization=organization, code=code, name_en=name_en or f"Department {code}"
    )
    head = PersonFactory(department=department, is_head=True, full_name=f"Head of {code}")
    department.head = head
    department.save(update_fields=["head"])
    return department, head
