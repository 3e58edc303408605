from django.db.models import QuerySet

from innerclient.core.models import AuditEntry, Membership, Organization


def memberships_for_user(user) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, organization__is_active=True)
        .select_related("organization")
        .order_by("organization__name")
    )


def audit_entries(organization: Organization, *, action_prefix: str = "") -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(organization=organization).select_related("actor")
    if action_prefix:
        entries = entries.filter(action__startswith=action_prefix)
    return entries
