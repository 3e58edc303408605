"""The cycle lifecycle draft → open → closed → published: services, refusals and audit rows."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from innerclient.core.models import AuditEntry
from innerclient.org.models import InteractionLink
from innerclient.surveys.models import Assignment, Cycle, Invitation
from innerclient.surveys.selectors import cycle_results_visible
from innerclient.surveys.services import cycles as services
from innerclient.surveys.services.cycles import CycleSettings
from innerclient.workflow.services import cycle_publish, cycle_transition
from tests.factories import UserFactory
from tests.surveys.factories_cycles import make_company, make_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company()


@pytest.fixture
def actor():
    return UserFactory()


@pytest.fixture
def sent(monkeypatch):
    """Records calls to the email engineer's invitation sender instead of sending."""
    calls = []
    monkeypatch.setattr(
        "innerclient.surveys.notifications.invitations_enqueue",
        lambda *, cycle_id: calls.append(cycle_id),
    )
    return calls


@pytest.fixture
def refreshed(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "innerclient.surveys.completion.invitation_status_refresh",
        lambda *, cycle: calls.append(cycle.pk) or 0,
    )
    return calls


def _actions(cycle):
    return list(
        AuditEntry.objects.filter(object_type="surveys.cycle", object_id=str(cycle.pk))
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


def test_new_cycle_is_a_draft_with_its_rater_list_and_audit_rows(company, actor):
    cycle = make_cycle(company, actor=actor)
    assert cycle.status == Cycle.Status.DRAFT
    assert cycle.invitations.count() == 7
    assert _actions(cycle) == ["cycle.create", "cycle.assignments_generate"]
    entry = AuditEntry.objects.get(action="cycle.create")
    assert entry.actor == actor
    assert entry.changes["anonymity_threshold"] == 5


def test_full_lifecycle_sets_times_and_writes_one_audit_row_per_transition(
    company, actor, django_capture_on_commit_callbacks, sent, refreshed
):
    cycle = make_cycle(company)
    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_open(actor=actor, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.OPEN and cycle.opened_at is not None
    assert sent == [cycle.pk]

    services.cycle_close(actor=actor, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.CLOSED and cycle.closed_at is not None
    assert refreshed == [cycle.pk]

    cycle_publish(actor=actor, cycle=cycle)
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.PUBLISHED and cycle.published_at is not None
    # Publication stores the results first (one version, with its own audit row).
    assert _actions(cycle)[-4:] == ["cycle.open", "cycle.close", "results.compute", "cycle.publish"]
    assert cycle.result_snapshots.get().version == 1
    opened = AuditEntry.objects.get(action="cycle.open")
    assert opened.changes["status"] == ["draft", "open"]
    assert opened.changes["invitations"] == 7
    assert opened.changes["assignments"] == 12
    assert opened.actor == actor


def test_invitations_are_enqueued_only_after_commit(
    company, django_capture_on_commit_callbacks, sent
):
    cycle = make_cycle(company)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.cycle_open(actor=None, cycle=cycle)
    assert sent == []
    assert len(callbacks) == 1


def test_opening_freezes_the_criteria_version(company, sent):
    cycle = make_cycle(company)
    assert not company.criteria_set.is_frozen
    services.cycle_open(actor=None, cycle=cycle)
    company.criteria_set.refresh_from_db()
    assert company.criteria_set.is_frozen


@pytest.mark.parametrize(
    ("status", "service"),
    [
        ("draft", services.cycle_close),
        ("draft", cycle_publish),
        ("open", services.cycle_open),
        ("open", cycle_publish),
        ("closed", services.cycle_open),
        ("closed", services.cycle_close),
        ("published", services.cycle_open),
        ("published", services.cycle_close),
        ("published", cycle_publish),
    ],
)
def test_states_cannot_be_skipped_or_repeated(company, status, service):
    cycle = make_cycle(company)
    Cycle.objects.filter(pk=cycle.pk).update(status=status)
    cycle.refresh_from_db()
    audit_before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        service(actor=None, cycle=cycle)
    assert exc.value.code == "wrong_status"
    cycle.refresh_from_db()
    assert cycle.status == status
    assert AuditEntry.objects.count() == audit_before


def test_opening_without_anybody_to_ask_is_refused_with_a_clear_message(company, sent):
    InteractionLink.objects.all().delete()
    cycle = make_cycle(company)
    assert cycle.invitations.count() == 0
    with pytest.raises(ValidationError) as exc:
        services.cycle_open(actor=None, cycle=cycle)
    assert exc.value.code == "no_assignments"
    assert "rater list is empty" in exc.value.messages[0]
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.DRAFT
    assert not cycle.criteria_set.is_frozen
    assert sent == []


def test_opening_drops_people_deactivated_since_the_list_was_made(company, sent):
    cycle = make_cycle(company)
    person = company.people["sales1"]
    person.is_active = False
    person.save()
    services.cycle_open(actor=None, cycle=cycle)
    assert not cycle.invitations.filter(person=person).exists()
    assert AuditEntry.objects.get(action="cycle.open").changes["dropped_inactive"] == 2


def test_opening_after_the_deadline_is_refused(company):
    cycle = make_cycle(company, deadline=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        services.cycle_open(actor=None, cycle=cycle)
    assert exc.value.code == "deadline"


def test_settings_cannot_change_after_opening(company, sent):
    cycle = make_cycle(company)
    services.cycle_open(actor=None, cycle=cycle)
    with pytest.raises(ValidationError) as exc:
        services.cycle_update(
            actor=None,
            cycle=cycle,
            name="Renamed",
            criteria_set=cycle.criteria_set,
            settings=CycleSettings(scale="1-10"),
        )
    assert "frozen" in exc.value.messages[0]
    cycle.refresh_from_db()
    assert (cycle.name, cycle.scale) == ("2027 Q1", "1-5")


def test_rater_list_cannot_change_after_opening(company, sent):
    cycle = make_cycle(company)
    services.cycle_open(actor=None, cycle=cycle)
    assignment = Assignment.objects.filter(invitation__cycle=cycle).first()
    invitation = Invitation.objects.filter(cycle=cycle).first()
    refused = [
        lambda: services.cycle_assignments_generate(actor=None, cycle=cycle),
        lambda: services.assignment_remove(actor=None, cycle=cycle, assignment=assignment),
        lambda: services.invitation_remove(actor=None, cycle=cycle, invitation=invitation),
        lambda: services.assignment_add(
            actor=None, cycle=cycle, person=company.people["it1"], provider=company.sales
        ),
        lambda: services.invitation_add(actor=None, cycle=cycle, person=company.people["it1"]),
        lambda: services.client_provider_add(
            actor=None, cycle=cycle, client=company.sales, provider=company.it
        ),
    ]
    count = Assignment.objects.filter(invitation__cycle=cycle).count()
    for attempt in refused:
        with pytest.raises(ValidationError):
            attempt()
    assert Assignment.objects.filter(invitation__cycle=cycle).count() == count


def test_draft_settings_update_writes_changed_fields_and_regenerates_on_rater_change(company):
    cycle = make_cycle(company)
    services.cycle_update(
        actor=None,
        cycle=cycle,
        name="2027 Q1",
        criteria_set=cycle.criteria_set,
        settings=CycleSettings(scale="1-10", justify_at_or_below=3),
    )
    entry = AuditEntry.objects.filter(action="cycle.update").get()
    assert entry.changes == {"scale": ["1-5", "1-10"], "justify_at_or_below": [2, 3]}
    assert AuditEntry.objects.filter(action="cycle.assignments_generate").count() == 1

    services.cycle_update(
        actor=None,
        cycle=cycle,
        name="2027 Q1",
        criteria_set=cycle.criteria_set,
        settings=CycleSettings(scale="1-10", justify_at_or_below=3, rater_mode="heads"),
    )
    assert AuditEntry.objects.filter(action="cycle.assignments_generate").count() == 2
    assert cycle.invitations.count() == 3  # the three heads


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"anonymity_threshold": 2}, "anonymity_threshold"),
        ({"anonymity_threshold": 11, "comment_threshold": 12}, "anonymity_threshold"),
        ({"anonymity_threshold": 6, "comment_threshold": 5}, "comment_threshold"),
        ({"scale": "1-7"}, "scale"),
        ({"justify_at_or_below": 5}, "justify_at_or_below"),
        ({"justify_at_or_below": 2, "justify_at_or_above": 2}, "justify_at_or_above"),
        ({"max_reminders": 4}, "max_reminders"),
        ({"rater_mode": "sample", "sample_size": 0}, "sample_size"),
    ],
)
def test_invalid_settings_are_refused_by_field(company, values, field):
    with pytest.raises(ValidationError) as exc:
        make_cycle(company, **values)
    assert field in exc.value.error_dict
    assert not Cycle.objects.exists()


