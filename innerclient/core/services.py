"""Write services for organizations and memberships. Each one writes an audit row."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from innerclient.core.audit import audit_record
from innerclient.core.models import Membership, Organization, Role


@transaction.atomic
def organization_create(*, actor: User, name: str, slug: str = "") -> Organization:
    """Create an organization; its creator becomes its coordinator."""
    name = name.strip()
    slug = slugify(slug.strip() or name, allow_unicode=False)
    if not slug:
        slug = "org"
    base, suffix = slug[:50], 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{suffix}"
        suffix += 1
    organization = Organization(name=name, slug=slug)
    organization.full_clean()
    organization.save()
    Membership.objects.create(user=actor, organization=organization, role=Role.COORDINATOR)
    audit_record(
        organization=organization,
        actor=actor,
        action="organization.create",
        obj=organization,
        changes={"name": name, "slug": slug},
    )
    return organization


@transaction.atomic
def membership_set(
    *,
    actor: User | None,
    organization: Organization,
    user: User,
    role: str,
    department=None,
) -> Membership:
    """Give a user a role in an organization, or change the role he has."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if department is not None and department.organization_id != organization.pk:
        raise ValidationError(_("The department belongs to another organization."))
    membership = Membership.objects.filter(user=user, organization=organization).first()
    if membership is None:
        membership = Membership.objects.create(
            user=user, organization=organization, role=role, department=department
        )
        changes = {"user": user.get_username(), "role": role}
        action = "membership.create"
    else:
        changes = {}
        if membership.role != role:
            changes["role"] = [membership.role, role]
        if membership.department_id != getattr(department, "pk", None):
            changes["department"] = [str(membership.department or ""), str(department or "")]
        membership.role = role
        membership.department = department
        membership.save(update_fields=["role", "department"])
        action = "membership.update"
    if changes:
        audit_record(
            organization=organization, actor=actor, action=action, obj=membership, changes=changes
        )
    return membership
