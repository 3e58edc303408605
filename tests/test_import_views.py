"""Import pages: upload of good and bad files, mapping, preview, apply, background jobs, access."""

import io
import zipfile

import pytest
from django.urls import reverse

from innerclient.core.models import AuditEntry, Job
from innerclient.org.models import DataImport, Department
from tests.data.builders import csv_bytes, departments_rows, xlsx_bytes
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    # Messages are asserted in their English source form.
    settings.LANGUAGE_CODE = "en"


ROWS = [("HQ", "Головной офис", ""), ("FIN", "Финансы", "HQ")]


def _upload(client, org, content, name="departments.xlsx", kind="departments"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("org:import_upload", args=[org.slug, kind])
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def _broken_zip() -> bytes:
    good = xlsx_bytes(departments_rows(ROWS))
    return good[: len(good) // 2]


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.csv", b"", "empty"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
        ("junk.csv", bytes(range(256)) * 20, "CSV"),
        ("junk2.csv", bytes(b for b in range(1, 256) if b != 0x98) * 20, "does not look like"),
        ("broken.xlsx", _broken_zip(), "Excel"),
        ("other.xlsx", _zip_without_workbook(), "Excel"),
        ("utf16.csv", "Код;Наименование\nA;Б\n".encode("utf-16-le"), "does not look like"),
        ("prose.txt", "Просто текст без таблицы\nи ещё строка\n".encode(), "one column"),
        ("headers.csv", "Код подразделения;Наименование\n".encode(), "no data rows"),
        ("blank.csv", b"\r\n;;\r\n", "header"),
    ],
    ids=[
        "empty",
        "xls",
        "binary",
        "binary-decodable",
        "broken-zip",
        "zip-not-xlsx",
        "utf16-no-bom",
        "not-a-table",
        "no-rows",
        "blank-lines",
    ],
)
def test_bad_files_get_a_clear_message_and_nothing_is_stored(
    coordinator_client, org, name, content, words
):
    response = _upload(coordinator_client, org, content, name)
    assert response.status_code == 400
    assert words.encode() in response.content or words in response.content.decode()
    assert not DataImport.objects.exists()
    assert not Department.objects.exists()


