"""Which rater paths carry the secret link, and how paths are redacted for logs.

A rater's personal link is ``/r/<public_id>/<token>/`` (innerclient/surveys/urls_rater.py).
Every other rater page is token-free. Anything under ``/r/`` that is not a known token-free
page is treated as a link attempt: the real link, a mistyped or truncated one (which still
carries most of a real token), or garbage. Link attempts are never written to logs as they
are, and they are what the throttle counts (innerclient/ops/throttle.py).
"""

import re

PREFIX = "/r/"
REDACTED = "/r/…"

# Keep in step with innerclient/surveys/urls_rater.py and the rater's "what we changed" page
# (innerclient/actions/urls_public.py, under /r/changes/ for the cookie's sake);
# tests/ops/test_logging.py checks it.
_TOKEN_FREE = re.compile(r"/r/(?:step/\d+/(?:autosave/)?|summary/|submit/|done/|changes/)?")
# A path inside free text: up to whitespace, a quote or the end of an HTML attribute.
_IN_TEXT = re.compile(r"/r/[^\s\"'<>]*")


def is_link_attempt(path: str) -> bool:
    return path.startswith(PREFIX) and not _TOKEN_FREE.fullmatch(path)


def redact_path(path: str) -> str:
    """The path as logs may show it: link attempts become ``/r/…``."""
    bare = path.split("?", 1)[0].split("#", 1)[0]
    return REDACTED if is_link_attempt(bare) else path


def redact_text(text: str) -> str:
    """Redact every rater link attempt inside a message (``Not Found: /r/…``, a URL, …)."""
    if PREFIX not in text:
        return text
    return _IN_TEXT.sub(lambda match: redact_path(match.group(0)), text)
