"""The response-rate page (counts only, live via HTMX), "send reminder now", and the batch
completion refresh that both rely on."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from innerclient.core.models import AuditEntry, Role
from innerclient.surveys.completion import invitation_status_refresh, response_rates
from innerclient.surveys.models import Cycle, Invitation, Response
from innerclient.surveys.services.cycles import cycle_close
from tests.factories import DepartmentFactory, PersonFactory
from tests.surveys.factories_emails import (
    answer,
    finish,
    make_cycle,
    make_invitation,
    providers_for,
    smtp_server,  # noqa: F401 (the smtp fixture)
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # the page's refresh throttle lives in the cache
    yield
    cache.clear()


@pytest.fixture
def company(org):
    """Sales (4 raters: 2 finished, 1 halfway) and Finance (2 raters: 1 finished)."""
    cycle = make_cycle(organization=org, name="2027 Q1")
    sales = DepartmentFactory(organization=org, name_en="Sales", name_ru="Продажи")
    finance = DepartmentFactory(organization=org, name_en="Finance", name_ru="Финансы")
    providers = providers_for(cycle, 2)

    def rater(department):
        person = PersonFactory(
            department=department, full_name=f"Rater {Invitation.objects.count()}"
        )
        return make_invitation(
            cycle, person=person, providers=providers, invited_at=timezone.now() - timedelta(days=2)
        )

    s1, s2, s3, _s4 = (rater(sales) for _ in range(4))
    f1, _f2 = (rater(finance) for _ in range(2))
    for invitation in (s1, s2, f1):
        finish(invitation)
    answer(s3, providers[0], status=Response.Status.DRAFT)
    return cycle


def _url(cycle, name="org:cycle_progress"):
    return reverse(name, args=[cycle.organization.slug, cycle.pk])


# --- completion -----------------------------------------------------------------------------


def test_status_refresh_derives_completion_without_any_stored_link(org):
    cycle = make_cycle(organization=org)
    providers = providers_for(cycle, 3)
    done, partly, idle = (make_invitation(cycle, providers=providers) for _ in range(3))
    finish(done)
    answer(partly, providers[0])

    assert invitation_status_refresh(cycle=cycle) == 2

    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses == {done.pk: "completed", partly.pk: "started", idle.pk: "pending"}
    done.refresh_from_db()
    assert done.completed_on == timezone.localdate()  # a date: no time to match against logs
    assert invitation_status_refresh(cycle=cycle) == 0  # nothing changed, nothing written


def test_a_draft_alone_is_not_completion(org):
    cycle = make_cycle(organization=org)
    providers = providers_for(cycle, 1)
    invitation = make_invitation(cycle, providers=providers)
    answer(invitation, providers[0], status=Response.Status.DRAFT)

    invitation_status_refresh(cycle=cycle)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.STARTED
    assert invitation.completed_on is None


@pytest.mark.django_db(transaction=True)
def test_a_refresh_rewrites_every_invitation_in_one_transaction(org):
    """PostgreSQL stamps rows with the writing transaction's id (xmin): if only the newly
    completed invitation were updated, its xmin would sit beside its responses' xmin."""
    if connection.vendor != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    cycle = make_cycle(organization=org)
    providers = providers_for(cycle, 1)
    invitations = [make_invitation(cycle, providers=providers) for _ in range(4)]
    finish(invitations[0])

    def transaction_ids() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM surveys_invitation WHERE cycle_id = %s",
                [cycle.pk],
            )
            return len(cursor.fetchall())

    assert transaction_ids() == 4  # each invitation was created in its own transaction
    invitation_status_refresh(cycle=cycle)
    assert transaction_ids() == 1


def test_response_rates_per_department_and_overall(company):
    rates = response_rates(cycle=company, every_department=True)

    by_name = {row.department_name: row for row in rates.departments}
    assert (by_name["Sales"].invited, by_name["Sales"].completed, by_name["Sales"].started) == (
        4,
        2,
        1,
    )
    assert by_name["Sales"].percent == 50
    assert (by_name["Finance"].invited, by_name["Finance"].completed) == (2, 1)
    assert (rates.overall.invited, rates.overall.completed, rates.overall.percent) == (6, 3, 50)


def test_the_page_refreshes_completion_at_most_once_a_minute(company, settings):
    settings.INNERCLIENT_PROGRESS_REFRESH_SECONDS = 60
    assert response_rates(cycle=company).overall.completed == 3
    late = Invitation.objects.filter(status=Invitation.Status.PENDING).first()
    finish(late)

    assert response_rates(cycle=company).overall.completed == 3  # throttled
    cache.clear()  # a minute later
    assert response_rates(cycle=company).overall.completed == 4


# --- the page -------------------------------------------------------------------------------


def test_progress_page_shows_counts_and_bars_but_no_names(coordinator_client, company):
    response = coordinator_client.get(_url(company))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="overall-percent">50%' in page
    assert 'data-testid="overall-completed">3<' in page
    assert 'data-testid="overall-invited">6<' in page
    assert "Sales" in page and "Finance" in page
    assert 'class="progress' in page
    assert 'hx-trigger="every 12s"' in page
    assert "Rater " not in page  # nobody's name, ever
    for invitation in Invitation.objects.select_related("person"):
        assert invitation.person.email not in page
    assert _url(company, "org:cycle_remind_now") in page


