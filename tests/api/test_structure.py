"""Departments and people over the API: pagination, detail and the all-or-nothing upsert."""

import json

import pytest

from innerclient.api.models import Scope
from innerclient.core.models import AuditEntry
from innerclient.org.models import Department, Person
from tests.api.conftest import bearer, make_token
from tests.factories import DepartmentFactory


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def structure(org):
    return bearer(make_token(org, scopes=[Scope.STRUCTURE_READ, Scope.STRUCTURE_WRITE]))


def test_departments_are_paginated_with_a_total(structure, org):
    for n in range(7):
        DepartmentFactory(organization=org, code=f"P{n}")
    DepartmentFactory()  # another organization's
    body = structure.get("/api/v1/departments?limit=3&offset=3").json()
    assert body["count"] == 7 and body["limit"] == 3 and body["offset"] == 3
    assert [d["code"] for d in body["items"]] == ["P3", "P4", "P5"]


def test_limit_above_the_maximum_is_a_validation_error(structure):
    response = structure.get("/api/v1/departments?limit=501")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"][0]["loc"] == ["query", "limit"]


def test_department_detail_names_parent_and_head(structure, org):
    parent = DepartmentFactory(organization=org, code="HQ")
    child = DepartmentFactory(organization=org, code="HR", parent=parent)
    body = structure.get(f"/api/v1/departments/{child.pk}").json()
    assert body["parent_code"] == "HQ" and body["parent_id"] == parent.pk
    assert body["head_id"] is None


def test_upsert_creates_then_updates_then_changes_nothing(structure, org):
    items = [
        {"code": "HQ", "name_ru": "Головной офис"},
        {"code": "HR", "name_ru": "Отдел кадров", "parent_code": "HQ"},
    ]
    first = post(structure, "/api/v1/departments/upsert", {"items": items}).json()
    assert first["created"] == 2
    hr = Department.objects.get(organization=org, code="HR")
    assert hr.parent.code == "HQ"
    audit_rows = AuditEntry.objects.filter(organization=org).count()
    assert AuditEntry.objects.filter(organization=org, action="api.departments.upsert").exists()

    again = post(structure, "/api/v1/departments/upsert", {"items": items}).json()
    assert again == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "heads_changed": 0,
        "warnings": [],
    }
    assert AuditEntry.objects.filter(organization=org).count() == audit_rows

    items[1]["name_ru"] = "Управление персоналом"
    third = post(structure, "/api/v1/departments/upsert", {"items": items}).json()
    assert third["updated"] == 1
    hr.refresh_from_db()
    assert hr.name_ru == "Управление персоналом"


def test_one_bad_item_writes_nothing_and_names_every_problem(structure, org):
    items = [
        {"code": "OK", "name_ru": "Хороший"},
        {"code": "X", "name_ru": "Плохой", "parent_code": "NOWHERE"},
        {"code": "OK", "name_ru": "Повтор"},
    ]
    response = post(structure, "/api/v1/departments/upsert", {"items": items})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_items"
    locs = [d["loc"] for d in error["details"]]
    assert ["body", "items", 1, "parent_code"] in locs
    assert ["body", "items", 2, "code"] in locs
    assert not Department.objects.filter(organization=org).exists()
    assert not AuditEntry.objects.filter(organization=org, action__startswith="department").exists()


def test_fields_left_out_keep_their_values(structure, org):
    parent = DepartmentFactory(organization=org, code="HQ")
    dept = DepartmentFactory(
        organization=org, code="IT", name_en="IT", parent=parent, is_active=False
    )
    body = {"items": [{"code": "IT", "name_ru": "ИТ"}, {"code": "HQ2", "name_ru": "Другой"}]}
    assert post(structure, "/api/v1/departments/upsert", body).status_code == 200
    dept.refresh_from_db()
    assert dept.name_ru == "ИТ"
    assert dept.name_en == "IT" and dept.parent == parent and dept.is_active is False


def test_people_upsert_creates_people_and_makes_a_head(structure, org):
    dept = DepartmentFactory(organization=org, code="IT")
    items = [
        {
            "email": "Boss@Example.test",
            "full_name": "Начальник",
            "department_code": "IT",
            "is_head": True,
        },
        {"email": "dev@example.test", "full_name": "Разработчик", "department_code": "IT"},
    ]
    body = post(structure, "/api/v1/people/upsert", {"items": items}).json()
    assert body["created"] == 2 and body["heads_changed"] == 1
    dept.refresh_from_db()
    assert dept.head.email == "boss@example.test"
    listing = structure.get(f"/api/v1/people?department_id={dept.pk}").json()
    assert {p["email"] for p in listing["items"]} == {"boss@example.test", "dev@example.test"}
    again = post(structure, "/api/v1/people/upsert", {"items": items}).json()
    assert again["unchanged"] == 2 and again["created"] == again["updated"] == 0


def test_people_upsert_refuses_an_unknown_department(structure, org):
    items = [{"email": "a@example.test", "full_name": "А", "department_code": "NOPE"}]
    response = post(structure, "/api/v1/people/upsert", {"items": items})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"] == ["body", "items", 0, "department_code"]
    assert not Person.objects.filter(organization=org).exists()


def test_upsert_needs_the_write_scope(org):
    reader = bearer(make_token(org, scopes=[Scope.STRUCTURE_READ]))
    body = {"items": [{"code": "A", "name_ru": "А"}]}
    assert post(reader, "/api/v1/departments/upsert", body).status_code == 403
    assert not Department.objects.filter(organization=org).exists()


def test_upsert_acts_as_the_tokens_creator(structure, org):
    post(structure, "/api/v1/departments/upsert", {"items": [{"code": "A", "name_ru": "А"}]})
    entry = AuditEntry.objects.get(organization=org, action="department.create")
    summary = AuditEntry.objects.get(organization=org, action="api.departments.upsert")
    assert entry.actor is not None and entry.actor == summary.actor
    assert summary.changes["via"] == "api_token"
    assert summary.changes["created"] == 1


def test_malformed_json_is_a_400(structure):
    response = structure.post(
        "/api/v1/departments/upsert", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_writes_need_no_csrf_token(org):
    """A bearer token is not a cookie: the API is exempt from CSRF, the site is not."""
    client = bearer(make_token(org))
    client.handler.enforce_csrf_checks = True
    body = {"items": [{"code": "A", "name_ru": "А"}]}
    assert post(client, "/api/v1/departments/upsert", body).status_code == 200
