"""Who may do what with action plans.

Coordinator: everything. Analyst: reads every action. Department head (with the department he
heads on his membership): reads and writes the actions of his own department only. Employee,
or a head whose membership names no department: 403. Outsiders get 404 from ``org_access``.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from innerclient.core.models import Organization, Role
from innerclient.core.permissions import Capability, OrgAccess, org_access


@dataclass(frozen=True)
class ActionsAccess:
    org_access: OrgAccess
    # The head's own department; None for a coordinator or an analyst (every department).
    own_department_id: int | None

    @property
    def organization(self) -> Organization:
        return self.org_access.organization

    @property
    def role(self) -> str:
        return self.org_access.role

    @property
    def can_create(self) -> bool:
        return self.role == Role.COORDINATOR or self.own_department_id is not None

    def can_see(self, department_id: int) -> bool:
        return self.own_department_id is None or department_id == self.own_department_id

    def can_edit(self, department_id: int) -> bool:
        if self.role == Role.COORDINATOR:
            return True
        return self.own_department_id is not None and department_id == self.own_department_id


def actions_access(request, org_slug: str) -> ActionsAccess:
    access = org_access(request, org_slug, Capability.VIEW_STRUCTURE)
    if access.role in (Role.COORDINATOR, Role.ANALYST):
        return ActionsAccess(access, None)
    if access.role == Role.HEAD and access.membership.department_id is not None:
        return ActionsAccess(access, access.membership.department_id)
    raise PermissionDenied
