"""PDFs of results: a department's card (Cyrillic, access, publication, the page's charts,
hidden comments left out), the company report, and all cards in one zip built by a job."""

import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import translation

from innerclient.core.models import Job, Role
from innerclient.regulation import printing
from innerclient.regulation.models import CardArchive
from innerclient.reports.services import comment_hide
from innerclient.results.models import ResultSnapshot
from innerclient.surveys.models import Answer
from tests.factories import DepartmentFactory
from tests.regulation.pdftext import pdf_text
from tests.results.factories import closed_cycle, plant_response, publish

XSS = "<script>alert(1)</script>"


@pytest.fixture
def world(org, make_member):
    purchasing = DepartmentFactory(organization=org, name_ru="Отдел закупок", name_en="Purchasing")
    sales = DepartmentFactory(organization=org, name_ru="Отдел продаж", name_en="Sales")
    legal = DepartmentFactory(organization=org, name_ru="Юридический отдел", name_en="Legal")
    hostile = DepartmentFactory(organization=org, name_ru=XSS, name_en=XSS)
    cycle = closed_cycle(org, name="2026 Q2")
    for i in range(8):
        plant_response(
            cycle,
            provider=purchasing,
            client=sales,
            scores=[3 + i % 3] * 8,
            comment=f"Замечание номер {i}",
        )
        plant_response(cycle, provider=hostile, client=sales, scores=[4] * 8)
    for _ in range(3):  # too few raters: the legal department's figures stay hidden
        plant_response(cycle, provider=legal, client=sales, scores=[1] * 8)
    return {
        "org": org,
        "cycle": cycle,
        "purchasing": purchasing,
        "sales": sales,
        "legal": legal,
        "hostile": hostile,
        "coordinator": make_member(org, Role.COORDINATOR),
        "analyst": make_member(org, Role.ANALYST),
        "head_purchasing": make_member(org, Role.HEAD, department=purchasing),
        "head_sales": make_member(org, Role.HEAD, department=sales),
    }


@pytest.fixture
def published(world):
    publish(world["cycle"])
    return world


def _card_url(world, department):
    return reverse("org:card_pdf", args=[world["org"].slug, world["cycle"].pk, department.pk])


def test_card_pdf_names_the_department_in_cyrillic(client, published):
    client.force_login(published["coordinator"])
    client.cookies["django_language"] = "ru"
    response = client.get(_card_url(published, published["purchasing"]), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.content)
    assert "Отдел закупок" in text
    assert "Отдел продаж" in text  # the client department's view is shown (8 raters)
    assert "Page 1 of" in text or "Страница 1 из" in text


def test_a_head_prints_his_own_card_only(client, published):
    client.force_login(published["head_purchasing"])
    assert client.get(_card_url(published, published["purchasing"])).status_code == 200
    assert client.get(_card_url(published, published["hostile"])).status_code == 403
    client.force_login(published["head_sales"])
    assert client.get(_card_url(published, published["purchasing"])).status_code == 403


def test_nothing_is_printed_before_publication(client, world):
    client.force_login(world["coordinator"])
    assert client.get(_card_url(world, world["purchasing"])).status_code == 404
    url = reverse("org:company_pdf", args=[world["org"].slug, world["cycle"].pk])
    assert client.get(url).status_code == 404


def test_a_hidden_department_card_shows_no_figure(client, published):
    client.force_login(published["analyst"])
    text = pdf_text(client.get(_card_url(published, published["legal"])).content)
    assert "Legal" in text
    assert "no client rated it, or fewer than 5 raters did" in text
    assert "index, 0–100" not in text


def test_a_hostile_department_name_is_text_in_the_card_pdf(client, published):
    client.force_login(published["coordinator"])
    text = pdf_text(client.get(_card_url(published, published["hostile"])).content)
    assert XSS in text


def test_comments_a_coordinator_hid_stay_out_of_the_pdf(client, published):
    org = published["org"]
    # The planted rater wrote the same comment on every criterion: hide each of them.
    for hidden in Answer.objects.filter(
        response__provider=published["purchasing"], comment="Замечание номер 3"
    ):
        comment_hide(
            actor=published["coordinator"],
            organization=org,
            kind="answer",
            comment_id=hidden.pk,
            reason="Называет человека",
        )
    client.force_login(published["coordinator"])
    text = pdf_text(client.get(_card_url(published, published["purchasing"])).content)
    assert "Замечание номер 2" in text
    assert "Замечание номер 3" not in text


