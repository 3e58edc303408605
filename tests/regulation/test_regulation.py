"""The Regulation: generated from the settings, versioned (an old version reads as it was),
acknowledged by heads, the coordinator sees who has not; texts are escaped."""

import pytest
from django.urls import reverse

from innerclient.appeals.models import AppealSettings
from innerclient.core.models import AuditEntry, Role
from innerclient.regulation import selectors, services
from innerclient.regulation.models import Acknowledgment, RegulationVersion
from innerclient.results.services import methodology_update
from tests.factories import DepartmentFactory, InteractionLinkFactory
from tests.regulation.pdftext import pdf_text
from tests.results.factories import closed_cycle

XSS = "<script>alert(1)</script>"


@pytest.fixture
def world(org, make_member):
    sales = DepartmentFactory(organization=org, name_ru="Отдел продаж", name_en="Sales")
    it = DepartmentFactory(organization=org, name_ru="ИТ-служба", name_en="IT service")
    hr = DepartmentFactory(organization=org, name_ru="Отдел кадров", name_en="HR")
    InteractionLinkFactory(client=sales, provider=it, services="Доступы к системам")
    InteractionLinkFactory(client=hr, provider=it, services="Доступы к системам")
    InteractionLinkFactory(client=sales, provider=hr, services="Приём на работу")
    return {
        "org": org,
        "sales": sales,
        "it": it,
        "coordinator": make_member(org, Role.COORDINATOR),
        "head_sales": make_member(org, Role.HEAD, department=sales),
        "head_it": make_member(org, Role.HEAD, department=it),
        "employee": make_member(org, Role.EMPLOYEE, department=sales),
    }


def _url(name, org, **kwargs):
    return reverse(f"org:{name}", kwargs={"org_slug": org.slug, **kwargs})


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_before_publication_every_member_reads_a_draft_without_pdf(client, world):
    client.force_login(world["employee"])
    response = client.get(_url("regulation", world["org"]))
    assert response.status_code == 200
    text = _text(response)
    assert "Draft generated from the settings in force" in text
    assert "5. Interaction map and services" in text
    assert 'data-testid="regulation-pdf"' not in text


def test_coordinator_publishes_a_version_for_a_cycle_and_it_is_audited(client, world):
    org = world["org"]
    cycle = closed_cycle(org, name="2026 Q1", anonymity_threshold=6)
    client.force_login(world["coordinator"])
    response = client.post(_url("regulation_publish", org), {"cycle": cycle.pk})
    assert response.status_code == 302
    version = RegulationVersion.objects.get(organization=org)
    assert (version.version, version.cycle, version.created_by) == (
        1,
        cycle,
        world["coordinator"],
    )
    assert version.settings["methodology"]["k"] == 6
    entry = AuditEntry.objects.get(organization=org, action="regulation.publish")
    assert entry.changes["version"] == 1 and entry.changes["cycle"] == "2026 Q1"
    text = _text(client.get(_url("regulation", org)))
    assert "Version 1 of" in text and "for the cycle “2026 Q1”" in text
    assert "(6); figures resting on fewer raters are not shown" in text


def test_only_the_coordinator_may_publish(client, world):
    for user in (world["head_sales"], world["employee"]):
        client.force_login(user)
        assert client.post(_url("regulation_publish", world["org"])).status_code == 403
    assert not RegulationVersion.objects.exists()


def test_the_document_is_generated_from_the_settings_in_force(client, world):
    org = world["org"]
    AppealSettings.objects.create(organization=org, window_days=14)
    methodology_update(actor=None, organization=org, values={"low_threshold": 55})
    version = services.regulation_publish(actor=None, organization=org)
    client.force_login(world["employee"])
    text = _text(client.get(_url("regulation_version", org, version=version.version)))
    assert "within 14 days after the results are published" in text
    assert "a cell below 55% of the scale" in text
    # The interaction map: 3 links, 2 providers, their services once each.
    assert "3 client–provider links: 2 client departments are served by 2 provider" in text
    assert text.count("Доступы к системам") == 1
    assert "Приём на работу" in text


def test_an_old_version_reads_as_it_was_after_the_settings_change(client, world):
    org = world["org"]
    first = services.regulation_publish(actor=None, organization=org)
    methodology_update(actor=None, organization=org, values={"low_threshold": 70})
    AppealSettings.objects.create(organization=org, window_days=21)
    sales = world["sales"]
    sales.name_en = "Sales and marketing"
    sales.save()
    InteractionLinkFactory(client=world["it"], provider=sales, services="Новые услуги")
    second = services.regulation_publish(actor=None, organization=org)

    client.force_login(world["coordinator"])
    old = _text(client.get(_url("regulation_version", org, version=first.version)))
    assert "a cell below 60% of the scale" in old
    assert "within 10 days after" in old
    assert "Новые услуги" not in old
    assert "This is version 1, an earlier one" in old
    new = _text(client.get(_url("regulation", org)))
    assert "a cell below 70% of the scale" in new
    assert "within 21 days after" in new
    assert "Новые услуги" in new

    old_pdf = pdf_text(client.get(_url("regulation_pdf", org, version=first.version)).content)
    assert "a cell below 60% of the scale" in old_pdf and "within 10 days after" in old_pdf
    new_pdf = pdf_text(client.get(_url("regulation_pdf", org, version=second.version)).content)
    assert "a cell below 70% of the scale" in new_pdf and "within 21 days after" in new_pdf


