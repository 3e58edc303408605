"""The secret in a rater's link, and the things derived from it.

- ``link_token(invitation)``: HMAC of the invitation's random public id under the link key.
  The server can recompute it (reminders carry the same link) but nothing stores it.
- ``rater_key(token)``: a pseudonym for the rater's answers, a *different* HMAC of the token.
  From the database alone (no keys, no tokens) a response cannot be tied to an invitation:
  the rater key is a keyed hash of a value that is itself a keyed hash of the public id.
- ``self_rater_key(token)``: the pseudonym of the same person's self-assessment, a third HMAC.
  A self-assessment is known to be the head's by design; under its own key it leads to none
  of his ratings of other departments.

Both keys come from settings (``INNERCLIENT_LINK_KEY``, ``INNERCLIENT_RATER_KEY``): set in
the environment in production, generated into the data folder on a laptop, never derived from
SECRET_KEY (innerclient/ops/keys.py). Whoever holds both the keys and the database can
recompute the link; docs/anonymity.md states this limit honestly and how to split the keys in
production.
"""

import base64
import hmac

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _key(name: str) -> bytes:
    value = getattr(settings, name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} is not set (innerclient/ops/keys.py).")
    return value.encode()


def link_token(public_id: str) -> str:
    digest = hmac.new(_key("INNERCLIENT_LINK_KEY"), f"link:{public_id}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def token_is_valid(public_id: str, token: str) -> bool:
    return hmac.compare_digest(link_token(public_id), token or "")


def rater_key(token: str) -> str:
    return hmac.new(_key("INNERCLIENT_RATER_KEY"), f"rater:{token}".encode(), "sha256").hexdigest()


def self_rater_key(token: str) -> str:
    return hmac.new(_key("INNERCLIENT_RATER_KEY"), f"self:{token}".encode(), "sha256").hexdigest()
