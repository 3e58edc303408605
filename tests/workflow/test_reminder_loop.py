"""The reminder loop (``manage.py send_reminders``, innerclient.workflow): one pass sends what is
due of every open cycle and the action plans' due-date reminders."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.actions.factories import make_action
from tests.factories import DepartmentFactory, PersonFactory
from tests.surveys.factories_emails import (
    make_cycle,
    make_invitation,
    providers_for,
    smtp_server,  # noqa: F401 (the smtp fixture)
)

pytestmark = pytest.mark.django_db


def test_one_pass_sends_the_invitations_and_the_action_plan_reminders(smtp, capsys):
    cycle = make_cycle()
    invitation = make_invitation(cycle, providers=providers_for(cycle, 1))
    department = DepartmentFactory(organization=cycle.organization)
    owner = PersonFactory(department=department, language="en")
    make_action(department=department, owner=owner, due_date=timezone.localdate())

    call_command("send_reminders")

    assert smtp.recipients == sorted([invitation.person.email, owner.email])
    out = capsys.readouterr().out
    assert "action plans: 1 reminders sent" in out
    assert f"cycle {cycle.pk}: 1 invitations, 0 reminders sent" in out