def test_zero_to_ten_scale_accepts_justification_limits_within_it(company):
    cycle = make_cycle(company, scale="0-10", justify_at_or_below=0, justify_at_or_above=10)
    assert cycle.bounds == (0, 10)


def test_cycle_names_are_unique_in_an_organization(company):
    make_cycle(company)
    with pytest.raises(ValidationError):
        make_cycle(company)


def test_results_are_visible_only_once_published(company, sent):
    cycle = make_cycle(company)
    assert not cycle_results_visible(cycle)
    services.cycle_open(actor=None, cycle=cycle)
    assert not cycle_results_visible(cycle)
    services.cycle_close(actor=None, cycle=cycle)
    assert not cycle_results_visible(cycle)
    cycle_publish(actor=None, cycle=cycle)
    assert cycle_results_visible(cycle)


def test_transition_dispatch_refuses_an_unknown_status(company):
    cycle = make_cycle(company)
    with pytest.raises(ValidationError):
        cycle_transition(actor=None, cycle=cycle, to="draft")


def test_opening_sends_one_invitation_per_person_through_the_email_module(
    company, django_capture_on_commit_callbacks, mailoutbox
):
    cycle = make_cycle(company)
    with django_capture_on_commit_callbacks(execute=True):
        services.cycle_open(actor=None, cycle=cycle)
    assert len(mailoutbox) == 7
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        cycle.invitations.values_list("person__email", flat=True)
    )
    assert not cycle.invitations.filter(invited_at__isnull=True).exists()
