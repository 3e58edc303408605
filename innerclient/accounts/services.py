"""Writes about sign-in: failed attempts and lockouts on record, a coordinator's unlock."""

from axes.utils import reset
from django.contrib.auth import get_user_model
from django.db import transaction

from innerclient.accounts.lockout import lockout_username
from innerclient.core.audit import audit_record
from innerclient.core.models import Membership, Organization

User = get_user_model()


@transaction.atomic
def signin_failure_record(
    *, username: str, address: str, failures: int, locked: bool, minutes: int
) -> None:
    """Audit a wrong password (``signin.failed``) and, when it reached the limit, the lockout
    (``signin.locked``), in every organization the account belongs to. The password is never
    recorded; a name that matches no account is not recorded either (it may be a password
    typed into the wrong field)."""
    user = User.objects.filter(username__iexact=lockout_username(username)).first()
    organizations = (
        list(Organization.objects.filter(memberships__user=user, is_active=True).distinct())
        if user
        else []
    )
    changes = {"address": address, "failures": failures}
    if user is None:
        changes["account"] = "unknown"
    for organization in organizations or [None]:
        audit_record(
            organization=organization,
            actor=None,
            action="signin.failed",
            obj=user,
            changes=changes,
        )
        if locked:
            audit_record(
                organization=organization,
                actor=None,
                action="signin.locked",
                obj=user,
                changes={**changes, "minutes": minutes},
            )


@transaction.atomic
def signin_unlock(*, actor, organization: Organization, membership: Membership) -> int:
    """Lift every lockout of the member's account (all addresses); audited as
    ``signin.unlock``. Returns the number of attempt records cleared (0: nothing to do)."""
    user = membership.user
    cleared = reset(username=lockout_username(user.get_username()))
    if cleared:
        audit_record(
            organization=organization,
            actor=actor,
            action="signin.unlock",
            obj=user,
            changes={"username": user.get_username(), "attempts_cleared": cleared},
        )
    return cleared
