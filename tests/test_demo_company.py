"""The demo company: size, shape, determinism, the derived map, and signing in to it.

One generation is shared by the module (it takes a couple of seconds); it lives in an outer
transaction that is rolled back when the module ends, and each test runs in a savepoint.
"""

import datetime as dt
import io
import random
from collections import Counter
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from innerclient.core.models import AuditEntry, Membership, Organization, Role
from innerclient.demo import structure
from innerclient.demo.build import DEFAULT_PASSWORD, DemoConfig, demo_build, demo_fingerprint
from innerclient.demo.people import deputy_title, plan_people, transliterate
from innerclient.demo.request_log import (
    HOLIDAYS,
    MAP_MIN_COUNT,
    XLSX_HEADERS,
    plan_request_log,
)
from innerclient.org.models import Department, InteractionLink, Person

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER),
        transaction.atomic(),
    ):
        ctx = demo_build(DemoConfig())
        yield SimpleNamespace(
            ctx=ctx, org=ctx.organization, fingerprint=demo_fingerprint(ctx.organization)
        )
        transaction.set_rollback(True)


@pytest.fixture
def codes(demo, db):
    return {department.pk: department.code for department in demo.org.departments.all()}


def _run(*args) -> str:
    out = io.StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        call_command("demo_company", *args, stdout=out)
    return out.getvalue()


