"""A closed cycle's responses become a stored, versioned result; pages show only what the
privacy rules let through."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from innerclient.core.models import AuditEntry
from innerclient.org.models import InteractionLink
from innerclient.results.models import MethodologySettings, ResultSnapshot
from innerclient.results.services import results_compute
from innerclient.surveys.models import Cycle
from tests.factories import DepartmentFactory
from tests.results.factories import closed_cycle, plant_response, publish

SECRET = "Комментарий-который-нельзя-показывать-3c1"


@pytest.fixture
def departments(org):
    return {code: DepartmentFactory(organization=org, code=code) for code in "PABCDE"}


def _plant_clients(cycle, departments, provider="P", per_client=None, score=4):
    """Six raters from each of A, B, C rating P with ``score`` on every criterion."""
    per_client = per_client or {"A": 6, "B": 6, "C": 6}
    for client, count in per_client.items():
        for _ in range(count):
            plant_response(
                cycle,
                provider=departments[provider],
                client=departments[client],
                scores=[score] * 8,
                comment=SECRET,
            )


def _provider(snapshot, department):
    return snapshot.payload["providers"][snapshot.departments.index(department.pk)]


@pytest.mark.django_db
def test_publication_stores_version_one_with_figures_a_hand_computation_gives(
    org, departments, coordinator
):
    cycle = closed_cycle(org)
    # A gives 5 everywhere, B gives 3, C gives 4: each client department has an equal voice.
    _plant_clients(cycle, departments, per_client={"A": 6}, score=5)
    _plant_clients(cycle, departments, per_client={"B": 9}, score=3)
    _plant_clients(cycle, departments, per_client={"C": 5}, score=4)
    publish(cycle, actor=coordinator)
    snapshot = ResultSnapshot.objects.get(cycle=cycle)
    assert snapshot.version == 1
    provider = _provider(snapshot, departments["P"])
    # Client means on 0-100: A 100, B 50, C 75 -> 75 whatever the raters per department.
    assert provider["index"] == pytest.approx(75.0)
    assert provider["criteria"] == [pytest.approx(75.0)] * 8
    assert provider["n_raters"] == 20
    assert provider["n_clients"] == 3
    assert provider["rank"] == 1
    assert AuditEntry.objects.filter(action="results.compute", object_id=str(cycle.pk)).exists()


@pytest.mark.django_db
def test_rater_equal_mode_and_the_setting_travel_with_the_snapshot(org, departments):
    MethodologySettings.objects.create(organization=org, aggregation="rater_equal")
    cycle = closed_cycle(org)
    _plant_clients(cycle, departments, per_client={"A": 6}, score=5)
    _plant_clients(cycle, departments, per_client={"B": 9}, score=3)
    snapshot = results_compute(actor=None, cycle=cycle, reason="test")
    # 6 raters at 100 and 9 at 50: (600 + 450) / 15 = 70.
    assert _provider(snapshot, departments["P"])["index"] == pytest.approx(70.0)
    assert snapshot.payload["methodology"]["mode"] == "rater_equal"


@pytest.mark.django_db
def test_recomputing_adds_a_version_and_never_changes_the_stored_one(org, departments):
    cycle = closed_cycle(org)
    _plant_clients(cycle, departments)
    first = results_compute(actor=None, cycle=cycle, reason="first")
    before = json.dumps(first.payload, sort_keys=True)
    MethodologySettings.objects.create(organization=org, official_index="adjusted")
    second = results_compute(actor=None, cycle=cycle, reason="appeal upheld")
    first.refresh_from_db()
    assert second.version == 2 and second.reason == "appeal upheld"
    assert json.dumps(first.payload, sort_keys=True) == before
    assert first.payload["methodology"]["official"] == "raw"
    assert second.payload["methodology"]["official"] == "adjusted"


@pytest.mark.django_db
def test_results_need_a_reason_and_a_closed_cycle(org, departments):
    cycle = closed_cycle(org)
    with pytest.raises(ValidationError):
        results_compute(actor=None, cycle=cycle, reason="  ")
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.OPEN)
    with pytest.raises(ValidationError):
        results_compute(actor=None, cycle=cycle, reason="peek")
    assert not ResultSnapshot.objects.filter(cycle=cycle).exists()


@pytest.mark.django_db
def test_too_few_raters_store_no_figure_at_all(org, departments):
    cycle = closed_cycle(org, anonymity_threshold=5)
    _plant_clients(cycle, departments, per_client={"A": 2, "B": 2}, score=1)
    plant_response(
        cycle, provider=departments["P"], client=departments["P"], scores=[5] * 8, kind="self"
    )
    snapshot = results_compute(actor=None, cycle=cycle, reason="test")
    provider = _provider(snapshot, departments["P"])
    # Not even "rated": that would tell that between 1 and 4 ratings exist.
    assert not provider["rated"] and not provider["shown"]
    assert snapshot.payload["hidden_rated"] == 1
    assert provider["index"] is None and provider["adjusted"] is None
    assert provider["n_raters"] == 0  # "fewer than 5", never "exactly 4"
    assert all(v is None for v in provider["criteria"])
    # The head's self-assessment is shown only beside the clients' view.
    assert provider["self_index"] is None
    assert all(v is None for v in provider["self_criteria"])
    assert not [c for c in snapshot.payload["cells"] if c["provider"] == provider["code"]]
    assert not [p for p in snapshot.payload["problems"] if p["department"] == provider["code"]]


@pytest.mark.django_db
def test_a_small_client_view_is_hidden_with_a_partner_so_subtraction_recovers_nothing(
    org, departments
):
    cycle = closed_cycle(org, anonymity_threshold=5)
    _plant_clients(cycle, departments, per_client={"A": 6, "B": 7, "C": 3})
    snapshot = results_compute(actor=None, cycle=cycle, reason="test")
    provider = _provider(snapshot, departments["P"])
    assert provider["shown"] and provider["n_raters"] == 16
    shown_clients = {c["client"] for c in provider["clients"]}
    code = snapshot.departments.index
    assert code(departments["C"].pk) not in shown_clients
    # With C hidden alone, the total minus A and B would give C: one of them goes too.
    assert len(shown_clients) == 1
    cell_clients = {c["client"] for c in snapshot.payload["cells"]}
    assert cell_clients == shown_clients


@pytest.mark.django_db
def test_a_snapshot_holds_no_rater_key_and_no_comment(org, departments):
    cycle = closed_cycle(org)
    _plant_clients(cycle, departments)
    keys = set(cycle.responses.values_list("rater_key", flat=True))
    snapshot = results_compute(actor=None, cycle=cycle, reason="test")
    stored = json.dumps(snapshot.payload, ensure_ascii=False)
    assert SECRET not in stored
    assert not any(key in stored for key in keys)


@pytest.mark.django_db
def test_self_assessment_is_beside_the_index_never_in_it(org, departments):
    cycle = closed_cycle(org)
    _plant_clients(cycle, departments, score=2)
    plant_response(
        cycle, provider=departments["P"], client=departments["P"], scores=[5] * 8, kind="self"
    )
    snapshot = results_compute(actor=None, cycle=cycle, reason="test")
    provider = _provider(snapshot, departments["P"])
    assert provider["index"] == pytest.approx(25.0)
    assert provider["self_index"] == pytest.approx(100.0)
    gaps = [
        p
        for p in snapshot.payload["problems"]
        if p["kind"] == "self_gap" and p["criterion"] is None
    ]
    assert [p["department"] for p in gaps] == [provider["code"]]


@pytest.mark.django_db
def test_change_against_the_previous_published_cycle(org, departments):
    earlier = closed_cycle(org, name="Q1")
    _plant_clients(earlier, departments, score=2)
    for response in earlier.responses.all()[:6]:
        response.answers.update(score=3)
    publish(earlier)
    later = closed_cycle(org, name="Q2")
    Cycle.objects.filter(pk=later.pk).update(opened_at=earlier.opened_at.replace(year=2099))
    later.refresh_from_db()
    _plant_clients(later, departments, score=4)
    for response in later.responses.all()[:6]:
        response.answers.update(score=5)
    snapshot = publish(later).result_snapshots.get()
    code = snapshot.departments.index(departments["P"].pk)
    change = snapshot.payload["change"]
    assert snapshot.payload["history_cycles"] == [{"id": earlier.pk, "name": "Q1"}]
    assert change["delta"][code] == pytest.approx(50.0)
    assert change["significant"][code] is True
    assert change["history"][0][code] == pytest.approx(
        snapshot.payload["providers"][code]["index"] - 50
    )


@pytest.mark.django_db
def test_results_pages_show_figures_only_after_publication(
    org, departments, coordinator_client, make_member
):
    cycle = closed_cycle(org)
    _plant_clients(cycle, departments, score=4)
    results_compute(actor=None, cycle=cycle, reason="computed before publication")
    url = reverse("org:cycle_results", args=[org.slug, cycle.pk])
    page = coordinator_client.get(url)
    assert page.status_code == 200
    assert b"results-hidden" in page.content and b"results-table" not in page.content
    detail = reverse("org:department_result", args=[org.slug, cycle.pk, departments["P"].pk])
    assert coordinator_client.get(detail).status_code == 404

    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.PUBLISHED)
    page = coordinator_client.get(url).content.decode()
    assert 'data-testid="results-table"' in page and "75.0" in page
    drill = coordinator_client.get(detail).content.decode()
    # The formula is filled in with the numbers: eight criteria at 75 with weight 1.
    assert "= 600.00 ÷ 8 = 75.00" in drill
    assert SECRET not in page and SECRET not in drill


@pytest.mark.django_db
def test_coordinator_recomputes_with_a_reason_from_the_page(org, departments, coordinator_client):
    cycle = closed_cycle(org)
    _plant_clients(cycle, departments)
    publish(cycle)
    url = reverse("org:results_recompute", args=[org.slug, cycle.pk])
    refused = coordinator_client.post(url, {"reason": ""}, follow=True)
    assert b"Say why" in refused.content
    assert ResultSnapshot.objects.filter(cycle=cycle).count() == 1
    coordinator_client.post(url, {"reason": "Corrected weights"})
    assert list(ResultSnapshot.objects.filter(cycle=cycle).values_list("version", "reason")) == [
        (2, "Corrected weights"),
        (1, "Publication"),
    ]
    page = coordinator_client.get(
        reverse("org:cycle_results", args=[org.slug, cycle.pk]) + "?version=1"
    )
    assert b'data-testid="old-version"' in page.content


@pytest.mark.django_db
def test_methodology_page_states_the_numbers_in_force_and_only_the_coordinator_edits(
    org, coordinator_client, client, make_member, russian_client
):
    url = reverse("org:methodology", args=[org.slug])
    page = coordinator_client.get(url).content.decode()
    assert "every client department has an equal voice" in page
    assert "fewer than 5 raters" in page and "q ≤ 5%" in page
    response = coordinator_client.post(
        url,
        {
            "aggregation": "volume",
            "official_index": "adjusted",
            "low_threshold": 55,
            "divergence": 20,
            "fdr": "0.10",
        },
    )
    assert response.status_code == 302
    page = coordinator_client.get(url).content.decode()
    assert "weighted by the number of requests" in page
    assert "The leniency-adjusted index is the one that counts" in page
    assert "below 55%" in page and "q ≤ 10%" in page
    assert AuditEntry.objects.filter(action="methodology.update").count() == 1

    analyst = make_member(org, role="analyst")
    client.force_login(analyst)
    assert b"methodology-form" not in client.get(url).content
    assert client.post(url, {"aggregation": "rater_equal"}).status_code == 403
    assert MethodologySettings.objects.get(organization=org).aggregation == "volume"

    russian_client.force_login(analyst)
    assert "Методика обработки" in russian_client.get(url).content.decode()


@pytest.mark.django_db
def test_an_excluded_client_view_drops_out_of_the_next_version_only(org, departments):
    cycle = closed_cycle(org)
    _plant_clients(cycle, departments, per_client={"A": 6}, score=5)
    _plant_clients(cycle, departments, per_client={"B": 6}, score=3)
    first = results_compute(actor=None, cycle=cycle, reason="publication")
    assert _provider(first, departments["P"])["index"] == pytest.approx(75.0)
    pair = (departments["P"].pk, departments["A"].pk)
    second = results_compute(actor=None, cycle=cycle, reason="appeal upheld", exclusions=[pair])
    assert _provider(second, departments["P"])["index"] == pytest.approx(50.0)
    assert second.payload["exclusions"] == [list(pair)]
    first.refresh_from_db()
    assert _provider(first, departments["P"])["index"] == pytest.approx(75.0)


@pytest.mark.django_db
def test_a_hidden_client_view_cannot_be_excluded(org, departments):
    """Excluding a view of fewer than k raters would expose them as the difference."""
    cycle = closed_cycle(org, anonymity_threshold=5)
    _plant_clients(cycle, departments, per_client={"A": 6, "B": 6, "C": 3})
    results_compute(actor=None, cycle=cycle, reason="publication")
    with pytest.raises(ValidationError):
        results_compute(
            actor=None,
            cycle=cycle,
            reason="appeal",
            exclusions=[(departments["P"].pk, departments["C"].pk)],
        )


@pytest.mark.django_db
def test_a_recomputation_uses_the_structure_frozen_when_the_cycle_opened():
    from innerclient.surveys.services.cycles import cycle_close, cycle_open
    from tests.surveys.factories_cycles import make_company, make_cycle

    company = make_company()
    cycle = cycle_open(actor=None, cycle=make_cycle(company))
    frozen = set(cycle.structure["departments"])
    assert {company.sales.pk, company.purchasing.pk, company.it.pk} <= frozen
    for _ in range(6):
        plant_response(cycle, provider=company.it, client=company.sales, scores=[4] * 8)
    cycle_close(actor=None, cycle=cycle)
    publish(cycle)
    first = ResultSnapshot.objects.get(cycle=cycle, version=1)
    # Two departments created after the cycle opened, and the map's volume changed.
    DepartmentFactory(organization=company.organization, code="NEW1")
    DepartmentFactory(organization=company.organization, code="NEW2")
    InteractionLink.objects.filter(organization=company.organization).update(volume=999)
    second = results_compute(actor=None, cycle=cycle, reason="again")
    assert second.departments == first.departments  # the same codes in every version
    assert set(second.departments) == frozen
    assert second.payload["providers"] == first.payload["providers"]