def test_too_large_file_is_refused_before_reading(coordinator_client, org, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    response = _upload(coordinator_client, org, xlsx_bytes(departments_rows(ROWS)))
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not DataImport.objects.exists()


def test_upload_preview_and_apply_through_the_pages(coordinator_client, org):
    response = _upload(coordinator_client, org, xlsx_bytes(departments_rows(ROWS)))
    data_import = DataImport.objects.get()
    detail = reverse("org:import_detail", args=[org.slug, data_import.pk])
    assert response.status_code == 302 and response.url == detail
    page = coordinator_client.get(detail).content.decode()
    assert 'data-testid="preview-counts"' in page and "Головной офис" in page
    assert not Department.objects.exists()
    response = coordinator_client.post(reverse("org:import_apply", args=[org.slug, data_import.pk]))
    assert response.status_code == 302
    assert Department.objects.filter(organization=org).count() == 2
    assert 'data-testid="applied"' in coordinator_client.get(detail).content.decode()
    # Applying twice does nothing more.
    coordinator_client.post(reverse("org:import_apply", args=[org.slug, data_import.pk]))
    assert AuditEntry.objects.filter(action="import.apply").count() == 1


def test_preview_page_lists_errors_with_row_numbers(coordinator_client, org):
    rows = [("HQ", "Офис", ""), ("", "Без кода", ""), ("X", "Икс", "NOPE")]
    _upload(coordinator_client, org, xlsx_bytes(departments_rows(rows)))
    data_import = DataImport.objects.get()
    page = coordinator_client.get(reverse("org:import_detail", args=[org.slug, data_import.pk]))
    html = page.content.decode()
    assert 'data-testid="preview-errors"' in html
    assert '<td class="num">3</td>' in html and '<td class="num">4</td>' in html
    assert 'data-testid="apply-form"' not in html
    response = coordinator_client.post(reverse("org:import_apply", args=[org.slug, data_import.pk]))
    assert response.status_code == 302
    assert not Department.objects.exists()


def test_unknown_headers_lead_to_the_mapping_page(coordinator_client, org):
    content = csv_bytes([["Ключ", "Что это"], ["A", "Альфа"]])
    response = _upload(coordinator_client, org, content, "d.csv")
    data_import = DataImport.objects.get()
    mapping_url = reverse("org:import_mapping", args=[org.slug, data_import.pk])
    assert response.url == mapping_url
    page = coordinator_client.get(mapping_url).content.decode()
    assert "Ключ" in page and 'name="col_0"' in page
    bad = coordinator_client.post(mapping_url, {"col_0": "code", "col_1": ""})
    assert bad.status_code == 400
    good = coordinator_client.post(mapping_url, {"col_0": "code", "col_1": "name_ru"})
    assert good.status_code == 302
    data_import.refresh_from_db()
    assert data_import.status == DataImport.Status.PREVIEW
    assert data_import.column_mapping == {"Ключ": "code", "Что это": "name_ru"}


def test_large_file_is_checked_and_applied_by_a_background_job(
    coordinator_client, org, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 5
    rows = [("ROOT", "Корень", "")] + [(f"D{i}", f"Отдел {i}", "ROOT") for i in range(20)]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _upload(coordinator_client, org, xlsx_bytes(departments_rows(rows)))
    assert len(callbacks) == 1
    data_import = DataImport.objects.get()
    assert data_import.status == DataImport.Status.PREVIEW
    assert data_import.job.status == Job.Status.DONE
    assert data_import.job.progress_done == data_import.job.progress_total == 21
    status_url = reverse("org:import_status", args=[org.slug, data_import.pk])
    # Finished: the polling fragment tells HTMX to reload the page.
    assert (
        coordinator_client.get(status_url, headers={"HX-Request": "true"})["HX-Refresh"] == "true"
    )
    with django_capture_on_commit_callbacks(execute=True):
        coordinator_client.post(reverse("org:import_apply", args=[org.slug, data_import.pk]))
    data_import.refresh_from_db()
    assert data_import.status == DataImport.Status.APPLIED
    assert data_import.job.kind == "import.apply" and data_import.job.status == Job.Status.DONE
    assert Department.objects.filter(organization=org).count() == 21


def test_running_import_page_polls_with_a_progress_bar(
    coordinator_client, org, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 1
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        _upload(coordinator_client, org, xlsx_bytes(departments_rows(ROWS)))
    data_import = DataImport.objects.get()
    assert data_import.status == DataImport.Status.VALIDATING
    page = coordinator_client.get(reverse("org:import_detail", args=[org.slug, data_import.pk]))
    html = page.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'class="progress' in html
    fragment = coordinator_client.get(
        reverse("org:import_status", args=[org.slug, data_import.pk]),
        headers={"HX-Request": "true"},
    )
    assert b"progressbar" in fragment.content and b"<html" not in fragment.content


def test_validate_task_run_twice_does_the_work_once(
    org, coordinator, settings, django_capture_on_commit_callbacks
):
    from innerclient.org.tasks import import_validate
    from tests.data.flows import upload

    settings.IMPORT_INLINE_MAX_ROWS = 1
    with django_capture_on_commit_callbacks(execute=True):
        data_import = upload(org, coordinator, "departments", xlsx_bytes(departments_rows(ROWS)))
    data_import.refresh_from_db()
    assert data_import.status == DataImport.Status.PREVIEW
    import_validate.enqueue(data_import_id=data_import.pk)  # a duplicate delivery
    data_import.refresh_from_db()
    assert data_import.status == DataImport.Status.PREVIEW


def test_cancel_drops_the_file(coordinator_client, org):
    _upload(coordinator_client, org, xlsx_bytes(departments_rows(ROWS)))
    data_import = DataImport.objects.get()
    coordinator_client.post(reverse("org:import_cancel", args=[org.slug, data_import.pk]))
    data_import.refresh_from_db()
    assert data_import.status == DataImport.Status.CANCELLED and bytes(data_import.content) == b""


@pytest.mark.parametrize("kind", ["departments", "people", "request_log"])
def test_template_file_has_headers_that_import_without_mapping(coordinator_client, org, kind):
    from innerclient.org.importing.fields import FIELDS, guess_mapping
    from innerclient.org.importing.tabular import read_table

    response = coordinator_client.get(reverse("org:import_template", args=[org.slug, kind]))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    table = read_table(response.content, "t.xlsx")
    assert table.row_count == 2
    assert set(guess_mapping(kind, table.headers).values()) == {f.name for f in FIELDS[kind]}


def test_list_page_shows_history_and_upload_forms(coordinator_client, org):
    _upload(coordinator_client, org, xlsx_bytes(departments_rows(ROWS)), "структура.xlsx")
    html = coordinator_client.get(reverse("org:import_list", args=[org.slug])).content.decode()
    assert "структура.xlsx" in html
    for kind in ("departments", "people", "request_log"):
        assert reverse("org:import_upload", args=[org.slug, kind]) in html


def test_outsider_gets_404_and_employee_gets_403(client, org, coordinator, make_member):
    from tests.data.flows import upload

    data_import = upload(org, coordinator, "departments", xlsx_bytes(departments_rows(ROWS)))
    other = OrganizationFactory()
    outsider = make_member(other, "coordinator")
    employee = make_member(org, "employee")
    urls = [
        ("get", reverse("org:import_list", args=[org.slug])),
        ("get", reverse("org:import_upload", args=[org.slug, "departments"])),
        ("get", reverse("org:import_template", args=[org.slug, "people"])),
        ("get", reverse("org:import_detail", args=[org.slug, data_import.pk])),
        ("get", reverse("org:import_mapping", args=[org.slug, data_import.pk])),
        ("get", reverse("org:import_status", args=[org.slug, data_import.pk])),
        ("post", reverse("org:import_apply", args=[org.slug, data_import.pk])),
        ("post", reverse("org:import_cancel", args=[org.slug, data_import.pk])),
    ]
    for method, url in urls:
        client.force_login(outsider)
        assert getattr(client, method)(url).status_code == 404, url
        client.force_login(employee)
        assert getattr(client, method)(url).status_code == 403, url
    # The outsider's own organization does not reach this import either.
    client.force_login(outsider)
    own_url = reverse("org:import_detail", args=[other.slug, data_import.pk])
    assert client.get(own_url).status_code == 404
    data_import.refresh_from_db()
    assert data_import.status == DataImport.Status.PREVIEW
