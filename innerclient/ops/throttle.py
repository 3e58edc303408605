"""Counting invalid rater link attempts per client, in the shared cache.

A client is its IP address as the application sees it: ``REMOTE_ADDR``, or with
``INNERCLIENT_TRUSTED_PROXIES = n`` the n-th address from the right of ``X-Forwarded-For``
(each trusted proxy appends the address it got the request from; anything further left was
written by the client and is not trusted). The cache key is a keyed hash of the address, so
the cache (a database table in production) holds no IP addresses.

The window is fixed: it starts at a client's first failure and lasts
``INNERCLIENT_LINK_ATTEMPTS_WINDOW`` seconds; at ``INNERCLIENT_LINK_ATTEMPTS_MAX`` failures
inside it, *invalid* link attempts from that client are refused until it ends. A link whose
signature checks out is never refused (``is_valid_link``): behind a corporate NAT a whole office
shares one address, and one colleague's typos must not lock everyone else out. Guessing a
valid link is what the throttle slows down, and a valid one cannot be guessed. Counting is not
atomic across processes (get, then set): two simultaneous failures may count as one, which
only makes the limit a little softer and never blocks anyone early.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.urls import Resolver404, resolve
from django.utils.crypto import salted_hmac

from innerclient.surveys.tokens import token_is_valid

_SALT = "innerclient.ops.throttle"


def _now() -> float:
    return time.time()


def client_ip(request) -> str:
    trusted = settings.INNERCLIENT_TRUSTED_PROXIES
    remote = request.META.get("REMOTE_ADDR", "")
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if not forwarded:
        return remote
    return forwarded[-trusted] if len(forwarded) >= trusted else forwarded[0]


def client_key(request) -> str:
    digest = salted_hmac(_SALT, client_ip(request), algorithm="sha256").hexdigest()
    return f"ops:links:{digest[:32]}"


def blocked_for(key: str) -> int:
    """Seconds until the client may try again, or 0 when it is not blocked."""
    entry = cache.get(key)
    if not entry:
        return 0
    failures, window_ends = entry
    remaining = window_ends - _now()
    if failures < settings.INNERCLIENT_LINK_ATTEMPTS_MAX or remaining <= 0:
        return 0
    return math.ceil(remaining)


def record_failure(key: str) -> None:
    now = _now()
    entry = cache.get(key)
    if entry and entry[1] > now:
        failures, window_ends = entry
    else:
        failures, window_ends = 0, now + settings.INNERCLIENT_LINK_ATTEMPTS_WINDOW
    cache.set(key, (failures + 1, window_ends), timeout=max(1, math.ceil(window_ends - now)))


def is_valid_link(path: str) -> bool:
    """A rater's personal link with a valid signature (whatever the state of its cycle)."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    if match.view_name != "rater:start":
        return False
    return token_is_valid(str(match.kwargs["public_id"]), match.kwargs["token"])
