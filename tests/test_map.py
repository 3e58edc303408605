"""The interaction map: link services, the matrix, a link, the table and the XLSX export."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from innerclient.core.models import AuditEntry, Role
from innerclient.core.xlsx import safe_cell
from innerclient.org import selectors
from innerclient.org.models import InteractionLink
from innerclient.org.services.interaction_map import link_remove, link_set
from tests.factories import DepartmentFactory, InteractionLinkFactory, OrganizationFactory


def _url(name, org, *args):
    return reverse(f"org:{name}", args=[org.slug, *args])


def _departments(org, divisions=6, per_division=10):
    result = []
    for d in range(divisions):
        top = DepartmentFactory(organization=org, code=f"V{d}")
        result.append(top)
        result += [
            DepartmentFactory(organization=org, code=f"V{d}-{i:02d}", parent=top)
            for i in range(per_division)
        ]
    return result


# --- Services ---


def test_link_set_creates_a_link_with_an_audit_row(org, coordinator):
    client, provider = DepartmentFactory(organization=org), DepartmentFactory(organization=org)

    link = link_set(
        actor=coordinator, organization=org, client=client, provider=provider, services="Отчёты"
    )

    assert (link.client, link.provider, link.weight, link.services) == (
        client,
        provider,
        Decimal(1),
        "Отчёты",
    )
    entry = AuditEntry.objects.get(action="link.create")
    assert entry.actor == coordinator and entry.object_id == str(link.pk)


def test_link_set_updates_services_and_weight_and_records_the_change(org, coordinator):
    link = InteractionLinkFactory(client=DepartmentFactory(organization=org), volume=7)
    link_set(
        actor=coordinator,
        organization=org,
        client=link.client,
        provider=link.provider,
        services="Новое",
        weight="2,5",
    )
    link.refresh_from_db()
    assert (link.services, link.weight, link.volume) == ("Новое", Decimal("2.5"), 7)
    assert AuditEntry.objects.get(action="link.update").changes["weight"] == ["1.000", "2.500"]


def test_self_link_is_refused(org, coordinator):
    dept = DepartmentFactory(organization=org)
    with pytest.raises(ValidationError):
        link_set(actor=coordinator, organization=org, client=dept, provider=dept)
    assert not InteractionLink.objects.exists()


def test_link_between_organizations_is_refused(org, coordinator):
    other = DepartmentFactory(organization=OrganizationFactory())
    with pytest.raises(ValidationError):
        link_set(
            actor=coordinator,
            organization=org,
            client=DepartmentFactory(organization=org),
            provider=other,
        )


@pytest.mark.parametrize("weight", [0, "-1", "abc", "NaN", "1000000"])
def test_weight_must_be_a_positive_number(org, coordinator, weight):
    client, provider = DepartmentFactory(organization=org), DepartmentFactory(organization=org)
    with pytest.raises(ValidationError):
        link_set(
            actor=coordinator, organization=org, client=client, provider=provider, weight=weight
        )


def test_link_remove_deletes_and_keeps_what_it_was_in_the_audit(org, coordinator):
    link = InteractionLinkFactory(client=DepartmentFactory(organization=org, code="AA"))
    link_remove(actor=coordinator, link=link)
    assert not InteractionLink.objects.exists()
    entry = AuditEntry.objects.get(action="link.delete")
    assert entry.changes["client"] == "AA"


# --- The matrix ---


def test_matrix_puts_clients_in_rows_and_providers_in_columns(org):
    a, b, _c = (DepartmentFactory(organization=org, code=code) for code in "ABC")
    InteractionLinkFactory(client=a, provider=b, volume=12)

    matrix = selectors.map_matrix(org)

    assert [col.code for col in matrix.columns] == ["A", "B", "C"]
    row_a = matrix.rows[0]
    assert row_a.department.code == "A"
    assert [cell.is_on for cell in row_a.cells] == [False, True, False]
    assert row_a.cells[0].is_self and row_a.cells[1].volume == 12
    assert [d.code for d in matrix.without_providers] == ["B", "C"]
    assert [d.code for d in matrix.without_clients] == ["A", "C"]
    assert matrix.links_total == 1


def test_matrix_filters_rows_and_columns_by_division(org):
    departments = _departments(org, divisions=3, per_division=2)
    first, second = departments[0], departments[3]

    matrix = selectors.map_matrix(org, row_division=first.pk, column_division=second.pk)

    assert {row.department.division_id for row in matrix.rows} == {first.pk}
    assert {col.division_id for col in matrix.columns} == {second.pk}
    assert len(matrix.rows) == 3 and len(matrix.columns) == 3
    assert [d.code for d in matrix.divisions] == ["V0", "V1", "V2"]


def test_single_root_company_uses_its_children_as_divisions(org):
    company = DepartmentFactory(organization=org, code="CO")
    sales = DepartmentFactory(organization=org, code="S", parent=company)
    DepartmentFactory(organization=org, code="S1", parent=sales)
    DepartmentFactory(organization=org, code="F", parent=company)
    assert [d.code for d in selectors.map_matrix(org).divisions] == ["CO", "F", "S"]


def test_matrix_page_shows_the_grid_summary_and_disabled_diagonal(coordinator_client, org):
    a = DepartmentFactory(organization=org, code="AAA")
    b = DepartmentFactory(organization=org, code="BBB")
    InteractionLinkFactory(client=a, provider=b, volume=1500)

    text = coordinator_client.get(_url("map_matrix", org)).content.decode()

    assert 'data-testid="matrix"' in text
    assert "1.5k" in text
    assert _url("map_cell", org, b.pk, a.pk) in text  # the empty cell can be toggled
    assert _url("map_cell", org, a.pk, a.pk) not in text  # the diagonal cannot
    assert _url("link_edit", org, InteractionLink.objects.get().pk) in text


def test_matrix_page_with_60_departments_runs_a_constant_number_of_queries(
    coordinator_client, org, django_assert_max_num_queries
):
    departments = _departments(org)
    for i, client in enumerate(departments):
        for provider in departments[i + 1 : i + 6]:
            InteractionLinkFactory(client=client, provider=provider, volume=i or None)
    with django_assert_max_num_queries(7):
        response = coordinator_client.get(_url("map_matrix", org))
    assert response.status_code == 200
    assert response.content.decode().count("<td") == 66 * 66


def test_reader_sees_the_matrix_without_controls(client, org, make_member):
    a, b = DepartmentFactory(organization=org), DepartmentFactory(organization=org)
    InteractionLinkFactory(client=a, provider=b)
    client.force_login(make_member(org, Role.ANALYST))
    text = client.get(_url("map_matrix", org)).content.decode()
    assert "hx-post" not in text and "/map/links/" in text
    assert _url("link_edit", org, InteractionLink.objects.get().pk) not in text


def test_cell_toggle_adds_then_removes_a_link_with_audit_rows(coordinator_client, org):
    a, b = DepartmentFactory(organization=org), DepartmentFactory(organization=org)
    url = _url("map_cell", org, a.pk, b.pk)
    back = _url("map_matrix", org) + "?rows=1"

    added = coordinator_client.post(url, {"next": back})
    assert added.status_code == 302 and added.url.startswith(back)
    assert InteractionLink.objects.filter(client=a, provider=b).exists()

    coordinator_client.post(url, {"next": back})
    assert not InteractionLink.objects.exists()
    assert list(
        AuditEntry.objects.filter(action__startswith="link.").values_list("action", flat=True)
    ) == ["link.delete", "link.create"]


def test_cell_toggle_over_htmx_returns_the_cell(coordinator_client, org):
    a, b = DepartmentFactory(organization=org), DepartmentFactory(organization=org)
    url = _url("map_cell", org, a.pk, b.pk)

    response = coordinator_client.post(url, {"mode": "edit"}, HTTP_HX_REQUEST="true")

    text = response.content.decode()
    assert response.status_code == 200
    assert text.strip().startswith(f'<a id="c{a.pk}-{b.pk}"')
    assert _url("link_edit", org, InteractionLink.objects.get().pk) in text
    toggled = coordinator_client.post(url, {"mode": "toggle"}, HTTP_HX_REQUEST="true")
    assert toggled.content.decode().strip().startswith("<button")
    assert 'aria-pressed="false"' in toggled.content.decode()


def test_cell_toggle_refuses_the_diagonal(coordinator_client, org):
    a = DepartmentFactory(organization=org)
    url = _url("map_cell", org, a.pk, a.pk)
    assert coordinator_client.post(url, HTTP_HX_REQUEST="true").status_code == 400
    response = coordinator_client.post(url, follow=True)
    assert "cannot be its own provider" in response.content.decode()
    assert not InteractionLink.objects.exists()


def test_cell_toggle_does_not_redirect_off_the_site(coordinator_client, org):
    a, b = DepartmentFactory(organization=org), DepartmentFactory(organization=org)
    response = coordinator_client.post(
        _url("map_cell", org, a.pk, b.pk), {"next": "https://evil.test/"}
    )
    assert response.url.startswith(_url("map_matrix", org))


def test_cell_toggle_needs_post(coordinator_client, org):
    a, b = DepartmentFactory(organization=org), DepartmentFactory(organization=org)
    assert coordinator_client.get(_url("map_cell", org, a.pk, b.pk)).status_code == 405


# --- A link ---


def test_link_edit_saves_services_and_weight(coordinator_client, org):
    link = InteractionLinkFactory(client=DepartmentFactory(organization=org))
    url = _url("link_edit", org, link.pk)
    response = coordinator_client.post(url, {"services": "Договоры", "weight": "1.5"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert (link.services, link.weight) == ("Договоры", Decimal("1.5"))
    assert AuditEntry.objects.filter(action="link.update").exists()


@pytest.mark.parametrize("weight", ["0", "-2", "x", ""])
def test_link_edit_rejects_a_bad_weight(coordinator_client, org, weight):
    link = InteractionLinkFactory(client=DepartmentFactory(organization=org))
    response = coordinator_client.post(
        _url("link_edit", org, link.pk), {"services": "S", "weight": weight}
    )
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()
    link.refresh_from_db()
    assert link.weight == Decimal(1) and link.services == ""


def test_link_delete_asks_for_confirmation(coordinator_client, org):
    link = InteractionLinkFactory(client=DepartmentFactory(organization=org))
    url = _url("link_edit", org, link.pk)

    ask = coordinator_client.post(url, {"delete": "1"})
    assert ask.status_code == 200 and 'name="confirm"' in ask.content.decode()
    assert InteractionLink.objects.exists()

    done = coordinator_client.post(url, {"delete": "1", "confirm": "1"})
    assert done.status_code == 302
    assert not InteractionLink.objects.exists()
    assert AuditEntry.objects.filter(action="link.delete").count() == 1


# --- The table ---


def test_link_table_sorts_by_client_provider_and_volume(coordinator_client, org):
    a, b, c = (DepartmentFactory(organization=org, code=code) for code in "ABC")
    InteractionLinkFactory(client=a, provider=c, volume=5)
    InteractionLinkFactory(client=c, provider=b, volume=50)
    InteractionLinkFactory(client=b, provider=a, volume=None)

    def order(sort):
        return [
            (link.client.code, link.provider.code)
            for link in selectors.interaction_links(org, order=sort)
        ]

    assert order("client") == [("A", "C"), ("B", "A"), ("C", "B")]
    assert order("-provider") == [("A", "C"), ("C", "B"), ("B", "A")]
    assert order("-volume") == [("C", "B"), ("A", "C"), ("B", "A")]  # unknown volume last
    assert order("volume") == [("A", "C"), ("C", "B"), ("B", "A")]
    page = coordinator_client.get(_url("link_list", org), {"sort": "-volume"}).content.decode()
    assert 'aria-sort="descending"' in page


def test_link_table_search_finds_cyrillic_in_any_case(coordinator_client, org):
    sales = DepartmentFactory(organization=org, name_ru="Продажи")
    InteractionLinkFactory(client=sales, services="Счета")
    InteractionLinkFactory(client=DepartmentFactory(organization=org, name_ru="Склад"))
    assert len(selectors.interaction_links(org, query="продаж")) == 1
    assert len(selectors.interaction_links(org, query="СЧЕТ")) == 1


# --- Export ---


def test_safe_cell_neutralizes_formulas_and_leaves_other_values_alone():
    for dangerous in ("=1+1", "+7", "-2", "@SUM(A1)", "\t=x", "\r=x"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Отдел продаж") == "Отдел продаж"
    assert safe_cell(5) == 5 and safe_cell(-5) == -5 and safe_cell(None) is None


def test_export_has_links_and_matrix_sheets_with_formulas_neutralized(coordinator_client, org):
    evil = DepartmentFactory(
        organization=org, code="=HYPERLINK(1)", name_ru='=HYPERLINK("http://x","y")', name_en=""
    )
    provider = DepartmentFactory(organization=org, code="IT", name_ru="ИТ", name_en="")
    InteractionLinkFactory(client=evil, provider=provider, services="+cmd|' /C calc'!A0", volume=9)

    response = coordinator_client.get(_url("map_export", org))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    links, matrix = book.worksheets[0], book.worksheets[1]
    header, row = (list(r) for r in links.iter_rows(min_row=1, max_row=2, values_only=True))
    assert len(header) == 8
    assert row[0] == "'=HYPERLINK(1)"
    assert row[1] == '\'=HYPERLINK("http://x","y")'
    assert row[2:5] == ["IT", "ИТ", "'+cmd|' /C calc'!A0"]
    assert row[5:7] == [1, 9]
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    grid = list(matrix.iter_rows(values_only=True))
    assert grid[0][2:] == ("'=HYPERLINK(1)", "IT")
    assert grid[2][:2] == ("'=HYPERLINK(1)", '\'=HYPERLINK("http://x","y")')
    assert grid[2][3] == 9 and grid[2][2] is None


def test_export_is_open_to_readers(client, org, make_member):
    client.force_login(make_member(org, Role.HEAD, department=DepartmentFactory(organization=org)))
    assert client.get(_url("map_export", org)).status_code == 200


# --- Access ---


def test_employee_gets_403_on_every_map_page(client, org, make_member):
    dept = DepartmentFactory(organization=org)
    link = InteractionLinkFactory(client=dept)
    client.force_login(make_member(org, Role.EMPLOYEE, department=dept))
    for url in (
        _url("map_matrix", org),
        _url("link_list", org),
        _url("map_export", org),
        _url("link_edit", org, link.pk),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(_url("map_cell", org, dept.pk, link.provider_id)).status_code == 403


@pytest.mark.parametrize("role", [Role.ANALYST, Role.HEAD])
def test_readers_cannot_change_the_map(client, org, make_member, role):
    link = InteractionLinkFactory(client=DepartmentFactory(organization=org))
    client.force_login(make_member(org, role, department=link.client))
    assert client.post(_url("map_cell", org, link.client_id, link.provider_id)).status_code == 403
    assert client.post(_url("link_edit", org, link.pk), {"weight": "3"}).status_code == 403
    assert InteractionLink.objects.get().weight == Decimal(1)


def test_outsider_gets_404_for_every_map_object(client, org, make_member):
    a, b = DepartmentFactory(organization=org), DepartmentFactory(organization=org)
    link = InteractionLinkFactory(client=a, provider=b)
    c = DepartmentFactory(organization=org)
    other = OrganizationFactory()
    own = DepartmentFactory(organization=other)
    client.force_login(make_member(other, Role.COORDINATOR))
    for url in (
        reverse("org:link_edit", args=[other.slug, link.pk]),
        _url("map_matrix", org),
        _url("link_list", org),
        _url("map_export", org),
        _url("link_edit", org, link.pk),
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("org:map_cell", args=[other.slug, a.pk, c.pk]),
        reverse("org:map_cell", args=[other.slug, own.pk, a.pk]),
        reverse("org:map_cell", args=[other.slug, a.pk, b.pk]),
        reverse("org:link_edit", args=[other.slug, link.pk]),
    ):
        assert client.post(url, {"delete": "1", "confirm": "1"}).status_code == 404, url
    assert InteractionLink.objects.count() == 1
