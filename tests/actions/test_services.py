"""Action services: everything checked before anything is written; an audit row per write."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from innerclient.actions.models import ActionPlan
from innerclient.actions.services import action_create, action_set_status, action_update
from innerclient.core.models import AuditEntry
from innerclient.surveys.models import Cycle
from tests.actions.factories import department_with_head, make_action
from tests.factories import DepartmentFactory, OrganizationFactory, PersonFactory
from tests.surveys.factories_rater import make_cycle

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2027, 3, 10)


@pytest.fixture
def world(org):
    department, head = department_with_head(org, "IT")
    client, _ = department_with_head(org, "SALES")
    cycle = make_cycle(organization=org, status=Cycle.Status.PUBLISHED, name="2027 Q1")
    criterion = cycle.criteria_set.criteria.get(code="quality")
    return {
        "department": department,
        "head": head,
        "client": client,
        "cycle": cycle,
        "criterion": criterion,
    }


def _create(org, world, actor=None, **overrides):
    values = {
        "department": world["department"],
        "title": "  Raise “Quality of result” for SALES  ",
        "owner": world["head"],
        "due_date": TODAY + datetime.timedelta(days=20),
        "description": "Weekly review of returned work.",
        "cycle": world["cycle"],
        "problem_kind": "low_cell",
        "criterion": world["criterion"],
        "client_department": world["client"],
        "today": TODAY,
    }
    values.update(overrides)
    return action_create(actor=actor, organization=org, **values)


def test_create_stores_the_action_with_its_problem_and_an_audit_row(org, world, coordinator):
    action = _create(org, world, actor=coordinator)

    action.refresh_from_db()
    assert action.title == "Raise “Quality of result” for SALES"  # trimmed
    assert action.status == ActionPlan.Status.PLANNED
    assert (action.cycle, action.problem_kind, action.criterion, action.client_department) == (
        world["cycle"],
        "low_cell",
        world["criterion"],
        world["client"],
    )
    assert action.created_by == coordinator
    entry = AuditEntry.objects.get(action="action.create")
    assert entry.object_id == str(action.pk)
    assert entry.actor == coordinator
    assert entry.changes["department"] == "IT"
    assert entry.changes["owner"] == world["head"].email
    assert entry.changes["criterion"] == "quality"


def test_a_refused_create_reports_every_problem_and_writes_nothing(org, world):
    other_org = OrganizationFactory()
    stranger = PersonFactory(department=DepartmentFactory(organization=other_org))
    with pytest.raises(ValidationError) as refused:
        _create(
            org,
            world,
            title="   ",
            owner=stranger,
            due_date=TODAY - datetime.timedelta(days=1),
            client_department=world["department"],
        )
    errors = refused.value.message_dict
    assert set(errors) == {"title", "owner", "due_date", "client_department"}
    assert errors["due_date"] == ["The due date cannot be in the past."]
    assert not ActionPlan.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="action.").exists()


def test_an_action_refers_only_to_a_published_cycle_and_its_own_criteria(org, world):
    open_cycle = make_cycle(organization=org, status=Cycle.Status.OPEN, name="2027 Q2")
    with pytest.raises(ValidationError) as refused:
        _create(org, world, cycle=open_cycle)
    assert set(refused.value.message_dict) == {"cycle", "criterion"}

    with pytest.raises(ValidationError) as refused:
        _create(org, world, problem_kind="bogus")
    assert "problem_kind" in refused.value.message_dict


def test_a_department_of_another_organization_is_refused(org, world):
    foreign = DepartmentFactory(organization=OrganizationFactory())
    with pytest.raises(ValidationError) as refused:
        _create(org, world, department=foreign, client_department=None)
    assert "department" in refused.value.message_dict
    assert not ActionPlan.objects.exists()


def test_a_hand_made_action_needs_no_cycle_nor_problem(org, world):
    action = _create(
        org, world, cycle=None, problem_kind="", criterion=None, client_department=None
    )
    assert action.cycle is None and action.problem_kind == ""


def test_update_audits_only_what_changed_and_nothing_when_nothing_did(org, world, coordinator):
    action = _create(org, world)
    other_owner = PersonFactory(department=world["department"])

    action_update(
        actor=coordinator,
        action=action,
        title="Review returned work weekly",
        owner=other_owner,
        today=TODAY,
    )
    entry = AuditEntry.objects.get(action="action.update")
    assert entry.changes == {
        "title": ["Raise “Quality of result” for SALES", "Review returned work weekly"],
        "owner": [world["head"].email, other_owner.email],
    }
    action_update(actor=coordinator, action=action, title="Review returned work weekly")
    assert AuditEntry.objects.filter(action="action.update").count() == 1


def test_an_overdue_action_keeps_its_past_due_date_when_edited(org, world, coordinator):
    action = make_action(department=world["department"], due_date=TODAY - datetime.timedelta(3))
    action_update(actor=coordinator, action=action, description="Still on it", today=TODAY)
    action.refresh_from_db()
    assert action.description == "Still on it"
    with pytest.raises(ValidationError):
        action_update(
            actor=coordinator, action=action, due_date=TODAY - datetime.timedelta(1), today=TODAY
        )


def test_done_needs_a_result_note(org, world, coordinator):
    action = _create(org, world)
    with pytest.raises(ValidationError) as refused:
        action_set_status(actor=coordinator, action=action, status=ActionPlan.Status.DONE)
    assert "result_note" in refused.value.message_dict
    action.refresh_from_db()
    assert action.status == ActionPlan.Status.PLANNED

    action_set_status(
        actor=coordinator,
        action=action,
        status=ActionPlan.Status.DONE,
        result_note="Returns fell from 12 to 3 a month.",
    )
    action.refresh_from_db()
    assert action.status == ActionPlan.Status.DONE
    entry = AuditEntry.objects.get(action="action.set_status")
    assert entry.changes["status"] == ["planned", "done"]
    assert entry.changes["result_note"] == ["", "Returns fell from 12 to 3 a month."]


def test_update_with_a_status_change_writes_both_or_neither(org, world, coordinator):
    action = _create(org, world)
    with pytest.raises(ValidationError):
        action_update(
            actor=coordinator,
            action=action,
            title="A new title",
            status=ActionPlan.Status.DONE,  # no result note: refused
            today=TODAY,
        )
    action.refresh_from_db()
    assert action.title != "A new title"
    assert not AuditEntry.objects.filter(action="action.update").exists()

    action_update(
        actor=coordinator,
        action=action,
        title="A new title",
        result_note="Done and measured.",
        status=ActionPlan.Status.DONE,
        today=TODAY,
    )
    action.refresh_from_db()
    assert (action.title, action.status) == ("A new title", "done")
    assert AuditEntry.objects.filter(action="action.update").count() == 1
    assert AuditEntry.objects.filter(action="action.set_status").count() == 1
