"""The cycle_* management commands a coordinator scripts his quarter with."""

import io

import pytest
from django.core.management import CommandError, call_command

from innerclient.core.models import AuditEntry
from innerclient.surveys.models import Cycle
from tests.surveys.factories_cycles import make_company, make_cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def company():
    return make_company()


@pytest.fixture
def no_email(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "innerclient.surveys.notifications.invitations_enqueue",
        lambda *, cycle_id: calls.append(cycle_id),
    )
    return calls


def _run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_open_close_publish_by_name(company, no_email, django_capture_on_commit_callbacks):
    slug = company.organization.slug
    out = _run(
        "cycle_create",
        "--org",
        slug,
        "2027 Q1",
        "--scale",
        "1-10",
        "--rater-mode",
        "heads",
        "--deadline",
        "2099-03-31",
        "--no-self-assessment",
    )
    cycle = Cycle.objects.get(organization=company.organization, name="2027 Q1")
    assert (cycle.scale, cycle.rater_mode, cycle.include_self_assessment) == (
        "1-10",
        "heads",
        False,
    )
    assert str(cycle.deadline) == "2099-03-31"
    assert cycle.invitations.count() == 2
    assert "2 people" in out  # heads of the client departments: sales and purchasing

    with django_capture_on_commit_callbacks(execute=True):
        assert "Opened" in _run("cycle_open", "--org", slug, "2027 Q1")
    assert no_email == [cycle.pk]
    assert "Closed" in _run("cycle_close", "--org", slug, str(cycle.pk))
    assert "Published" in _run("cycle_publish", "--org", slug, "2027 Q1")
    cycle.refresh_from_db()
    assert cycle.status == "published"
    actions = list(
        AuditEntry.objects.filter(object_id=str(cycle.pk), object_type="surveys.cycle")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == ["cycle.open", "cycle.close", "results.compute", "cycle.publish"]


def test_refusals_become_command_errors(company):
    cycle = make_cycle(company)
    with pytest.raises(CommandError, match="Only an open cycle can be closed"):
        _run("cycle_close", "--org", company.organization.slug, cycle.name)
    with pytest.raises(CommandError, match="already exists"):
        _run("cycle_create", "--org", company.organization.slug, cycle.name)
    with pytest.raises(CommandError, match="anonymity threshold"):
        _run("cycle_create", "--org", company.organization.slug, "X", "--anonymity-threshold", "2")


def test_unknown_organization_or_cycle(company):
    with pytest.raises(CommandError, match="No active organization"):
        _run("cycle_open", "--org", "nope", "2027 Q1")
    with pytest.raises(CommandError, match="No cycle"):
        _run("cycle_open", "--org", company.organization.slug, "2027 Q9")


def test_a_cycle_of_another_organization_is_not_found(company):
    other = make_company()
    cycle = make_cycle(other)
    with pytest.raises(CommandError, match="No cycle"):
        _run("cycle_open", "--org", company.organization.slug, str(cycle.pk))


def test_remind_sends_now_through_the_email_module(company, monkeypatch, no_email):
    calls = []
    monkeypatch.setattr(
        "innerclient.surveys.notifications.reminders_send",
        lambda *, cycle_id, force=False: calls.append((cycle_id, force)) or 4,
    )
    cycle = make_cycle(company)
    with pytest.raises(CommandError, match="Only an open cycle"):
        _run("cycle_remind", "--org", company.organization.slug, cycle.name)
    _run("cycle_open", "--org", company.organization.slug, cycle.name)
    out = _run("cycle_remind", "--org", company.organization.slug, cycle.name)
    assert calls == [(cycle.pk, True)]
    assert ": 4." in out


def test_create_uses_a_named_criteria_set(company):
    out = _run(
        "cycle_create",
        "--org",
        company.organization.slug,
        "Q",
        "--criteria-set",
        str(company.criteria_set.pk),
    )
    assert "Стандарт v1" in out
    with pytest.raises(CommandError, match="No criteria set"):
        _run("cycle_create", "--org", company.organization.slug, "Q2", "--criteria-set", "999999")
