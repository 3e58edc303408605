"""Filing and deciding appeals: windows, who may file and decide, what an upheld or rejected
appeal changes, the audit trail, and the pages."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from innerclient.appeals import selectors
from innerclient.appeals.models import Appeal
from innerclient.appeals.services import appeal_decide, appeal_file, appeal_settings_update
from innerclient.core.models import AuditEntry, Role
from innerclient.results.models import ResultSnapshot
from tests.appeals.factories import ABUSIVE, FAIR, appeals_world, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    return appeals_world(org)


def _view_appeal(world, actor=None, **kwargs):
    return appeal_file(
        actor=actor or world.head,
        cycle=world.cycle,
        department=world.provider,
        kind="client_view",
        client_department=world.low,
        text="Assembly rated us on a project we never ran.",
        **kwargs,
    )


def _comment_appeal(world, actor=None):
    return appeal_file(
        actor=actor or world.head,
        cycle=world.cycle,
        department=world.provider,
        kind="comment",
        comment_kind="answer",
        comment_id=world.answer.pk,
        text="An insult, not feedback.",
    )


def _provider(snapshot, department):
    return snapshot.payload["providers"][snapshot.departments.index(department.pk)]


# --- the window ---------------------------------------------------------------------------


def test_head_files_within_the_window(world):
    appeal = _view_appeal(world)
    assert appeal.status == Appeal.Status.FILED
    assert appeal.filed_by == world.head
    assert appeal.version_before == 1


def test_the_last_day_of_the_window_is_still_open(org):
    world = appeals_world(org, published_days_ago=10)
    assert selectors.appeal_window_open(world.cycle, selectors.appeal_settings(org))
    assert _view_appeal(world).pk


def test_filing_after_the_window_is_refused_with_the_date(org):
    world = appeals_world(org, published_days_ago=11)
    last_day = timezone.localdate(world.cycle.published_at) + timedelta(days=10)
    with pytest.raises(ValidationError) as error:
        _view_appeal(world)
    assert error.value.code == "window"
    assert last_day.strftime("%d.%m.%Y") in error.value.messages[0]
    assert "10 days after publication" in error.value.messages[0]
    assert not Appeal.objects.exists()


def test_a_longer_window_set_by_the_coordinator_lets_a_late_appeal_in(org):
    world = appeals_world(org, published_days_ago=20)
    appeal_settings_update(actor=world.coordinator, organization=org, window_days=30, committee=[])
    assert _view_appeal(world).pk


def test_window_closes_at_midnight_after_the_last_day(world):
    settings = selectors.appeal_settings(world.org)
    last = selectors.appeal_last_day(world.cycle, settings)
    tz = timezone.get_current_timezone()
    from datetime import datetime, time

    just_before = datetime.combine(last, time(23, 59), tzinfo=tz)
    midnight = datetime.combine(last + timedelta(days=1), time(0, 0), tzinfo=tz)
    assert selectors.appeal_window_open(world.cycle, settings, just_before)
    assert not selectors.appeal_window_open(world.cycle, settings, midnight)
    with pytest.raises(ValidationError):
        _view_appeal(world, now=midnight)


# --- who files ----------------------------------------------------------------------------


def test_a_head_cannot_file_for_another_department(world):
    with pytest.raises(PermissionDenied):
        _view_appeal(world, actor=world.other_head)


def test_the_coordinator_files_on_a_departments_behalf(world):
    appeal = _view_appeal(world, actor=world.coordinator)
    assert appeal.department == world.provider
    entry = AuditEntry.objects.get(action="appeal.file")
    assert entry.changes["on_behalf"] is True


def test_an_analyst_or_employee_cannot_file(world):
    for role in (Role.ANALYST, Role.EMPLOYEE):
        with pytest.raises(PermissionDenied):
            _view_appeal(world, actor=member(world.org, role, world.provider))


def test_head_page_refuses_another_department_and_files_for_his_own(client, world):
    client.force_login(world.head)
    base = reverse("org:appeal_create", args=[world.org.slug])
    other = client.get(f"{base}?cycle={world.cycle.pk}&department={world.other.pk}")
    assert other.status_code == 403
    page = client.get(f"{base}?cycle={world.cycle.pk}&department={world.provider.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="view:{world.low.pk}"' in html
    assert f'value="view:{world.high.pk}"' in html
    assert ABUSIVE in html and FAIR in html
    response = client.post(
        f"{base}?cycle={world.cycle.pk}",
        {"target": f"view:{world.low.pk}", "text": "Never worked with them this quarter."},
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("org:appeal_detail", args=[world.org.slug, appeal.pk])
    assert appeal.department == world.provider and appeal.client_department == world.low


def test_other_heads_see_neither_the_appeal_nor_it_in_their_list(client, world):
    appeal = _view_appeal(world)
    client.force_login(world.other_head)
    detail = reverse("org:appeal_detail", args=[world.org.slug, appeal.pk])
    assert client.get(detail).status_code == 403
    listing = client.get(reverse("org:appeal_list", args=[world.org.slug]))
    assert listing.status_code == 200
    assert f"appeal-{appeal.pk}" not in listing.content.decode()
    client.force_login(world.head)
    assert client.get(detail).status_code == 200
    listing = client.get(reverse("org:appeal_list", args=[world.org.slug]))
    assert f"appeal-{appeal.pk}" in listing.content.decode()


def test_page_after_the_window_says_so_and_offers_no_form(client, org):
    world = appeals_world(org, published_days_ago=12)
    client.force_login(world.head)
    url = reverse("org:appeal_create", args=[org.slug]) + f"?cycle={world.cycle.pk}"
    html = client.get(url).content.decode()
    assert 'data-testid="window-closed"' in html
    assert 'data-testid="appeal-form"' not in html
    response = client.post(url, {"target": f"view:{world.low.pk}", "text": "Late."})
    assert "The time for appeals" in response.content.decode()
    assert not Appeal.objects.exists()


# --- targets ------------------------------------------------------------------------------


def test_only_shown_client_views_can_be_disputed(world):
    with pytest.raises(ValidationError) as error:
        appeal_file(
            actor=world.head,
            cycle=world.cycle,
            department=world.provider,
            kind="client_view",
            client_department=world.other,  # never rated P
            text="x",
        )
    assert error.value.code == "target"


def test_a_hidden_view_cannot_be_disputed(org):
    world = appeals_world(org)
    # A department with only 3 raters of its own: its view of P is not shown.
    from tests.factories import DepartmentFactory
    from tests.results.factories import closed_cycle, plant_response, publish

    small = DepartmentFactory(organization=org, code="S")
    cycle = closed_cycle(org, name="small")
    for client, n in ((world.low, 6), (world.high, 6), (small, 3)):
        for _ in range(n):
            plant_response(cycle, provider=world.provider, client=client, scores=[3] * 8)
    publish(cycle)
    views = selectors.shown_client_views(ResultSnapshot.objects.get(cycle=cycle), world.provider)
    assert small.pk not in {v.department_id for v in views}
    with pytest.raises(ValidationError):
        appeal_file(
            actor=world.head,
            cycle=cycle,
            department=world.provider,
            kind="client_view",
            client_department=small,
            text="x",
        )


def test_comment_must_be_about_this_department_in_this_cycle(world):
    with pytest.raises(ValidationError) as error:
        appeal_file(
            actor=world.other_head,
            cycle=world.cycle,
            department=world.other,
            kind="comment",
            comment_kind="answer",
            comment_id=world.answer.pk,  # a comment about P, not about C
            text="x",
        )
    assert error.value.code == "target"


def test_comments_are_not_offered_below_the_comment_threshold(org):
    world = appeals_world(org)
    world.cycle.comment_threshold = 20
    world.cycle.save()
    from innerclient.results.services import results_compute

    snapshot = results_compute(actor=None, cycle=world.cycle, reason="Comment threshold raised")
    assert not _provider(snapshot, world.provider)["comments_shown"]
    assert selectors.shown_comments(world.cycle, snapshot, world.provider) == []
    with pytest.raises(ValidationError):
        _comment_appeal(world)


def test_a_second_open_appeal_on_the_same_target_is_refused(world):
    first = _view_appeal(world)
    with pytest.raises(ValidationError) as error:
        _view_appeal(world, actor=world.coordinator)
    assert error.value.code == "duplicate"
    assert f"#{first.pk}" in error.value.messages[0]
    # Another target is fine; so is the same one once the first is decided.
    assert _comment_appeal(world).pk
    appeal_decide(actor=world.coordinator, appeal=first, upheld=False, reason="No grounds.")
    assert _view_appeal(world).pk


def test_text_is_required(world):
    with pytest.raises(ValidationError) as error:
        appeal_file(
            actor=world.head,
            cycle=world.cycle,
            department=world.provider,
            kind="client_view",
            client_department=world.low,
            text="   ",
        )
    assert error.value.code == "text"


# --- deciding -----------------------------------------------------------------------------


def test_upheld_client_view_appeal_makes_a_new_version_without_that_view(world):
    appeal = _view_appeal(world)
    before = ResultSnapshot.objects.get(cycle=world.cycle, version=1)
    assert _provider(before, world.provider)["index"] == pytest.approx(62.5)

    appeal = appeal_decide(
        actor=world.coordinator, appeal=appeal, upheld=True, reason="No dealings this quarter."
    )

    assert appeal.status == Appeal.Status.UPHELD
    assert (appeal.version_before, appeal.version_after) == (1, 2)
    after = ResultSnapshot.objects.get(cycle=world.cycle, version=2)
    assert after.payload["exclusions"] == [[world.provider.pk, world.low.pk]]
    assert f"Appeal #{appeal.pk} upheld: No dealings this quarter." == after.reason
    provider = _provider(after, world.provider)
    assert provider["index"] == pytest.approx(100.0)  # only B's fives remain
    assert world.low.pk not in {after.departments[v["client"]] for v in provider["clients"]}
    # The earlier version is untouched and still there.
    before.refresh_from_db()
    assert _provider(before, world.provider)["index"] == pytest.approx(62.5)
    assert before.payload["exclusions"] == []


def test_both_versions_stay_viewable_and_the_new_one_is_current(client, world):
    appeal = appeal_decide(
        actor=world.coordinator, appeal=_view_appeal(world), upheld=True, reason="Upheld."
    )
    client.force_login(world.coordinator)
    results = reverse("org:cycle_results", args=[world.org.slug, world.cycle.pk])
    detail = client.get(reverse("org:appeal_detail", args=[world.org.slug, appeal.pk]))
    html = detail.content.decode()
    assert f"{results}?version=1" in html and f"{results}?version=2" in html
    old = client.get(f"{results}?version=1")
    assert old.status_code == 200 and 'data-testid="old-version"' in old.content.decode()
    current = client.get(results)
    assert (
        current.status_code == 200 and 'data-testid="old-version"' not in current.content.decode()
    )
    assert current.context["snapshot"].version == 2


def test_a_later_upheld_appeal_keeps_the_earlier_exclusion(org):
    world = appeals_world(org)
    extra = member(org, Role.HEAD, world.provider)
    c = __import__("tests.factories", fromlist=["DepartmentFactory"]).DepartmentFactory(
        organization=org, code="D"
    )
    from innerclient.results.services import results_compute
    from tests.results.factories import plant_response

    for _ in range(6):
        plant_response(world.cycle, provider=world.provider, client=c, scores=[4] * 8)
    results_compute(actor=None, cycle=world.cycle, reason="Late answers loaded")
    first = appeal_decide(
        actor=world.coordinator, appeal=_view_appeal(world), upheld=True, reason="One."
    )
    second = appeal_file(
        actor=extra,
        cycle=world.cycle,
        department=world.provider,
        kind="client_view",
        client_department=c,
        text="Two.",
    )
    second = appeal_decide(actor=world.coordinator, appeal=second, upheld=True, reason="Two.")
    latest = ResultSnapshot.objects.get(cycle=world.cycle, version=second.version_after)
    assert sorted(map(tuple, latest.payload["exclusions"])) == sorted(
        [(world.provider.pk, world.low.pk), (world.provider.pk, c.pk)]
    )
    assert first.version_after < second.version_after


def test_rejected_appeal_changes_no_result(world):
    appeal = appeal_decide(
        actor=world.coordinator, appeal=_view_appeal(world), upheld=False, reason="Fair rating."
    )
    assert appeal.status == Appeal.Status.REJECTED
    assert appeal.version_after is None
    assert list(
        ResultSnapshot.objects.filter(cycle=world.cycle).values_list("version", flat=True)
    ) == [1]
    assert not AuditEntry.objects.filter(action="results.compute", changes__version=2).exists()


def test_decision_needs_a_reason_and_happens_once(world):
    appeal = _view_appeal(world)
    with pytest.raises(ValidationError) as error:
        appeal_decide(actor=world.coordinator, appeal=appeal, upheld=True, reason=" ")
    assert error.value.code == "reason"
    appeal_decide(actor=world.coordinator, appeal=appeal, upheld=False, reason="No.")
    with pytest.raises(ValidationError) as error:
        appeal_decide(actor=world.coordinator, appeal=appeal, upheld=True, reason="Yes.")
    assert error.value.code == "decided"
    assert ResultSnapshot.objects.filter(cycle=world.cycle).count() == 1


def test_the_named_committee_decides_not_the_coordinator(world):
    chair = member(world.org, Role.EMPLOYEE, world.other)
    appeal_settings_update(
        actor=world.coordinator, organization=world.org, window_days=10, committee=[chair]
    )
    appeal = _view_appeal(world)
    with pytest.raises(PermissionDenied):
        appeal_decide(actor=world.coordinator, appeal=appeal, upheld=False, reason="No.")
    with pytest.raises(PermissionDenied):
        appeal_decide(actor=world.head, appeal=appeal, upheld=False, reason="No.")
    assert appeal_decide(actor=chair, appeal=appeal, upheld=False, reason="No.").decided_by == chair


def test_a_committee_member_does_not_decide_his_own_departments_appeal(world):
    appeal_settings_update(
        actor=world.coordinator,
        organization=world.org,
        window_days=10,
        committee=[world.head, world.other_head],
    )
    appeal = _view_appeal(world)
    with pytest.raises(ValidationError) as error:
        appeal_decide(actor=world.head, appeal=appeal, upheld=True, reason="Mine.")
    assert error.value.code == "conflict"
    assert appeal_decide(actor=world.other_head, appeal=appeal, upheld=False, reason="No.").pk


def test_committee_must_be_members_of_the_organization(world):
    from tests.factories import MembershipFactory, OrganizationFactory

    outsider = MembershipFactory(organization=OrganizationFactory()).user
    with pytest.raises(ValidationError):
        appeal_settings_update(
            actor=world.coordinator, organization=world.org, window_days=10, committee=[outsider]
        )


def test_upheld_comment_appeal_hides_the_comment(world):
    reports = pytest.importorskip("innerclient.reports.services")
    if not hasattr(reports, "comment_hide"):
        pytest.skip("reports.services.comment_hide is not there yet")
    from innerclient.reports.models import CommentModeration

    appeal = _comment_appeal(world)
    snapshot = ResultSnapshot.objects.get(cycle=world.cycle)
    assert ABUSIVE in [
        c.text for c in selectors.shown_comments(world.cycle, snapshot, world.provider)
    ]
    appeal_decide(actor=world.coordinator, appeal=appeal, upheld=True, reason="Abusive.")
    hidden = CommentModeration.objects.get(comment_id=world.answer.pk, is_active=True)
    assert hidden.kind == "answer"
    assert hidden.reason == f"Appeal #{appeal.pk} upheld: Abusive."
    texts = [c.text for c in selectors.shown_comments(world.cycle, snapshot, world.provider)]
    assert ABUSIVE not in texts and FAIR in texts
    assert ResultSnapshot.objects.filter(cycle=world.cycle).count() == 1  # figures unchanged


def test_rejected_comment_appeal_leaves_the_comment(world):
    appeal = appeal_file(
        actor=world.head,
        cycle=world.cycle,
        department=world.provider,
        kind="comment",
        comment_kind="open",
        comment_id=world.open_answer.pk,
        text="Unfair.",
    )
    appeal_decide(actor=world.coordinator, appeal=appeal, upheld=False, reason="It is fair.")
    snapshot = ResultSnapshot.objects.get(cycle=world.cycle)
    assert FAIR in [c.text for c in selectors.shown_comments(world.cycle, snapshot, world.provider)]


# --- the audit trail ----------------------------------------------------------------------


def test_every_step_leaves_an_audit_row(world):
    appeal_settings_update(
        actor=world.coordinator, organization=world.org, window_days=14, committee=[]
    )
    appeal = _view_appeal(world)
    appeal_decide(actor=world.coordinator, appeal=appeal, upheld=True, reason="Upheld.")
    rows = {e.action: e for e in AuditEntry.objects.filter(organization=world.org)}
    assert rows["appeal_settings.update"].changes["window_days"] == [10, 14]
    filed = rows["appeal.file"]
    assert filed.actor == world.head and filed.object_id == str(appeal.pk)
    assert filed.changes["client_department"] == world.low.pk
    upheld = rows["appeal.uphold"]
    assert upheld.actor == world.coordinator
    assert upheld.changes["version_after"] == 2 and upheld.changes["reason"] == "Upheld."
    recompute = AuditEntry.objects.filter(action="results.compute").order_by("-id").first()
    assert recompute.changes["version"] == 2
    assert recompute.changes["exclusions"] == [[world.provider.pk, world.low.pk]]


def test_rejection_is_audited(world):
    appeal = appeal_decide(
        actor=world.coordinator, appeal=_view_appeal(world), upheld=False, reason="No."
    )
    entry = AuditEntry.objects.get(action="appeal.reject")
    assert entry.object_id == str(appeal.pk)
    assert entry.changes["status"] == ["filed", "rejected"]


# --- pages: the decision with its confirmation ----------------------------------------------


def test_decision_form_asks_for_confirmation_before_acting(client, world):
    appeal = _view_appeal(world)
    client.force_login(world.coordinator)
    url = reverse("org:appeal_detail", args=[world.org.slug, appeal.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="decision-form"' in page
    step = client.post(url, {"decision": "upheld", "reason": "They never worked with us."})
    assert step.status_code == 200
    assert 'data-testid="confirm"' in step.content.decode()
    appeal.refresh_from_db()
    assert appeal.is_open
    assert ResultSnapshot.objects.filter(cycle=world.cycle).count() == 1
    done = client.post(
        url, {"decision": "upheld", "reason": "They never worked with us.", "confirm": "1"}
    )
    assert done.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD
    assert appeal.decision_reason == "They never worked with us."
    page = client.get(url).content.decode()
    assert 'data-testid="versions"' in page


def test_decision_without_a_reason_is_refused_on_the_page(client, world):
    appeal = _view_appeal(world)
    client.force_login(world.coordinator)
    url = reverse("org:appeal_detail", args=[world.org.slug, appeal.pk])
    response = client.post(url, {"decision": "rejected", "reason": "", "confirm": "1"})
    assert "Write the reason for the decision." in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.is_open


def test_the_appellant_head_cannot_decide_on_the_page(client, world):
    appeal = _view_appeal(world)
    client.force_login(world.head)
    url = reverse("org:appeal_detail", args=[world.org.slug, appeal.pk])
    html = client.get(url).content.decode()
    assert 'data-testid="decision-form"' not in html
    response = client.post(url, {"decision": "upheld", "reason": "Mine.", "confirm": "1"})
    assert response.status_code == 403
    appeal.refresh_from_db()
    assert appeal.is_open


def test_head_sees_both_versions_figures_but_no_links_to_company_results(client, world):
    appeal = appeal_decide(
        actor=world.coordinator, appeal=_view_appeal(world), upheld=True, reason="Upheld."
    )
    client.force_login(world.head)
    page = client.get(reverse("org:appeal_detail", args=[world.org.slug, appeal.pk]))
    html = page.content.decode()
    assert page.context["figure_before"]["index"] == pytest.approx(62.5)
    assert page.context["figure_after"]["index"] == pytest.approx(100.0)
    assert reverse("org:cycle_results", args=[world.org.slug, world.cycle.pk]) not in html


def test_committee_employee_sees_every_appeal(client, world):
    chair = member(world.org, Role.EMPLOYEE, world.other)
    appeal_settings_update(
        actor=world.coordinator, organization=world.org, window_days=10, committee=[chair]
    )
    appeal = _view_appeal(world)
    client.force_login(chair)
    listing = client.get(reverse("org:appeal_list", args=[world.org.slug]))
    assert listing.status_code == 200 and f"appeal-{appeal.pk}" in listing.content.decode()
    detail = client.get(reverse("org:appeal_detail", args=[world.org.slug, appeal.pk]))
    assert 'data-testid="decision-form"' in detail.content.decode()


def test_coordinator_edits_settings_on_the_list_page(client, world):
    client.force_login(world.coordinator)
    url = reverse("org:appeal_list", args=[world.org.slug])
    bad = client.post(url, {"window_days": "61", "committee": []})
    assert bad.status_code == 200
    assert selectors.appeal_settings(world.org).window_days == 10
    response = client.post(url, {"window_days": "15", "committee": [str(world.other_head.pk)]})
    assert response.status_code == 302
    settings = selectors.appeal_settings(world.org)
    assert settings.window_days == 15
    assert selectors.committee_ids(settings) == {world.other_head.pk}
    client.force_login(world.head)
    assert client.post(url, {"window_days": "60"}).status_code == 403
