"""Departments and people: read (paginated) and bulk upsert."""

from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router

from innerclient.api.auth import api_access
from innerclient.api.errors import ERROR_RESPONSES
from innerclient.api.models import Scope
from innerclient.api.schemas import (
    DepartmentOut,
    DepartmentPage,
    DepartmentUpsertIn,
    Id,
    OrganizationOut,
    PageParams,
    PersonOut,
    PersonPage,
    PersonUpsertIn,
    UpsertOut,
    paginate,
)
from innerclient.api.upsert import structure_upsert
from innerclient.org.importing.fields import DEPARTMENTS, PEOPLE
from innerclient.org.models import Department, Person

router = Router()


def department_data(d: Department) -> dict:
    return {
        "id": d.pk,
        "code": d.code,
        "name_ru": d.name_ru,
        "name_en": d.name_en,
        "parent_id": d.parent_id,
        "parent_code": d.parent.code if d.parent_id else None,
        "head_id": d.head_id,
        "head_email": d.head.email if d.head_id else None,
        "is_active": d.is_active,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def person_data(p: Person) -> dict:
    return {
        "id": p.pk,
        "email": p.email,
        "full_name": p.full_name,
        "department_id": p.department_id,
        "department_code": p.department.code,
        "position": p.position,
        "is_head": p.is_head,
        "is_active": p.is_active,
        "language": p.language,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


@router.get(
    "/organization",
    response={200: OrganizationOut, **ERROR_RESPONSES},
    url_name="organization",
    tags=["organization"],
    summary="The token's organization and scopes",
)
def organization(request):
    token = request.auth
    org = token.organization
    return {
        "id": org.pk,
        "slug": org.slug,
        "name": org.name,
        "token": {"name": token.name, "prefix": token.prefix, "scopes": token.scopes},
    }


def _departments(organization):
    return (
        Department.objects.filter(organization=organization)
        .select_related("parent", "head")
        .order_by("id")
    )


@router.get(
    "/departments",
    response={200: DepartmentPage, **ERROR_RESPONSES},
    url_name="department_list",
    tags=["structure"],
    summary="List departments",
)
def department_list(request, page: Query[PageParams], active: bool | None = None):
    access = api_access(request, Scope.STRUCTURE_READ)
    departments = _departments(access.organization)
    if active is not None:
        departments = departments.filter(is_active=active)
    return paginate(departments, page, department_data)


@router.get(
    "/departments/{int:department_id}",
    response={200: DepartmentOut, **ERROR_RESPONSES},
    url_name="department_detail",
    tags=["structure"],
    summary="One department",
)
def department_detail(request, department_id: Path[Id]):
    access = api_access(request, Scope.STRUCTURE_READ)
    return department_data(get_object_or_404(_departments(access.organization), pk=department_id))


@router.post(
    "/departments/upsert",
    response={200: UpsertOut, **ERROR_RESPONSES},
    url_name="department_upsert",
    tags=["structure"],
    summary="Create or update departments by code (all or nothing)",
)
def department_upsert(request, payload: DepartmentUpsertIn):
    access = api_access(request, Scope.STRUCTURE_WRITE)
    return structure_upsert(access=access, kind=DEPARTMENTS, items=payload.items)


def _people(organization):
    return Person.objects.filter(organization=organization).select_related("department")


@router.get(
    "/people",
    response={200: PersonPage, **ERROR_RESPONSES},
    url_name="person_list",
    tags=["structure"],
    summary="List people",
)
def person_list(
    request,
    page: Query[PageParams],
    active: bool | None = None,
    department_id: Query[Id | None] = None,
):
    access = api_access(request, Scope.STRUCTURE_READ)
    people = _people(access.organization).order_by("id")
    if active is not None:
        people = people.filter(is_active=active)
    if department_id is not None:
        people = people.filter(department_id=department_id)
    return paginate(people, page, person_data)


@router.get(
    "/people/{int:person_id}",
    response={200: PersonOut, **ERROR_RESPONSES},
    url_name="person_detail",
    tags=["structure"],
    summary="One person",
)
def person_detail(request, person_id: Path[Id]):
    access = api_access(request, Scope.STRUCTURE_READ)
    return person_data(get_object_or_404(_people(access.organization), pk=person_id))


@router.post(
    "/people/upsert",
    response={200: UpsertOut, **ERROR_RESPONSES},
    url_name="person_upsert",
    tags=["structure"],
    summary="Create or update people by email (all or nothing)",
)
def person_upsert(request, payload: PersonUpsertIn):
    access = api_access(request, Scope.STRUCTURE_WRITE)
    return structure_upsert(access=access, kind=PEOPLE, items=payload.items)
