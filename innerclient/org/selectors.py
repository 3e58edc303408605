"""Read-side queries for company structure. They return plain data for pages and reports."""

from dataclasses import dataclass, field

from innerclient.core.models import Membership, Organization
from innerclient.org.models import DataImport, Department, InteractionLink, Person


@dataclass(frozen=True)
class OrganizationOverview:
    departments_active: int
    departments_total: int
    people_active: int
    links: int
    members: int
    last_imports: list = field(default_factory=list)


def organization_overview(organization: Organization) -> OrganizationOverview:
    departments = Department.objects.filter(organization=organization)
    return OrganizationOverview(
        departments_active=departments.filter(is_active=True).count(),
        departments_total=departments.count(),
        people_active=Person.objects.filter(organization=organization, is_active=True).count(),
        links=InteractionLink.objects.filter(organization=organization).count(),
        members=Membership.objects.filter(organization=organization).count(),
        last_imports=list(
            DataImport.objects.filter(organization=organization)
            .defer("content", "preview")
            .order_by("-created_at")[:5]
        ),
    )
