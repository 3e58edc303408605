"""The data migrations that bring existing cycles under the anonymity fixes of the
verification findings: run on rows written as the old code wrote them."""

import importlib

import pytest
from django.apps import apps

from innerclient.surveys.models import Assignment, Cycle, CycleDepartmentCount, Invitation, Response
from innerclient.surveys.tokens import link_token, rater_key, self_rater_key
from tests.factories import PersonFactory
from tests.surveys.factories_emails import make_cycle, make_invitation, providers_for

pytestmark = pytest.mark.django_db


def _forwards(name: str):
    return importlib.import_module(f"innerclient.surveys.migrations.{name}").forwards


def _old_response(invitation, provider, kind):
    """As the old questionnaire wrote it: one key for everything, the kind "head"/"self"."""
    return Response.objects.create(
        cycle=invitation.cycle,
        provider=provider,
        rater_department=invitation.person.department,
        rater_kind=kind,
        rater_key=rater_key(link_token(str(invitation.public_id))),
        status=Response.Status.SUBMITTED,
    )


def _head_with_self(cycle):
    person = PersonFactory(is_head=True)
    providers = providers_for(cycle, 1)
    invitation = make_invitation(cycle, person=person, providers=[*providers, person.department])
    other = _old_response(invitation, providers[0], "head")
    own = _old_response(invitation, person.department, "self")
    return invitation, other, own


def test_no_response_says_head_or_employee_any_more():
    cycle = make_cycle()
    _invitation, other, own = _head_with_self(cycle)
    employee = _old_response(
        make_invitation(cycle, providers=providers_for(cycle, 1)), other.provider, "employee"
    )

    _forwards("0002_response_kind_client_or_self")(apps, None)

    kinds = dict(Response.objects.values_list("pk", "rater_kind"))
    assert kinds == {other.pk: "client", employee.pk: "client", own.pk: "self"}


def test_self_assessments_get_their_own_key_found_again_by_an_open_cycles_link():
    open_cycle = make_cycle(status=Cycle.Status.OPEN)
    invitation, other, own = _head_with_self(open_cycle)
    closed = make_cycle(status=Cycle.Status.PUBLISHED)
    _closed_invitation, closed_other, closed_own = _head_with_self(closed)

    _forwards("0003_self_assessment_own_rater_key")(apps, None)

    token = link_token(str(invitation.public_id))
    keys = dict(Response.objects.values_list("pk", "rater_key"))
    assert keys[own.pk] == self_rater_key(token)
    assert keys[other.pk] == rater_key(token)
    # A finished cycle's self-assessment leads nowhere: not even the keys find it again.
    assert keys[closed_other.pk] == closed_other.rater_key
    assert keys[closed_own.pk] not in {closed_own.rater_key, closed_other.rater_key}
    assert len(keys[closed_own.pk]) == 64


def test_already_closed_cycles_keep_only_their_department_counts():
    cycle = make_cycle(status=Cycle.Status.CLOSED)
    providers = providers_for(cycle, 2)
    department = PersonFactory().department
    done, idle = (
        make_invitation(cycle, person=PersonFactory(department=department), providers=providers)
        for _ in range(2)
    )
    Invitation.objects.filter(pk=done.pk).update(status="completed", completed_on="2027-03-02")
    Invitation.objects.filter(pk=idle.pk).update(reminders_sent=3)
    still_open = make_cycle(status=Cycle.Status.OPEN)
    running = make_invitation(still_open, providers=providers_for(still_open, 1))

    _forwards("0004_closed_cycles_keep_counts_only")(apps, None)

    count = CycleDepartmentCount.objects.get(cycle=cycle)
    assert (count.department_id, count.invited, count.started, count.completed) == (
        department.pk,
        2,
        0,
        1,
    )
    assert (count.ratings, count.self_assessments) == (4, 0)
    assert count.providers == {str(p.pk): 2 for p in providers}
    assert not Assignment.objects.filter(invitation__cycle=cycle).exists()
    assert set(
        Invitation.objects.filter(cycle=cycle).values_list(
            "status", "completed_on", "reminders_sent"
        )
    ) == {("closed", None, 0)}
    # An open cycle is left as it is.
    assert Assignment.objects.filter(invitation=running).exists()
    assert not CycleDepartmentCount.objects.filter(cycle=still_open).exists()