def test_htmx_poll_gets_only_the_partial(coordinator_client, company):
    response = coordinator_client.get(_url(company), headers={"HX-Request": "true"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="rr-rates"')
    assert 'data-testid="overall-completed">3<' in page


def test_a_closed_cycle_shows_final_counts_without_polling(coordinator_client, company):
    cycle_close(actor=None, cycle=company)

    page = coordinator_client.get(_url(company)).content.decode()

    assert "hx-trigger" not in page
    assert "final counts" in page
    assert _url(company, "org:cycle_remind_now") not in page
    # Read from the counts kept at close: no invitation says any more who finished.
    assert 'data-testid="overall-completed">3<' in page
    assert 'data-testid="overall-invited">6<' in page
    assert set(Invitation.objects.values_list("status", flat=True)) == {"closed"}


def test_a_head_sees_departments_below_the_threshold_only_together(client, company, make_member):
    """Point 6: "1 of 3" would tell a head who has not answered. Sales (4 invited) and Finance
    (2) are below the threshold of 5: a head sees them as one row, the total unchanged."""
    org = company.organization
    finance = Invitation.objects.filter(cycle=company, person__department__name_en="Finance")
    head = make_member(org, Role.HEAD, department=finance.first().person.department)
    client.force_login(head)

    page = client.get(_url(company)).content.decode()

    assert "Sales" not in page and "Finance" not in page
    assert 'data-testid="department-rate"' not in page
    assert 'data-testid="other-departments-rate"' in page
    assert (
        'data-testid="department-completed">3</span> / <span data-testid="department-invited">6<'
        in page
    )
    assert 'data-testid="overall-completed">3<' in page
    assert 'data-testid="folded-note"' in page


def test_the_coordinator_sees_every_department_to_remind_them(coordinator_client, company):
    page = coordinator_client.get(_url(company)).content.decode()

    assert page.count('data-testid="department-rate"') == 2
    assert 'data-testid="other-departments-rate"' not in page


def test_an_analyst_sees_the_rates_but_no_reminder_button(client, company, make_member):
    client.force_login(make_member(company.organization, Role.ANALYST))

    page = client.get(_url(company)).content.decode()

    assert 'data-testid="overall-percent">50%' in page
    assert _url(company, "org:cycle_remind_now") not in page
    assert client.post(_url(company, "org:cycle_remind_now")).status_code == 403


# --- send reminder now ----------------------------------------------------------------------


def test_remind_now_asks_for_confirmation_with_the_number_of_people(coordinator_client, company):
    response = coordinator_client.get(_url(company, "org:cycle_remind_now"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<strong>3</strong> people who have not finished" in page
    assert "Send to 3 people" in page


def test_remind_now_sends_to_everyone_unfinished_over_smtp(
    smtp, coordinator_client, company, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator_client.post(_url(company, "org:cycle_remind_now"), follow=True)

    assert response.status_code == 200
    assert "A reminder is on its way to 3 people." in response.content.decode()
    unfinished = Invitation.objects.exclude(status=Invitation.Status.COMPLETED)
    assert smtp.recipients == sorted(i.person.email for i in unfinished.select_related("person"))
    assert AuditEntry.objects.filter(action="cycle.remind_now").count() == 1
    # Pressed again at once: nobody gets a second email.
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(_url(company, "org:cycle_remind_now"))
    assert len(smtp.messages) == 3


def test_remind_now_refuses_a_cycle_that_is_not_open(smtp, coordinator_client, company):
    company.status = Cycle.Status.CLOSED
    company.save()

    response = coordinator_client.post(_url(company, "org:cycle_remind_now"), follow=True)

    assert "only while the cycle is open" in response.content.decode()
    assert smtp.messages == []


def test_progress_page_of_another_organization_is_404(coordinator_client, company):
    other = make_cycle()
    assert (
        coordinator_client.get(
            _url(other).replace(other.organization.slug, company.organization.slug)
        ).status_code
        == 404
    )
    assert (
        coordinator_client.get(
            reverse("org:cycle_progress", args=[company.organization.slug, company.pk + 999])
        ).status_code
        == 404
    )


def test_progress_page_pins_its_query_count(
    coordinator_client, company, django_assert_max_num_queries
):
    coordinator_client.get(_url(company))  # warm the session and the refresh throttle
    with django_assert_max_num_queries(8):
        coordinator_client.get(_url(company), headers={"HX-Request": "true"})


def test_a_draft_cycle_shows_who_will_be_invited(coordinator_client, org):
    cycle = make_cycle(organization=org, status=Cycle.Status.DRAFT)
    make_invitation(cycle, providers=providers_for(cycle, 1))

    page = coordinator_client.get(_url(cycle)).content.decode()

    assert 'data-testid="overall-invited">1<' in page
    assert "not open yet" in page
    assert "hx-trigger" not in page
