"""The bonus page and the payroll export read stored results and apply the scheme."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from innerclient.appeals.models import BonusScheme
from innerclient.appeals.selectors import bonus_scheme, bonus_table
from innerclient.core.models import AuditEntry, Role
from innerclient.results.models import MethodologySettings
from tests.appeals.factories import member
from tests.factories import DepartmentFactory
from tests.results.factories import closed_cycle, plant_response, publish

pytestmark = pytest.mark.django_db


def _rate(cycle, provider, clients, scores_per_rater):
    """One rater per score list, spread over the client departments in turn."""
    for i, score in enumerate(scores_per_rater):
        plant_response(
            cycle, provider=provider, client=clients[i % len(clients)], scores=[score] * 8
        )


@pytest.fixture
def company(org):
    clients = [DepartmentFactory(organization=org, code=f"K{i}") for i in range(2)]
    steady = DepartmentFactory(organization=org, code="X1", name_en='=HYPERLINK("http://x")')
    few = DepartmentFactory(organization=org, code="X2", name_en="Few")
    noisy = DepartmentFactory(organization=org, code="X3", name_en="Noisy")
    tiny = DepartmentFactory(organization=org, code="X4", name_en="Tiny")
    previous = closed_cycle(org, name="2026 Q4")
    _rate(previous, steady, clients, [3] * 12)  # 50
    publish(previous)
    cycle = closed_cycle(org, name="2027 Q1")
    _rate(cycle, steady, clients, [4] * 12)  # 75, 12 raters, no spread
    _rate(cycle, few, clients, [4] * 6)  # 6 raters: shown, below the bonus minimum
    _rate(cycle, noisy, clients, [1, 5] * 6)  # 12 raters, wide interval
    _rate(cycle, tiny, clients, [5] * 2)  # 2 raters: not shown at all
    publish(cycle)
    return {
        "org": org,
        "cycle": cycle,
        "previous": previous,
        "steady": steady,
        "few": few,
        "noisy": noisy,
        "tiny": tiny,
    }


def _rows(company):
    table = bonus_table(company["cycle"], bonus_scheme(company["org"]))
    return {row.code: row for row in table.rows}


def test_default_scheme_gives_a_multiplier_only_where_data_bears_it(company):
    rows = _rows(company)
    assert rows["X1"].index == pytest.approx(75.0)
    assert rows["X1"].outcome.multiplier == 1.05  # band 70–85
    assert rows["X2"].outcome.reason == "few_raters"
    assert rows["X3"].outcome.reason == "wide_interval"
    assert rows["X3"].half_width > 10
    assert rows["X4"].outcome.reason == "hidden"
    assert rows["X4"].index is None and rows["X4"].n_raters is None


def test_improvement_compares_with_the_previous_cycle(company):
    BonusScheme.objects.create(organization=company["org"], mode="improvement", cap="0.2")
    rows = _rows(company)
    assert rows["X1"].previous_index == pytest.approx(50.0)
    assert rows["X1"].outcome.change == pytest.approx(25.0)
    assert rows["X1"].outcome.multiplier == 1.2  # 1 + 0.01 × 25 = 1.25, capped at 1.2
    assert rows["X1"].outcome.capped


def test_the_official_index_of_the_snapshot_is_used(org):
    MethodologySettings.objects.create(organization=org, official_index="adjusted")
    clients = [DepartmentFactory(organization=org, code=f"K{i}") for i in range(2)]
    provider = DepartmentFactory(organization=org, code="P")
    cycle = closed_cycle(org)
    _rate(cycle, provider, clients, [4] * 12)
    publish(cycle)
    table = bonus_table(cycle, bonus_scheme(org))
    assert table.official == "adjusted"
    payload = table.snapshot.payload
    provider_payload = payload["providers"][table.snapshot.departments.index(provider.pk)]
    assert table.rows[0].index == provider_payload["adjusted"]


def test_coordinator_saves_a_scheme_and_bad_bands_are_refused(client, company):
    coordinator = member(company["org"], Role.COORDINATOR)
    client.force_login(coordinator)
    url = reverse("org:bonus", args=[company["org"].slug])
    form = {
        "mode": "bands",
        "slope": "0.01",
        "cap": "0.1",
        "min_raters": "10",
        "max_ci_half_width": "10",
        "band_0_lower": "",
        "band_0_upper": "60",
        "band_0_multiplier": "0.95",
        "band_1_lower": "65",
        "band_1_upper": "",
        "band_1_multiplier": "1.1",
    }
    gap = client.post(url, form)
    assert gap.status_code == 200
    assert "leave a gap" in gap.content.decode()
    assert not BonusScheme.objects.exists()
    form["band_1_lower"] = "60"
    assert client.post(url, form).status_code == 302
    scheme = BonusScheme.objects.get()
    assert scheme.bands == [[None, 60, 0.95], [60, None, 1.1]]
    assert AuditEntry.objects.filter(action="bonus_scheme.update").exists()
    page = client.get(url)
    assert page.context["rows"][0]["row"].outcome.multiplier == 1.1  # X1 at 75


def test_analyst_sees_the_table_but_cannot_edit(client, company):
    analyst = member(company["org"], Role.ANALYST)
    client.force_login(analyst)
    url = reverse("org:bonus", args=[company["org"].slug])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="bonus-table"' in html and 'data-testid="scheme-form"' not in html
    assert client.post(url, {"mode": "improvement"}).status_code == 403


def test_the_page_shows_another_cycle_on_request(client, company):
    client.force_login(member(company["org"], Role.ANALYST))
    url = reverse("org:bonus", args=[company["org"].slug])
    page = client.get(f"{url}?cycle={company['previous'].pk}")
    assert page.context["cycle"] == company["previous"]
    rows = [item["row"] for item in page.context["rows"]]
    assert rows[0].code == "X1" and rows[0].index is not None  # the only one rated then
    assert all(row.index is None for row in rows[1:])


def test_payroll_export_lists_every_department_with_safe_text(client, company):
    client.force_login(member(company["org"], Role.ANALYST))
    url = reverse("org:bonus_export", args=[company["org"].slug])
    response = client.get(f"{url}?cycle={company['cycle'].pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Department code",
        "Department",
        "Index used",
        "Index",
        "Raters",
        "CI half-width",
        "Multiplier",
        "Reason",
    )
    by_code = {row[0]: row for row in rows[1:]}
    # Every department of the cycle: one rated by too few raters (X4) reads exactly like
    # one nobody rated (the clients K0, K1), so the export tells nothing of a few ratings.
    assert set(by_code) == {"K0", "K1", "X1", "X2", "X3", "X4"}
    assert by_code["X4"][3:] == by_code["K0"][3:]
    steady = by_code["X1"]
    assert steady[1] == '\'=HYPERLINK("http://x")'  # neutralized, not a formula
    assert steady[2:] == ("raw", 75.0, 12, 0.0, 1.05, None)
    assert by_code["X2"][6] == "insufficient data"
    assert by_code["X2"][7] == "Fewer raters than the minimum"
    assert by_code["X4"][3:7] == (None, None, None, "insufficient data")
    assert by_code["X4"][7] == (
        "No figure (not rated, or by fewer raters than the anonymity threshold)"
    )


def test_export_without_published_results_goes_back_to_the_page(client, org):
    client.force_login(member(org, Role.COORDINATOR))
    response = client.get(reverse("org:bonus_export", args=[org.slug]))
    assert response.status_code == 302
    assert response.url == reverse("org:bonus", args=[org.slug])
