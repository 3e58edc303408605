"""Who is looking at "What we changed": the rater of the questionnaire's signed cookie.

The questionnaire (innerclient/surveys/views/rater.py) keeps the rater's link in a signed
cookie; this module reads it with the questionnaire's own public names (cookie name, salt,
lifetime, ``rater_load``) and never writes it, nor anything else.
"""

from django.conf import settings
from django.core import signing
from django.utils import translation

from innerclient.surveys.questionnaire import RaterLinkError, rater_load
from innerclient.surveys.views.rater import COOKIE_MAX_AGE, COOKIE_NAME, COOKIE_SALT


def rater_from_request(request):
    """``(rater, "")`` for a valid cookie of an open cycle, else ``(None, reason)`` with
    reason "no_session", "invalid", "not_open" or "closed"."""
    raw = request.COOKIES.get(COOKIE_NAME)
    if not raw:
        return None, "no_session"
    try:
        state = signing.loads(raw, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    except signing.BadSignature:
        return None, "no_session"
    if not isinstance(state, dict) or not state.get("p") or not state.get("t"):
        return None, "no_session"
    try:
        return rater_load(public_id=state["p"], token=state["t"]), ""
    except RaterLinkError as error:
        return None, error.reason


def activate_rater_language(request, language: str) -> None:
    """The rater's own language unless he chose one with the header's switch."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language
