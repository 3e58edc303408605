"""Every email the product sends, rendered from three templates per message.

``templates/emails/<name>-subject.txt``, ``<name>-body.txt`` and ``<name>-body.html`` are
rendered in the recipient's language and sent as one multipart message (plain text with an
HTML alternative) through the default mailer (``settings.MAILERS``: console on a laptop, SMTP
configured from the environment in production).

``send_email`` opens a connection for one message; ``open_mailer`` keeps one connection for a
batch so a thousand invitations do not mean a thousand SMTP handshakes.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class Email:
    template: str
    to: str
    context: dict[str, Any] = field(default_factory=dict)
    language: str = "ru"


def render_email(*, template: str, to: str, context: dict, language: str) -> EmailMultiAlternatives:
    """The message, ready to send: subject on one line, text body, HTML alternative."""
    with translation.override(language or settings.LANGUAGE_CODE):
        language = translation.get_language()
        context = {**context, "language": language}
        subject = render_to_string(f"emails/{template}-subject.txt", context)
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text.strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Content-Language": language},
    )
    message.attach_alternative(html, "text/html")
    return message


class Mailer:
    """One open connection; ``send`` renders and sends one message over it."""

    def __init__(self, connection) -> None:
        self._connection = connection

    def send(self, *, template: str, to: str, context: dict, language: str) -> None:
        message = render_email(template=template, to=to, context=context, language=language)
        sent = self._connection.send_messages([message])
        if not sent:
            raise OSError(f"the mail backend refused the message to {to}")


@contextmanager
def open_mailer() -> Iterator[Mailer]:
    connection = mailers.default
    with connection:
        yield Mailer(connection)


def send_email(*, template: str, to: str, context: dict, language: str) -> None:
    with open_mailer() as mailer:
        mailer.send(template=template, to=to, context=context, language=language)


def send_emails(emails: list[Email]) -> int:
    """Send a batch over one connection; stops at the first failure (it propagates)."""
    with open_mailer() as mailer:
        for email in emails:
            mailer.send(
                template=email.template, to=email.to, context=email.context, language=email.language
            )
    return len(emails)