def _fingerprint_in(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Fingerprint: ")).split()[1]


# --- Size and shape


def test_company_has_about_sixty_departments_in_six_divisions(demo, db):
    departments = Department.objects.filter(organization=demo.org)
    assert 55 <= departments.count() <= 65
    assert 5 <= departments.filter(parent=None).count() <= 6
    # Three levels in places: division, department, sub-department.
    assert departments.filter(parent__parent__isnull=False).exists()
    for department in departments.exclude(parent=None).select_related("parent"):
        assert department.code.startswith(department.parent.code + "-")
        assert department.name_ru and department.name_en


def test_company_has_about_three_thousand_people_a_few_inactive(demo, db):
    people = Person.objects.filter(organization=demo.org)
    assert 2800 <= people.count() <= 3200
    assert 10 <= people.filter(is_active=False).count() <= 150


def test_big_departments_are_sales_and_warehouse_not_legal(demo, db):
    sizes = Counter(
        Person.objects.filter(organization=demo.org).values_list("department__code", flat=True)
    )
    assert sizes["OPS-WH-CEN"] > 200 and sizes["COM-SAL-B2C"] > 150
    assert sizes["ADM-LEG"] < 15 and sizes["FIN-TAX"] < 10


def test_every_active_department_has_exactly_one_head_who_belongs_to_it(demo, db):
    heads = Counter(
        Person.objects.filter(organization=demo.org, is_head=True).values_list(
            "department_id", flat=True
        )
    )
    active = Department.objects.filter(organization=demo.org, is_active=True).select_related("head")
    for department in active:
        assert heads[department.pk] == 1, department.code
        assert department.head is not None, department.code
        assert department.head.department_id == department.pk
        assert department.head.is_head and department.head.is_active


def test_emails_are_unique_latin_and_on_a_reserved_domain(demo, db):
    emails = list(Person.objects.filter(organization=demo.org).values_list("email", flat=True))
    assert len(set(emails)) == len(emails)
    for email in emails:
        local, domain = email.split("@")
        assert domain == "sev-veter.example"
        assert local.isascii() and local == local.lower() and local[0].isalpha()


def test_positions_fit_the_department(demo, db):
    positions = Counter(
        Person.objects.filter(organization=demo.org, department__code="OPS-WH-CEN").values_list(
            "position", flat=True
        )
    )
    assert positions["Кладовщик"] > 30 and positions["Начальник центрального склада"] == 1
    assert "Менеджер по продажам" not in positions


def test_disbanded_department_is_inactive_with_its_people_and_has_no_links(demo, db):
    disbanded = Department.objects.get(organization=demo.org, code="COM-TLM")
    assert not disbanded.is_active
    assert not disbanded.people.filter(is_active=True).exists()
    assert not InteractionLink.objects.filter(client=disbanded).exists()


# --- The request log and the interaction map


def test_map_has_the_flagship_links(demo, codes):
    links = {
        (codes[link.client_id], codes[link.provider_id]): link
        for link in InteractionLink.objects.filter(organization=demo.org)
    }
    for client in ("COM-SAL-B2B", "COM-SAL-REG", "COM-SAL-KAM"):
        assert (client, structure.PURCHASING) in links
        assert (client, structure.DELIVERY) in links
    sales_purchasing = links[(structure.SALES_B2B, structure.PURCHASING)]
    assert sales_purchasing.services == "Закупка товаров под заказ клиента"
    assert sales_purchasing.source == InteractionLink.Source.REQUEST_LOG
    for department in Department.objects.filter(organization=demo.org, is_active=True):
        for provider in (structure.IT_SUPPORT, structure.HR_ADMIN, structure.ACCOUNTING):
            if department.code != provider:
                assert (department.code, provider) in links, (department.code, provider)


def test_map_is_derived_from_the_last_six_months_of_the_log(demo, codes):
    ctx = demo.ctx
    assert 15_000 <= len(ctx.requests) <= 40_000
    window_start = dt.date(2026, 5, 1)
    recent = Counter(
        (r.client_code, r.provider_code)
        for r in ctx.requests
        if r.created_at.date() >= window_start
    )
    links = list(InteractionLink.objects.filter(organization=demo.org))
    assert 200 <= len(links) <= 600
    for link in links:
        assert link.volume == recent[(codes[link.client_id], codes[link.provider_id])]
        assert link.volume >= MAP_MIN_COUNT
    # Most links describe their service; only a few chance pairs from the noise do not.
    assert sum(not link.services for link in links) < len(links) * 0.1


def test_request_log_falls_on_working_days_of_the_last_year(demo):
    requests = demo.ctx.requests
    assert requests[0].created_at.date() >= dt.date(2025, 11, 1)
    assert requests[-1].created_at.date() <= dt.date(2026, 10, 31)
    for request in requests:
        day = request.created_at
        assert day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS
        assert dt.time(8, 30) <= day.time() < dt.time(18, 30)
        assert request.client_code != request.provider_code


def test_generation_is_recorded_in_the_audit_log(demo, db):
    entry = AuditEntry.objects.get(organization=demo.org, action="demo.generate")
    assert entry.changes["seed"] == 42
    assert entry.changes["people"] == Person.objects.filter(organization=demo.org).count()
    assert entry.changes["links"] == InteractionLink.objects.filter(organization=demo.org).count()
    assert entry.changes["requests"] == len(demo.ctx.requests)
    assert AuditEntry.objects.filter(organization=demo.org, action="map.apply").exists()


# --- Accounts


def test_demo_accounts_have_one_role_each_and_heads_their_department(demo, db):
    memberships = {
        m.user.username: m
        for m in Membership.objects.filter(organization=demo.org).select_related(
            "user", "department__head"
        )
    }
    assert {username: m.role for username, m in memberships.items()} == {
        "coordinator@demo.example": Role.COORDINATOR,
        "analyst@demo.example": Role.ANALYST,
        "head.sales@demo.example": Role.HEAD,
        "head.purchasing@demo.example": Role.HEAD,
        "employee@demo.example": Role.EMPLOYEE,
    }
    for username, code in (
        ("head.sales@demo.example", structure.SALES_B2B),
        ("head.purchasing@demo.example", structure.PURCHASING),
    ):
        membership = memberships[username]
        assert membership.department.code == code
        # The account stands for the head in the directory.
        assert membership.department.head.full_name.startswith(membership.user.last_name + " ")
    assert memberships["employee@demo.example"].department.code == structure.SALES_B2B


def test_coordinator_signs_in_and_sees_the_organization(demo, db, client):
    response = client.post(
        reverse("login"),
        {"username": "coordinator@demo.example", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 302
    landing = client.get(reverse("home"))
    assert landing.url == reverse("org:home", args=["demo"])
    page = client.get(landing.url)
    assert page.status_code == 200
    assert "Северный ветер" in page.content.decode()


# --- The command


def test_if_empty_does_nothing_when_an_organization_exists_but_prints_the_sign_in(demo, db):
    counts = (Organization.objects.count(), Person.objects.count())
    output = _run("--if-empty")
    assert (Organization.objects.count(), Person.objects.count()) == counts
    assert "coordinator@demo.example" in output and DEFAULT_PASSWORD in output


def test_taken_slug_is_refused(demo, db):
    with pytest.raises(CommandError):
        _run("--slug", "demo")


def test_same_seed_gives_the_same_company_and_writes_the_log(demo, db, tmp_path):
    path = tmp_path / "log.xlsx"
    output = _run("--slug", "demo-twin", "--request-log-out", str(path))
    assert _fingerprint_in(output) == demo.fingerprint
    assert "http://127.0.0.1:8000/" in output and "coordinator@demo-twin.example" in output
    rows = list(load_workbook(path, read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == XLSX_HEADERS
    assert len(rows) - 1 == len(demo.ctx.requests)
    first = demo.ctx.requests[0]
    assert rows[1] == (
        first.created_at,
        first.client_code,
        first.provider_code,
        first.request_type,
    )


def test_another_seed_gives_another_company(demo, db):
    output = _run("--slug", "demo-other", "--seed", "7")
    assert _fingerprint_in(output) != demo.fingerprint


# --- Pure parts


def test_plans_are_deterministic_without_a_database():
    def plan(seed):
        departments = structure.plan_structure(random.Random(f"s{seed}"))
        people = plan_people(departments, random.Random(f"p{seed}"), domain="x.example")
        log = plan_request_log(
            departments[:12], random.Random(f"r{seed}"), anchor=dt.date(2026, 3, 15)
        )
        return departments, people, log

    assert plan(1) == plan(1)
    assert plan(1) != plan(2)


def test_transliteration_follows_company_mail_habits():
    assert transliterate("Щукин") == "shchukin"
    assert transliterate("Соловьёв") == "solovev"
    assert transliterate("Юлия") == "yuliya"
    assert transliterate("Кузнецова") == "kuznetsova"


def test_deputy_title_is_built_from_the_head_title():
    assert deputy_title("Начальник отдела закупок") == "Заместитель начальника отдела закупок"
    assert deputy_title("Главный бухгалтер") == "Заместитель главного бухгалтера"
    assert deputy_title("Казначей") is None
