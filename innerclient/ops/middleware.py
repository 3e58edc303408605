"""Request ids and structured access lines; the throttle on rater link attempts.

Both are plain middleware so that no view has to know about them (settings.MIDDLEWARE).
"""

import logging
import re
import secrets
import time

from django.conf import settings
from django.shortcuts import render

from innerclient.ops import throttle
from innerclient.ops.logs import RequestContext, current_request
from innerclient.ops.rater_paths import is_link_attempt, redact_path

access_log = logging.getLogger("innerclient.request")

HEADER = "X-Request-ID"
_HEADER_META = "HTTP_X_REQUEST_ID"
# An id from the proxy (nginx's $request_id) is kept when it is a short, plain token, so one
# id follows the request through both logs; anything else is replaced, never echoed.
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def _request_id(request) -> str:
    # META, not request.headers: the latter builds a dict of every header on first use.
    incoming = request.META.get(_HEADER_META, "")
    if _SAFE_ID.fullmatch(incoming):
        return incoming
    # 128 random bits as 32 hex digits, like uuid4().hex but a third of its cost.
    return secrets.token_hex(16)


class RequestIdMiddleware:
    """First in the chain: every log record of the request carries its id, method and path;
    the response carries the id in ``X-Request-ID``; one access line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = _request_id(request)
        path = redact_path(request.path)
        # Not reset on the way out: Django logs 4xx/5xx responses ("Not Found: …") after
        # the middleware has returned. The context is cleared when the response is closed
        # (request_finished, innerclient/ops/apps.py) and replaced by the next request.
        current_request.set(
            RequestContext(request_id=request.request_id, method=request.method, path=path)
        )
        response = self.get_response(request)
        response[HEADER] = request.request_id
        if (
            settings.INNERCLIENT_ACCESS_LOG
            and access_log.isEnabledFor(logging.INFO)
            and not _quiet(request, response)
        ):
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            access_log.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={"status": response.status_code, "duration_ms": duration_ms},
            )
        return response


def _quiet(request, response) -> bool:
    """Successful health checks come every few seconds and say nothing: not logged."""
    return request.path == "/healthz" and response.status_code == 200


class RaterLinkThrottleMiddleware:
    """Refuse rater link attempts from a client that has opened too many invalid links.

    Only link attempts (``/r/<public_id>/<token>/`` and anything else under ``/r/`` that is
    not a token-free page) are looked at. A failed attempt is one the application answered
    404: the start view answers 302 for a valid link (also when the cycle is closed or not
    open yet) and 404 for an invalid one, and the URL resolver answers 404 for a malformed
    one. Valid links are never counted; the token-free pages of a rater who has already
    opened his link are never refused. See throttle.py for the counting.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_link_attempt(request.path):
            return self.get_response(request)
        client = throttle.client_key(request)
        retry_after = throttle.blocked_for(client)
        if retry_after and not throttle.is_valid_link(request.path):
            return _too_many_attempts(request, retry_after)
        response = self.get_response(request)
        if response.status_code == 404:
            throttle.record_failure(client)
        return response


def _too_many_attempts(request, retry_after: int):
    minutes = max(1, -(-retry_after // 60))
    response = render(
        request,
        "ops/too_many_attempts.html",
        {"minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
