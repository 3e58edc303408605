"""Write services for API tokens: create (the secret is returned once) and revoke."""

import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from innerclient.api.models import ApiToken, Scope
from innerclient.core.audit import audit_record
from innerclient.core.models import Organization

TOKEN_PREFIX = "ic_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8


def hash_secret(secret: str) -> str:
    # A plain hash is enough: the secret is 32 random bytes, not a password to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # shown once, never stored


@transaction.atomic
def api_token_create(
    *, actor, organization: Organization, name: str, scopes: list[str]
) -> CreatedToken:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise ValidationError({"scopes": _("Unknown scopes: %(s)s.") % {"s": ", ".join(unknown)}})
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization=organization,
        name=name[:100],
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=hash_secret(secret),
        scopes=[s for s in Scope.values if s in scopes],
        created_by=actor,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="api_token.create",
        obj=token,
        changes={"name": token.name, "prefix": token.prefix, "scopes": token.scopes},
    )
    return CreatedToken(token=token, secret=secret)


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> bool:
    """Revoke a token; returns whether anything changed (revoking twice is harmless)."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        organization=token.organization,
        actor=actor,
        action="api_token.revoke",
        obj=token,
        changes={"name": token.name, "prefix": token.prefix},
    )
    return True
