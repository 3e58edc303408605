"""End-to-end flows in a real Chromium: imports, the structure tree, the interaction map.

Each test signs in through the form and switches the interface to English with the header's
language button, so assertions on text do not depend on the Russian catalogue. Files are
built in the test (openpyxl / encoded CSV) and uploaded through the page's file inputs.

With ``SCREENSHOT_DIR`` set, every test saves full-page PNGs of its key steps there
(viewport 1280 px wide): ``<test>-<nn>-<step>.png``.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from innerclient.core.models import Job, Role
from innerclient.org.models import DataImport, Department, InteractionLink, Person
from tests.data.builders import PEOPLE_HEADERS_RU, csv_bytes, people_rows, xlsx_bytes
from tests.factories import DepartmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEPT_HEADERS = [
    "Код подразделения",
    "Наименование",
    "Наименование EN",
    "Родительское подразделение",
]

# Two divisions with three departments each: (code, Russian name, English name, parent code).
DEPARTMENTS = [
    ("DIV-OPS", "Операционный дивизион", "Operations division", ""),
    ("OPS-LOG", "Логистика", "Logistics", "DIV-OPS"),
    ("OPS-BUY", "Закупки", "Purchasing", "DIV-OPS"),
    ("OPS-WH", "Склад", "Warehouse", "DIV-OPS"),
    ("DIV-SUP", "Дивизион поддержки", "Support division", ""),
    ("SUP-IT", "ИТ", "IT", "DIV-SUP"),
    ("SUP-HR", "Кадры", "Human resources", "DIV-SUP"),
    ("SUP-FIN", "Финансы", "Finance", "DIV-SUP"),
]

LOG_HEADERS = ["Дата создания", "От подразделения", "Кому", "Тип заявки"]


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def browser_context_args(browser_context_args):
    # A Russian user's browser (headless Chromium would otherwise send en-US, and
    # LocaleMiddleware follows Accept-Language); each test then switches to English itself.
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "ru-RU"}


@pytest.fixture(autouse=True)
def _fail_fast(page):
    page.set_default_timeout(10_000)  # clicks and fills; expect() keeps its own 5 s


@pytest.fixture
def shot(page, request):
    """shot("step") saves a full-page PNG when SCREENSHOT_DIR is set; a no-op otherwise."""
    directory = os.environ.get("SCREENSHOT_DIR")
    test_name = re.sub(r"[^\w-]+", "_", request.node.name).strip("_")
    counter = iter(range(1, 100))

    def save(step: str) -> None:
        if not directory:
            return
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(Path(directory) / f"{test_name}-{next(counter):02d}-{step}.png"),
            full_page=True,
        )

    return save


def sign_in_in_english(page, live_server, user, password="pass-12345"):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page.locator("nav.subnav")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.click("[data-testid=lang-en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("[data-testid=lang-ru]")).to_be_visible()


def open_section(page, name):
    page.locator("nav.subnav").get_by_role("link", name=name, exact=True).click()
    expect(page.locator("nav.subnav a[aria-current=page]")).to_have_text(name)


def upload_from_imports_page(page, kind, path):
    """On the Imports page, pick the file in the card of that kind and press Upload and check."""
    card = page.locator(f"section[aria-labelledby=kind-{kind}]")
    card.locator(f"#id_{kind}_file").set_input_files(str(path))
    card.get_by_role("button", name="Upload and check").click()


def write(tmp_path, name, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def departments_xlsx(items) -> bytes:
    return xlsx_bytes([DEPT_HEADERS, *[list(item) for item in items]])


def make_departments(org) -> dict[str, Department]:
    made: dict[str, Department] = {}
    for code, name_ru, name_en, parent in DEPARTMENTS:
        made[code] = DepartmentFactory(
            organization=org,
            code=code,
            name_ru=name_ru,
            name_en=name_en,
            parent=made[parent] if parent else None,
        )
    return made


def latest_import(org) -> DataImport:
    return DataImport.objects.filter(organization=org).order_by("-pk").first()


# --- 1. departments: a bad row, fix, apply, the tree -----------------------------------------


def test_departments_import_with_a_bad_row_then_fixed_and_seen_in_the_tree(
    page, live_server, org, make_member, tmp_path, shot
):
    user = make_member(org, Role.COORDINATOR)
    sign_in_in_english(page, live_server, user)
    open_section(page, "Imports")
    shot("imports")

    # Row 5 of the sheet (header is row 1) names a parent that does not exist.
    bad = [list(item) for item in DEPARTMENTS]
    bad[3][3] = "DIV-OPZ"
    upload_from_imports_page(
        page, "departments", write(tmp_path, "depts.xlsx", departments_xlsx(bad))
    )

    expect(page.locator("[data-testid=preview-errors]")).to_contain_text("1 problem in the file.")
    error_rows = page.locator("[data-testid=preview-error-rows] tbody tr")
    expect(error_rows).to_have_count(1)
    expect(error_rows.first.locator("td").nth(0)).to_have_text("5")
    expect(error_rows.first.locator("td").nth(1)).to_have_text("Родительское подразделение")
    expect(error_rows.first.locator("td").nth(2)).to_contain_text("DIV-OPZ")
    expect(page.locator("[data-testid=apply-form]")).to_have_count(0)
    expect(page.get_by_role("button", name="Apply the changes")).to_have_count(0)
    shot("preview-with-error")
    assert not Department.objects.filter(organization=org).exists()

    # Fix the parent and upload again from the same page.
    good = write(tmp_path, "depts-fixed.xlsx", departments_xlsx(DEPARTMENTS))
    page.locator("#id_again_file").set_input_files(str(good))
    page.locator("section.imp-again").get_by_role("button", name="Upload and check").click()
    expect(page.locator("h1")).to_have_text("depts-fixed.xlsx")
    expect(page.locator("[data-testid=preview-errors]")).to_have_count(0)
    expect(page.locator("[data-testid=count-create]")).to_have_text("8")
    changes = page.locator("[data-testid=changes]")
    expect(changes).to_contain_text("OPS-WH")
    expect(changes).to_contain_text("Warehouse")
    shot("preview-fixed")

    page.locator("[data-testid=apply-form]").get_by_role("button", name="Apply the changes").click()
    expect(page.locator("[data-testid=applied]")).to_be_visible()
    expect(page.locator("[data-testid=summary-created]")).to_have_text("8")
    shot("applied")
    assert Department.objects.get(organization=org, code="OPS-WH").parent.code == "DIV-OPS"

    # The structure page shows the two divisions with their departments nested inside.
    page.get_by_role("link", name="Open the structure").click()
    expect(page.locator("h1")).to_have_text("Structure")
    tree = page.locator("[data-testid=department-tree]")
    expect(tree.locator(":scope > li")).to_have_count(2)
    division = tree.locator("[data-testid=tree-node-DIV-OPS]")
    child = division.locator("[data-testid=tree-node-OPS-WH]")
    expect(child).to_be_visible()
    expect(child.locator("a.node-name")).to_have_text("Warehouse")
    expect(division.locator("details > ul > li")).to_have_count(3)
    shot("tree")

    # Collapse the division: its departments are hidden; expand it again: they are back.
    summary = division.locator(":scope > details > summary")
    summary.locator(".code").click()
    expect(child).to_be_hidden()
    shot("tree-collapsed")
    summary.locator(".code").click()
    expect(child).to_be_visible()
    expect(
        tree.locator("[data-testid=tree-node-DIV-SUP] [data-testid=tree-node-SUP-IT]")
    ).to_be_visible()


# --- 2. people from a cp1251 CSV ---------------------------------------------------------------


PEOPLE = [
    ("Иванова Мария Петровна", "ivanova@example.com", "OPS-LOG", "Начальник отдела", "да"),
    ("Петров Сергей", "petrov@example.com", "OPS-LOG", "Логист", "нет"),
    ("Сидорова Ольга", "sidorova@example.com", "SUP-IT", "Инженер", "нет"),
    ("Кузнецов Пётр", "kuznetsov@example.com", "SUP-FIN", "Бухгалтер", ""),
]


def test_people_import_from_cp1251_csv(page, live_server, org, make_member, tmp_path, shot):
    make_departments(org)
    user = make_member(org, Role.COORDINATOR)
    content = csv_bytes(people_rows(PEOPLE, PEOPLE_HEADERS_RU), encoding="cp1251", delimiter=";")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # really Windows-1251, not UTF-8

    sign_in_in_english(page, live_server, user)
    open_section(page, "Imports")
    upload_from_imports_page(page, "people", write(tmp_path, "people.csv", content))

    expect(page.locator("[data-testid=preview-errors]")).to_have_count(0)
    expect(page.locator("[data-testid=count-create]")).to_have_text("4")
    changes = page.locator("[data-testid=changes]")
    for full_name, email, *_ in PEOPLE:
        expect(changes).to_contain_text(full_name)
        expect(changes).to_contain_text(email)
    expect(changes.locator("tr.diff-add")).to_have_count(4)
    shot("preview")
    assert not Person.objects.filter(organization=org).exists()

    page.locator("[data-testid=apply-form]").get_by_role("button", name="Apply the changes").click()
    expect(page.locator("[data-testid=applied]")).to_be_visible()
    expect(page.locator("[data-testid=summary-created]")).to_have_text("4")
    shot("applied")

    open_section(page, "Structure")
    page.locator(".page-head").get_by_role("link", name="People").click()
    people = page.locator("[data-testid=people-list] tbody tr")
    expect(people).to_have_count(4)
    for full_name, email, code, *_ in PEOPLE:
        row = people.filter(has_text=full_name)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(email)
        expect(row).to_contain_text(code)
    expect(people.filter(has_text="Иванова Мария Петровна")).to_contain_text("head")
    shot("people")
    assert (
        Department.objects.get(organization=org, code="OPS-LOG").head.email == "ivanova@example.com"
    )


# --- 3. request log → map ----------------------------------------------------------------------


def _requests(day, client, provider, n, kind="Заявка"):
    return [[day, client, provider, kind] for _ in range(n)]


def test_request_log_diff_threshold_apply_and_matrix(
    page, live_server, org, make_member, tmp_path, shot
):
    depts = make_departments(org)
    user = make_member(org, Role.COORDINATOR)
    rows = (
        _requests("2025-05-12", "OPS-LOG", "SUP-IT", 6)  # by code
        + _requests("14.05.2025", "Закупки", "Финансы", 5)  # by Russian name
        + _requests("2025-06-02", "SUP-HR", "SUP-IT", 3)  # the weak pair: exactly 3
    )
    log = write(tmp_path, "requests.xlsx", xlsx_bytes([LOG_HEADERS, *rows]))

    sign_in_in_english(page, live_server, user)
    open_section(page, "Imports")
    upload_from_imports_page(page, "request_log", log)

    # Against the empty map every pair with at least 3 requests (the default) is added.
    diff = page.locator("[data-testid=map-diff]")
    expect(page.locator("[data-testid=diff-added-count]")).to_have_text("3")
    expect(diff.locator("tr.diff-add")).to_have_count(3)
    expect(diff.locator("tr.diff-add").filter(has_text="Human resources")).to_have_count(1)
    expect(page.locator("#id_min_count")).to_have_value("3")
    shot("diff-default")

    # Raise the minimum: the weak pair drops out.
    page.fill("#id_min_count", "4")
    page.locator("[data-testid=log-options]").get_by_role("button", name="Recompute").click()
    expect(page.locator("#id_min_count")).to_have_value("4")
    expect(page.locator("[data-testid=diff-added-count]")).to_have_text("2")
    added = diff.locator("tr.diff-add")
    expect(added).to_have_count(2)
    expect(added.filter(has_text="Logistics")).to_contain_text("IT")
    expect(added.filter(has_text="Logistics")).to_contain_text("6")
    expect(added.filter(has_text="Purchasing")).to_contain_text("Finance")
    expect(diff).not_to_contain_text("Human resources")
    shot("diff-min-4")

    page.locator("[data-testid=apply-form]").get_by_role("button", name="Apply the changes").click()
    expect(page.locator("[data-testid=applied]")).to_be_visible()
    expect(page.locator("[data-testid=summary-added]")).to_have_text("2")
    shot("applied")

    page.get_by_role("link", name="Open the interaction map").click()
    matrix = page.locator("[data-testid=matrix]")
    expect(matrix).to_be_visible()
    expect(page.locator("[data-testid=links-total]")).to_have_text("2")

    def cell(client, provider):
        return matrix.locator(f"#c{depts[client].pk}-{depts[provider].pk}")

    expect(cell("OPS-LOG", "SUP-IT")).to_have_class(re.compile(r"\bon\b"))
    expect(cell("OPS-LOG", "SUP-IT")).to_have_text("6")
    expect(cell("OPS-BUY", "SUP-FIN")).to_have_class(re.compile(r"\bon\b"))
    expect(cell("SUP-HR", "SUP-IT")).not_to_have_class(re.compile(r"\bon\b"))
    expect(cell("SUP-HR", "SUP-IT")).to_have_attribute("aria-pressed", "false")
    expect(matrix.locator(".cell.on")).to_have_count(2)
    shot("matrix")
    assert InteractionLink.objects.filter(organization=org).count() == 2


# --- 4. toggling a matrix cell with HTMX -------------------------------------------------------


def test_matrix_cell_toggles_without_a_page_reload(page, live_server, org, make_member, shot):
    depts = make_departments(org)
    user = make_member(org, Role.COORDINATOR)
    client, provider = depts["OPS-WH"], depts["SUP-HR"]

    sign_in_in_english(page, live_server, user)
    open_section(page, "Interaction map")
    expect(page.get_by_role("radio", name="opens the link")).to_be_checked()
    cell = page.locator(f"[data-testid=matrix] #c{client.pk}-{provider.pk}")
    expect(cell).to_have_attribute("aria-pressed", "false")
    expect(page.locator("[data-testid=links-total]")).to_have_text("0")
    shot("empty")

    # A marker on window survives an HTMX swap but not a navigation.
    page.evaluate("window.__noReload = true")
    with page.expect_response(lambda r: "/map/cell/" in r.url and r.request.method == "POST"):
        cell.click()
    # In the default mode a filled cell becomes a link to its edit page.
    expect(cell).to_have_class(re.compile(r"\bon\b"))
    expect(cell).to_have_attribute("href", re.compile(r"/map/links/\d+/$"))
    # The summary's count follows the click without a reload (out-of-band swap).
    expect(page.locator("[data-testid=links-total]")).to_have_text("1")
    assert page.evaluate("window.__noReload === true")
    assert InteractionLink.objects.filter(client=client, provider=provider).exists()
    shot("linked")

    page.reload()
    expect(cell).to_have_class(re.compile(r"\bon\b"))
    expect(page.locator("[data-testid=links-total]")).to_have_text("1")
    assert page.evaluate("window.__noReload") is None

    # In the "removes it" mode the same cell is a toggle: a click takes the link away.
    page.get_by_role("radio", name="removes it").check()
    page.locator("form.map-filter").get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"mode=toggle"))
    expect(cell).to_have_attribute("aria-pressed", "true")
    page.evaluate("window.__noReload = true")
    with page.expect_response(lambda r: "/map/cell/" in r.url and r.request.method == "POST"):
        cell.click()
    expect(cell).to_have_attribute("aria-pressed", "false")
    expect(page.locator("[data-testid=links-total]")).to_have_text("0")
    assert page.evaluate("window.__noReload === true")
    page.reload()
    expect(cell).to_have_attribute("aria-pressed", "false")
    expect(page.locator("[data-testid=links-total]")).to_have_text("0")
    shot("unlinked")


# --- 5. a large import goes through the background job ------------------------------------------


def _many_departments(n=12):
    items = [("BIG", "Большой дивизион", "Big division", "")]
    items += [(f"BIG-{i:02d}", f"Отдел {i}", f"Unit {i}", "BIG") for i in range(1, n)]
    return items


def test_large_import_runs_as_a_job_and_ends_applied(
    page, live_server, org, make_member, tmp_path, settings, shot
):
    """With the ImmediateBackend the job has finished by the time the page loads."""
    settings.IMPORT_INLINE_MAX_ROWS = 5
    user = make_member(org, Role.COORDINATOR)
    sign_in_in_english(page, live_server, user)
    open_section(page, "Imports")
    upload_from_imports_page(
        page, "departments", write(tmp_path, "big.xlsx", departments_xlsx(_many_departments()))
    )

    expect(page.locator("[data-testid=count-create]")).to_have_text("12")
    expect(page.locator("[data-testid=import-progress]")).to_have_count(0)
    validation_job = latest_import(org).job
    assert validation_job is not None and validation_job.kind == "import.validate"
    assert validation_job.status == "done"
    shot("preview")

    page.locator("[data-testid=apply-form]").get_by_role("button", name="Apply the changes").click()
    expect(page.locator("[data-testid=applied]")).to_be_visible()
    expect(page.locator("[data-testid=summary-created]")).to_have_text("12")
    shot("applied")
    data_import = latest_import(org)
    assert data_import.job.kind == "import.apply" and data_import.job.status == "done"
    assert Department.objects.filter(organization=org).count() == 12


def test_large_import_shows_progress_while_the_worker_runs(
    page, live_server, org, make_member, tmp_path, settings, shot
):
    """The worker is held back (DummyBackend keeps the task queued) and run by the test, so
    the progress bar, its HTMX polling and the refresh at the end are all observed."""
    from innerclient.org.importing.pipeline import job_progress
    from innerclient.org.tasks import import_apply, import_validate

    settings.IMPORT_INLINE_MAX_ROWS = 5
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    user = make_member(org, Role.COORDINATOR)
    sign_in_in_english(page, live_server, user)
    open_section(page, "Imports")
    upload_from_imports_page(
        page, "departments", write(tmp_path, "big.xlsx", departments_xlsx(_many_departments()))
    )

    progress = page.locator("[data-testid=import-progress]")
    bar = progress.get_by_role("progressbar")
    expect(progress).to_contain_text("Checking the file…")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(progress).to_contain_text("0 of 12 rows checked")
    data_import = latest_import(org)
    assert data_import.status == DataImport.Status.VALIDATING
    shot("validating-0")

    # The worker picks the job up and reports half the rows: the polling bar follows
    # without a reload.
    page.evaluate("window.__noReload = true")
    Job.objects.filter(pk=data_import.job_id).update(status=Job.Status.RUNNING)
    job_progress(data_import.job_id)(6, 12)
    expect(bar).to_have_attribute("aria-valuenow", "50")
    expect(progress).to_contain_text("6 of 12 rows checked · Running")
    assert page.evaluate("window.__noReload === true")
    shot("validating-50")

    # The worker finishes: the next poll refreshes the page into the preview.
    import_validate.call(data_import_id=data_import.pk)
    expect(page.locator("[data-testid=count-create]")).to_have_text("12", timeout=10_000)
    expect(progress).to_have_count(0)
    shot("preview")

    page.locator("[data-testid=apply-form]").get_by_role("button", name="Apply the changes").click()
    expect(progress).to_contain_text("Applying the file…")
    expect(bar).to_be_visible()
    expect(page.locator(".imp-steps [aria-current=step]")).to_have_text("Apply")
    assert latest_import(org).status == DataImport.Status.APPLYING
    assert not Department.objects.filter(organization=org).exists()
    shot("applying")

    import_apply.call(data_import_id=data_import.pk, actor_id=user.pk)
    expect(page.locator("[data-testid=applied]")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-testid=summary-created]")).to_have_text("12")
    shot("applied")
    assert Department.objects.filter(organization=org).count() == 12