def test_a_head_acknowledges_the_current_version_once(client, world):
    org = world["org"]
    version = services.regulation_publish(actor=None, organization=org)
    head = world["head_sales"]
    client.force_login(head)
    page = _text(client.get(_url("regulation", org)))
    assert 'data-testid="regulation-ack-button"' in page
    url = _url("regulation_acknowledge", org, version=version.version)
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302
    assert Acknowledgment.objects.filter(version=version, user=head).count() == 1
    assert AuditEntry.objects.filter(action="regulation.acknowledge", actor=head).count() == 1
    page = _text(client.get(_url("regulation", org)))
    assert "You acknowledged this version:" in page
    assert 'data-testid="regulation-ack-button"' not in page


def test_only_heads_acknowledge(client, world):
    org = world["org"]
    version = services.regulation_publish(actor=None, organization=org)
    for user in (world["coordinator"], world["employee"]):
        client.force_login(user)
        url = _url("regulation_acknowledge", org, version=version.version)
        assert client.post(url).status_code == 403
    assert not Acknowledgment.objects.exists()


def test_an_earlier_version_can_no_longer_be_acknowledged(client, world):
    org = world["org"]
    first = services.regulation_publish(actor=None, organization=org)
    services.regulation_publish(actor=None, organization=org)
    client.force_login(world["head_sales"])
    response = client.post(_url("regulation_acknowledge", org, version=first.version), follow=True)
    assert "A newer version of the Regulation has been published" in _text(response)
    assert not Acknowledgment.objects.exists()


def test_coordinator_sees_which_heads_have_not_acknowledged(client, world):
    org = world["org"]
    first = services.regulation_publish(actor=None, organization=org)
    services.regulation_acknowledge(actor=world["head_sales"], version=first)
    rows = {row.user_id: row for row in selectors.acknowledgment_status(first)}
    assert rows[world["head_sales"].pk].acknowledged_at is not None
    assert rows[world["head_it"].pk].acknowledged_at is None
    assert set(rows) == {world["head_sales"].pk, world["head_it"].pk}

    client.force_login(world["coordinator"])
    page = _text(client.get(_url("regulation", org)))
    assert "1 of 2 department heads have acknowledged this version" in page
    assert page.count("Not yet") == 1

    # A new version asks everybody again.
    services.regulation_publish(actor=None, organization=org)
    page = _text(client.get(_url("regulation", org)))
    assert "0 of 2 department heads have acknowledged this version" in page
    assert page.count("Not yet") == 2


def test_heads_and_employees_do_not_see_the_acknowledgment_list(client, world):
    services.regulation_publish(actor=None, organization=world["org"])
    for user in (world["head_it"], world["employee"]):
        client.force_login(user)
        page = _text(client.get(_url("regulation", world["org"])))
        assert 'data-testid="regulation-ack-status"' not in page
        assert 'data-testid="regulation-publish"' not in page


def test_versions_of_another_organization_are_not_found(client, world, make_member):
    from tests.factories import OrganizationFactory

    other = OrganizationFactory()
    services.regulation_publish(actor=None, organization=other)
    client.force_login(world["coordinator"])
    assert client.get(_url("regulation_version", world["org"], version=1)).status_code == 404
    assert client.get(_url("regulation_pdf", world["org"], version=1)).status_code == 404


def test_a_hostile_department_name_is_escaped_in_the_page_and_text_in_the_pdf(client, world):
    org = world["org"]
    hostile = DepartmentFactory(organization=org, name_ru=XSS, name_en=XSS)
    InteractionLinkFactory(client=world["sales"], provider=hostile, services=f"Услуги {XSS}")
    version = services.regulation_publish(actor=None, organization=org)
    client.force_login(world["employee"])
    html = client.get(_url("regulation", org)).content.decode()
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = pdf_text(client.get(_url("regulation_pdf", org, version=version.version)).content)
    assert XSS in text
    assert f"Услуги {XSS}" in text


def test_the_english_and_russian_pdfs_name_the_departments_in_their_language(client, world):
    org = world["org"]
    version = services.regulation_publish(actor=None, organization=org)
    client.force_login(world["employee"])
    url = _url("regulation_pdf", org, version=version.version)
    english = pdf_text(client.get(url).content)
    assert "IT service" in english and "ИТ-служба" not in english
    client.cookies["django_language"] = "ru"
    russian = pdf_text(client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content)
    assert "ИТ-служба" in russian and "IT service" not in russian