def test_the_card_pdf_embeds_the_charts_of_the_card_page(client, published):
    client.force_login(published["coordinator"])
    org, cycle, department = published["org"], published["cycle"], published["purchasing"]
    page = client.get(reverse("org:department_card", args=[org.slug, cycle.pk, department.pk]))
    snapshot = ResultSnapshot.objects.get(cycle=cycle)
    with translation.override("en"):
        context = printing.card_context(
            snapshot, department.pk, organization=org, viewer_role=Role.COORDINATOR
        )
    assert page.context["criteria_svg"]
    assert context["criteria_svg"] == printing.scoped_ids(
        page.context["criteria_svg"], "criteria_svg"
    )


def test_company_pdf_ranks_shown_departments_and_hides_the_others(client, published):
    client.force_login(published["analyst"])
    url = reverse("org:company_pdf", args=[published["org"].slug, published["cycle"].pk])
    response = client.get(url)
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Company report" in text and "2026 Q2" in text
    assert "Purchasing" in text and XSS in text
    # Legal, rated by too few raters, is counted but never named.
    assert "Legal" not in text and "1 in the company not shown: fewer than 5 raters" in text
    assert "Integrity flags" in text


def test_scoped_ids_keep_references_consistent():
    svg = (
        '<svg><defs><clipPath id="p1"><rect/></clipPath></defs><g clip-path="url(#p1)"/>'
        '<use xlink:href="#m2"/><path id="m2"/></svg>'
    )
    scoped = printing.scoped_ids(svg, "x")
    assert 'id="x-p1"' in scoped and "url(#x-p1)" in scoped
    assert 'id="x-m2"' in scoped and 'href="#x-m2"' in scoped


# --- All cards in one zip ------------------------------------------------------------------


def test_all_cards_are_printed_into_one_zip_by_a_job(
    client, published, django_capture_on_commit_callbacks
):
    org, cycle = published["org"], published["cycle"]
    client.force_login(published["coordinator"])
    url = reverse("org:cards_bulk", args=[org.slug, cycle.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    archive = CardArchive.objects.get(cycle=cycle)
    assert archive.job.status == Job.Status.DONE
    assert (archive.job.progress_done, archive.job.progress_total) == (2, 2)
    assert archive.cards == 2  # purchasing and the hostile name; legal is hidden

    page = client.get(url).content.decode()
    download = reverse("org:cards_bulk_download", args=[org.slug, cycle.pk, archive.pk])
    assert download in page
    response = client.get(download)
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        names = sorted(bundle.namelist())
        assert len(names) == 2
        purchasing = next(n for n in names if published["purchasing"].code in n)
        assert "Purchasing" in purchasing
        assert "Purchasing" in pdf_text(bundle.read(purchasing))
        assert not any("<" in name or "/" in name for name in names)


def test_the_progress_fragment_polls_until_the_job_ends(client, published):
    org, cycle = published["org"], published["cycle"]
    job = Job.objects.create(organization=org, kind="regulation.card_archive", progress_total=4)
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, progress_done=1)
    archive = CardArchive.objects.create(
        organization=org, cycle=cycle, snapshot_version=1, language="en", job=job
    )
    client.force_login(published["analyst"])
    url = reverse("org:cards_bulk_status", args=[org.slug, cycle.pk, archive.pk])
    running = client.get(url, HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    assert 'aria-valuenow="25"' in running.content.decode()
    assert "1 of 4 cards printed" in running.content.decode()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done.headers.get("HX-Refresh") == "true"


def test_no_zip_before_publication(client, world):
    client.force_login(world["coordinator"])
    url = reverse("org:cards_bulk", args=[world["org"].slug, world["cycle"].pk])
    response = client.post(url, follow=True)
    assert "results are not published" in response.content.decode()
    assert not CardArchive.objects.exists()


def test_an_unfinished_zip_cannot_be_downloaded(client, published):
    org, cycle = published["org"], published["cycle"]
    job = Job.objects.create(organization=org, kind="regulation.card_archive")
    archive = CardArchive.objects.create(
        organization=org, cycle=cycle, snapshot_version=1, language="en", job=job
    )
    client.force_login(published["coordinator"])
    url = reverse("org:cards_bulk_download", args=[org.slug, cycle.pk, archive.pk])
    assert client.get(url).status_code == 404
