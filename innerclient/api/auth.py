"""Bearer-token authentication, the per-token rate limit, and the scope check endpoints start from.

Every endpoint begins with ``access = api_access(request, Scope.X)``, the API's counterpart of
``org_access``: it returns the token's organization, and objects are then fetched inside it, so
another organization's id is a 404.
"""

import math
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from innerclient.api.errors import ApiError
from innerclient.api.models import ApiToken
from innerclient.api.services import TOKEN_PREFIX, hash_secret
from innerclient.core.models import Membership, Organization, Role

DEFAULT_RATE_LIMIT = 600  # requests per minute per token
RATE_WINDOW_SECONDS = 60
# ``last_used_at`` is written at most this often per token, not on every request.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class ApiAccess:
    token: ApiToken
    organization: Organization
    actor: User  # the coordinator who created the token: writes are made in his name


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        token = token.strip()
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        api_token = (
            ApiToken.objects.select_related("organization", "created_by")
            .filter(secret_hash=hash_secret(token), revoked_at__isnull=True)
            .first()
        )
        if api_token is None or not _usable(api_token):
            return None
        check_rate(api_token)
        _touch(api_token)
        return api_token


def _usable(token: ApiToken) -> bool:
    """A token works while its organization is active and its creator is still a coordinator."""
    creator = token.created_by
    if not token.organization.is_active or creator is None or not creator.is_active:
        return False
    return Membership.objects.filter(
        user=creator, organization=token.organization, role=Role.COORDINATOR
    ).exists()


def rate_limit() -> int:
    return int(getattr(settings, "INNERCLIENT_API_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def check_rate(token: ApiToken) -> None:
    """A fixed one-minute window per token in Django's cache; over the limit is a 429.

    The cache must be shared by all app processes (docs/api.md) or each process counts alone.
    """
    limit = rate_limit()
    if limit <= 0:
        return
    now = time.time()
    start = int(now // RATE_WINDOW_SECONDS) * RATE_WINDOW_SECONDS
    # Keyed by the secret's hash, not the id: ids are reused after a test database rollback.
    key = f"api:rate:{token.secret_hash[:24]}:{start}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS + 5)
        count = 1
    if count > limit:
        retry_after = max(1, math.ceil(start + RATE_WINDOW_SECONDS - now))
        raise ApiError(
            429,
            "rate_limited",
            f"Rate limit of {limit} requests per minute exceeded for this token.",
            headers={"Retry-After": str(retry_after)},
        )


def _touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def api_access(request: HttpRequest, scope: str) -> ApiAccess:
    """The token's organization and actor, or 403 when the token lacks ``scope``."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if not token.has_scope(scope):
        raise ApiError(403, "missing_scope", f"This token does not have the scope '{scope}'.")
    return ApiAccess(token=token, organization=token.organization, actor=token.created_by)
