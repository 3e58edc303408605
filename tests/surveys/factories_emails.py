"""Helpers for the email, reminder and response-rate tests: a real SMTP server on loopback,
and cycles, invitations and responses created directly (no cycle services involved)."""

import email
import email.policy
import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from innerclient.surveys.models import (
    Assignment,
    CriteriaSet,
    Cycle,
    Invitation,
    RaterKind,
    Response,
    ResponseKind,
)
from innerclient.surveys.tokens import link_token, rater_key, self_rater_key
from tests.factories import DepartmentFactory, OrganizationFactory, PersonFactory

# --- SMTP ---------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.delay = 0.0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # make concurrent senders overlap
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    @property
    def recipients(self) -> list[str]:
        return sorted(r for m in self.messages for r in m.rcpt_tos)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="smtp")
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1; the default mailer points at it."""
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 10},
        }
    }
    settings.DEFAULT_FROM_EMAIL = "Inner Client <noreply@inner.test>"
    settings.INNERCLIENT_SITE_URL = "https://inner.test"
    try:
        yield collector
    finally:
        controller.stop()


# --- rows -----------------------------------------------------------------------------------

T0 = datetime(2027, 3, 1, 10, 0, tzinfo=timezone.get_fixed_timezone(180))  # 10:00 Moscow


def make_cycle(*, organization=None, status=Cycle.Status.OPEN, **kwargs) -> Cycle:
    organization = organization or OrganizationFactory()
    criteria_set = CriteriaSet.objects.create(
        organization=organization, name=f"Criteria {CriteriaSet.objects.count() + 1}"
    )
    kwargs.setdefault("opened_at", T0 if status != Cycle.Status.DRAFT else None)
    kwargs.setdefault("deadline", (T0 + timedelta(days=14)).date())
    return Cycle.objects.create(
        organization=organization,
        name=kwargs.pop("name", f"2027 Q{Cycle.objects.count() + 1}"),
        criteria_set=criteria_set,
        status=status,
        **kwargs,
    )


def make_invitation(
    cycle: Cycle, *, person=None, providers=(), kind=RaterKind.EMPLOYEE, **kwargs
) -> Invitation:
    person = person or PersonFactory(department=DepartmentFactory(organization=cycle.organization))
    invitation = Invitation.objects.create(cycle=cycle, person=person, **kwargs)
    for provider in providers:
        Assignment.objects.create(
            invitation=invitation,
            provider=provider,
            kind=RaterKind.SELF if provider == person.department else kind,
        )
    return invitation


def providers_for(cycle: Cycle, n: int) -> list:
    return [DepartmentFactory(organization=cycle.organization) for _ in range(n)]


def answer(
    invitation: Invitation,
    provider,
    *,
    status=Response.Status.SUBMITTED,
    did_not_interact=False,
) -> Response:
    """What the questionnaire writes: a response keyed only by the rater's derived key (the
    self-assessment's own key for his own department)."""
    token = link_token(str(invitation.public_id))
    own = provider == invitation.person.department
    return Response.objects.create(
        cycle=invitation.cycle,
        provider=provider,
        rater_department=invitation.person.department,
        rater_kind=ResponseKind.SELF if own else ResponseKind.CLIENT,
        rater_key=self_rater_key(token) if own else rater_key(token),
        status=status,
        did_not_interact=did_not_interact,
    )


def finish(invitation: Invitation) -> None:
    for assignment in invitation.assignments.select_related("provider"):
        answer(invitation, assignment.provider)
