"""Write services for organizations and memberships. Each one writes an audit row."""

import secrets

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
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


def _temporary_password() -> str:
    # 16 characters from an alphabet without look-alikes (0/O, 1/l/I): read aloud or retyped.
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _i in range(16))


ROLES_WITH_DEPARTMENT = (Role.HEAD, Role.EMPLOYEE)


def _check_department(role: str, department) -> None:
    if role in ROLES_WITH_DEPARTMENT and department is None:
        raise ValidationError(
            _("A department head or an employee needs a department."), code="department_required"
        )


@transaction.atomic
def member_add(
    *,
    actor: User | None,
    organization: Organization,
    email: str,
    role: str,
    department=None,
) -> tuple[Membership, str | None]:
    """Give the user with this email a role; create the user if there is none.

    Returns the membership and, for a new user, the temporary password to hand over (it is
    shown once and never stored in clear).
    """
    email = email.strip().lower()
    validate_email(email)
    _check_department(role, department)
    user = User.objects.filter(username__iexact=email).first()
    if user is None:
        user = User.objects.filter(email__iexact=email).order_by("pk").first()
    password = None
    if user is None:
        password = _temporary_password()
        user = User.objects.create_user(username=email, email=email, password=password)
        audit_record(
            organization=organization,
            actor=actor,
            action="user.create",
            obj=user,
            changes={"username": email},
        )
    elif Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError(
            _("%(email)s is already a member: change the role instead.") % {"email": email},
            code="already_member",
        )
    membership = membership_set(
        actor=actor, organization=organization, user=user, role=role, department=department
    )
    return membership, password


@transaction.atomic
def member_update(
    *, actor: User | None, membership: Membership, role: str, department=None
) -> Membership:
    """Change a member's role or department; the last coordinator keeps his role."""
    _check_department(role, department)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.COORDINATOR and role != Role.COORDINATOR:
        coordinators = Membership.objects.filter(
            organization_id=membership.organization_id, role=Role.COORDINATOR
        ).count()
        if coordinators <= 1:
            raise ValidationError(
                _("This is the only coordinator: appoint another coordinator first."),
                code="last_coordinator",
            )
    return membership_set(
        actor=actor,
        organization=membership.organization,
        user=membership.user,
        role=role,
        department=department,
    )
