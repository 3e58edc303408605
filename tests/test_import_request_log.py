"""Request-log import: window, threshold, unknown departments, diff against the map, apply."""

import datetime as dt

import pytest

from innerclient.core.models import AuditEntry
from innerclient.org.importing import pipeline
from innerclient.org.importing.request_log import months_before, parse_date
from innerclient.org.models import DataImport, InteractionLink
from tests.data.builders import csv_bytes, xlsx_bytes
from tests.data.flows import apply, upload
from tests.factories import DepartmentFactory, InteractionLinkFactory

pytestmark = pytest.mark.django_db

HEADERS = ["Дата создания", "От подразделения", "Кому", "Тип заявки"]


@pytest.fixture
def departments(org):
    return {
        code: DepartmentFactory(organization=org, code=code, name_ru=ru, name_en=en)
        for code, ru, en in [
            ("SALES", "Продажи", "Sales"),
            ("IT", "ИТ", "IT department"),
            ("HR", "Кадры", "Human resources"),
            ("BUY", "Закупки", "Purchasing"),
        ]
    }


def _log(rows):
    return xlsx_bytes([HEADERS, *rows])


def _requests(day, client, provider, n):
    return [[day, client, provider, "Доступ"] for _ in range(n)]


def test_dates_in_iso_and_russian_formats():
    assert parse_date("2025-03-05 10:20:00") == dt.date(2025, 3, 5)
    assert parse_date("05.03.2025 10:20") == dt.date(2025, 3, 5)
    assert parse_date("5.3.25") == dt.date(2025, 3, 5)
    assert parse_date("31.02.2025") is None and parse_date("вчера") is None
    assert months_before(dt.date(2025, 8, 31), 6) == dt.date(2025, 2, 28)


def test_log_preview_counts_window_threshold_and_skipped_rows(org, coordinator, departments):
    rows = (
        _requests("2025-06-10", "Продажи", "ИТ", 4)  # by Russian names
        + _requests("15.06.2025", "SALES", "Human resources", 2)  # code and English name
        + _requests("2024-01-10", "SALES", "HR", 5)  # before the six-month window
        + _requests("2025-06-11", "Маркетинг", "ИТ", 3)  # unknown department
        + [["когда-то", "SALES", "IT", ""], ["2025-06-12", "IT", "ИТ", ""]]
    )
    data_import = upload(org, coordinator, "request_log", _log(rows))
    preview = data_import.preview
    assert data_import.status == DataImport.Status.PREVIEW
    assert preview["valid_rows"] == 11
    assert preview["unknown_rows"] == 3 and preview["unknown_names"] == [["Маркетинг", 3]]
    assert preview["bad_date_rows"] == 1 and preview["self_rows"] == 1
    assert (preview["date_from"], preview["date_to"]) == ("2024-12-15", "2025-06-15")
    assert preview["min_count"] == 3
    # Only SALES → IT reaches 3 requests inside the window.
    assert preview["diff"]["added"] == [[["Продажи", "Sales"], ["ИТ", "IT department"], 4]]


def test_changing_window_and_minimum_recomputes_the_diff(org, coordinator, departments):
    rows = _requests("2025-06-10", "SALES", "IT", 4) + _requests("2024-01-10", "SALES", "HR", 2)
    data_import = upload(org, coordinator, "request_log", _log(rows))
    pipeline.data_import_set_log_options(
        actor=coordinator,
        data_import=data_import,
        date_from="2024-01-01",
        date_to="2025-12-31",
        min_count=2,
    )
    data_import.refresh_from_db()
    added = {(row[0][0], row[1][0], row[2]) for row in data_import.preview["diff"]["added"]}
    assert added == {("Продажи", "ИТ", 4), ("Продажи", "Кадры", 2)}


def test_diff_shows_added_changed_and_removed_links(org, coordinator, departments):
    InteractionLinkFactory(client=departments["SALES"], provider=departments["IT"], volume=1)
    InteractionLinkFactory(client=departments["HR"], provider=departments["BUY"], volume=7)
    rows = _requests("2025-06-10", "SALES", "IT", 5) + _requests("2025-06-10", "BUY", "IT", 3)
    data_import = upload(org, coordinator, "request_log", _log(rows))
    diff = data_import.preview["diff"]
    assert diff["added"] == [[["Закупки", "Purchasing"], ["ИТ", "IT department"], 3]]
    assert diff["changed"] == [[["Продажи", "Sales"], ["ИТ", "IT department"], 1, 5]]
    assert diff["removed"] == [
        [["Кадры", "Human resources"], ["Закупки", "Purchasing"], 7, "manual"]
    ]


def test_apply_keeps_links_not_in_the_log_unless_asked(org, coordinator, departments):
    InteractionLinkFactory(client=departments["HR"], provider=departments["BUY"], volume=7)
    rows = _requests("2025-06-10", "SALES", "IT", 5)
    content = _log(rows)
    result = apply(upload(org, coordinator, "request_log", content), coordinator)
    assert result.status == DataImport.Status.APPLIED
    pairs = set(InteractionLink.objects.values_list("client__code", "provider__code", "volume"))
    assert pairs == {("SALES", "IT", 5), ("HR", "BUY", 7)}
    assert AuditEntry.objects.filter(action="import.apply").count() == 1
    # The same log again: nothing to write, no audit rows.
    before = AuditEntry.objects.count()
    apply(upload(org, coordinator, "request_log", content), coordinator)
    assert AuditEntry.objects.count() == before
    apply(upload(org, coordinator, "request_log", content), coordinator, remove_missing=True)
    pairs = set(InteractionLink.objects.values_list("client__code", "provider__code", "volume"))
    assert pairs == {("SALES", "IT", 5)}


def test_log_with_no_usable_rows_cannot_be_applied(org, coordinator, departments):
    content = csv_bytes([HEADERS, ["2025-01-01", "Нет такого", "IT", ""]])
    data_import = upload(org, coordinator, "request_log", content, "log.csv")
    assert data_import.status == DataImport.Status.INVALID
    assert "No usable rows" in data_import.preview["errors"][0]["message"]


def test_request_log_pages(coordinator_client, org, departments, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    settings.LANGUAGE_CODE = "en"
    rows = _requests("2025-06-10", "SALES", "IT", 5)
    coordinator_client.post(
        reverse("org:import_upload", args=[org.slug, "request_log"]),
        {"file": SimpleUploadedFile("log.xlsx", _log(rows))},
    )
    data_import = DataImport.objects.get()
    url = reverse("org:import_detail", args=[org.slug, data_import.pk])
    html = coordinator_client.get(url).content.decode()
    assert 'data-testid="map-diff"' in html and "IT department" in html
    response = coordinator_client.post(
        url,
        {"action": "options", "date_from": "2025-06-11", "date_to": "2025-06-30", "min_count": "1"},
    )
    assert response.status_code == 302
    data_import.refresh_from_db()
    assert data_import.preview["proposed"] == 0
    coordinator_client.post(reverse("org:import_apply", args=[org.slug, data_import.pk]))
    assert not InteractionLink.objects.exists()
