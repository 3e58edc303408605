"""Log records that carry the request they belong to, as text or one JSON object per line.

``RequestIdMiddleware`` (innerclient/ops/middleware.py) puts the request's id, method and
path into a context variable for the duration of the request; ``RequestContextFilter``,
attached to the console handler in settings.LOGGING, copies them onto every record that
handler sees, whichever logger emitted it (Django's, ours, a library's).

The filter also redacts rater links: a record's message and its ``path`` never contain
``/r/<public_id>/<token>/`` (docs/anonymity.md, "server logs"). This module is imported
while logging is configured, before the apps are loaded: no models, no URL resolving.
"""

import contextvars
import datetime
import json
import logging
from dataclasses import dataclass

from innerclient.ops.rater_paths import redact_path, redact_text


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    method: str
    path: str  # already redacted


current_request: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "innerclient_request", default=None
)


def clear_request_context(**kwargs) -> None:
    """request_finished receiver: records after the response was sent belong to no request."""
    current_request.set(None)


class RequestContextFilter(logging.Filter):
    """Add request_id, method and path to every record; redact rater links in the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current_request.get()
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id if context else None
            record.method = context.method if context else None
            record.path = context.path if context else None
        elif getattr(record, "path", None):
            record.path = redact_path(record.path)
        if getattr(record, "status", None) is None and hasattr(record, "status_code"):
            record.status = record.status_code  # django.request's records carry status_code
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True


# One encoder for every line: json.dumps with options builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, method, path,
    status, duration_ms, and the traceback as ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
        entry = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "method": getattr(record, "method", None),
            "path": getattr(record, "path", None),
            "status": getattr(record, "status", None),
            "duration_ms": getattr(record, "duration_ms", None),
        }
        if record.exc_text or record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return _JSON.encode(entry)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message`` for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        created = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC).astimezone()
        request_id = getattr(record, "request_id", None) or "-"
        line = (
            f"{created:%Y-%m-%d %H:%M:%S} {record.levelname} {record.name} [{request_id}] "
            f"{record.getMessage()}"
        )
        exception = record.exc_text or (record.exc_info and self.formatException(record.exc_info))
        return f"{line}\n{exception}" if exception else line
