"""Staff sign-in lockout, on top of django-axes (settings: ``AXES_*``).

Failed sign-ins are counted per account *and* address together (``AXES_LOCKOUT_PARAMETERS``):
a guesser locks out himself, not the account for everybody, and one person's typos behind an
office NAT lock out no colleague. After ``INNERCLIENT_SIGNIN_ATTEMPTS_MAX`` failures the pair
is refused for ``INNERCLIENT_SIGNIN_LOCKOUT_MINUTES``, counted from the last failure; a
coordinator can lift it from the members page (``services.signin_unlock``).

The client address is the one the rater-link throttle uses (``ops.throttle.client_ip``), so
``INNERCLIENT_TRUSTED_PROXIES`` is respected. Only the sign-in form authenticates through
Django's ``authenticate``: API tokens and raters' links never reach axes.
"""

import math
from collections.abc import Iterable

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.shortcuts import render
from django.utils import timezone


def lockout_username(name: str | None) -> str:
    """The account name attempts are counted under: ``Olga@X.ru`` and ``olga@x.ru`` are one."""
    return (name or "").strip().lower()


def username_from_request(request, credentials=None) -> str:
    """``AXES_USERNAME_CALLABLE``: the name typed into the form, normalised."""
    if credentials:
        return lockout_username(credentials.get("username"))
    return lockout_username(request.POST.get("username"))


def _cool_off():
    return settings.AXES_COOLOFF_TIME


def _active(attempts):
    return attempts.filter(
        attempt_time__gte=timezone.now() - _cool_off(),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
    )


def minutes_left(username: str, address: str) -> int:
    """Whole minutes until this account may be tried again from this address (at least 1)."""
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last is None:
        return math.ceil(_cool_off().total_seconds() / 60)
    seconds = (last + _cool_off() - timezone.now()).total_seconds()
    return max(1, math.ceil(seconds / 60))


def locked_usernames(usernames: Iterable[str]) -> set[str]:
    """Which of these accounts are locked out from at least one address (one query)."""
    names = {lockout_username(name): name for name in usernames}
    locked = _active(AccessAttempt.objects.filter(username__in=list(names)))
    return {names[name] for name in locked.values_list("username", flat=True).distinct()}


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the sign-in page again, with the reason and the wait (429)."""
    from innerclient.accounts.forms import SignInForm

    username = get_client_username(request, credentials)
    minutes = minutes_left(username, request.axes_ip_address)
    form = SignInForm(request, initial={"username": request.POST.get("username", "")})
    response = render(
        request,
        "registration/login.html",
        {"form": form, "locked_minutes": minutes, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
