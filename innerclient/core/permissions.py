"""Who may do what inside an organization, and the access helper every view starts from.

Outsiders (not a member of the organization) get 404, never 403: they must not even learn
that an object exists. Members whose role lacks a capability get 403.
"""

import enum
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from innerclient.core.models import Membership, Organization, Role


class Capability(enum.StrEnum):
    VIEW_STRUCTURE = "view_structure"
    MANAGE_STRUCTURE = "manage_structure"
    VIEW_MAP = "view_map"
    MANAGE_MAP = "manage_map"
    VIEW_AUDIT = "view_audit"
    MANAGE_ORGANIZATION = "manage_organization"
    VIEW_RESULTS = "view_results"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.COORDINATOR: frozenset(Capability),
    Role.ANALYST: frozenset(
        {Capability.VIEW_STRUCTURE, Capability.VIEW_MAP, Capability.VIEW_RESULTS}
    ),
    Role.HEAD: frozenset({Capability.VIEW_STRUCTURE, Capability.VIEW_MAP}),
    Role.EMPLOYEE: frozenset({Capability.VIEW_STRUCTURE}),
}


@dataclass(frozen=True)
class OrgAccess:
    organization: Organization
    membership: Membership

    @property
    def role(self) -> str:
        return self.membership.role

    def can(self, capability: Capability) -> bool:
        return capability in ROLE_CAPABILITIES.get(self.role, frozenset())


def org_access(request: HttpRequest, org_slug: str, capability: Capability) -> OrgAccess:
    """Resolve the organization from the URL for the signed-in user, or refuse.

    Views are wrapped in ``login_required``, so the user is authenticated here.
    """
    membership = (
        Membership.objects.select_related("organization", "department")
        .filter(user=request.user, organization__slug=org_slug, organization__is_active=True)
        .first()
    )
    if membership is None:
        raise Http404
    access = OrgAccess(organization=membership.organization, membership=membership)
    if not access.can(capability):
        raise PermissionDenied
    request.org_access = access  # the header shows the current organization and role
    return access


def can_create_organizations(user) -> bool:
    """Staff (the consultant running the installation) and any coordinator may add one."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.memberships.filter(role=Role.COORDINATOR).exists()
