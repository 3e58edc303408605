"""Request and response shapes of the API (they are the OpenAPI schema's components)."""

from datetime import date, datetime
from typing import Annotated, Literal

from django.db.models import QuerySet
from ninja import Field, Schema
from pydantic import AfterValidator, create_model

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_OFFSET = 2**31 - 1
MAX_ID = 2**63 - 1  # ids beyond a 64-bit integer cannot exist: refuse them before the database
MAX_UPSERT_ITEMS = 5000


def _no_control_characters(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
        raise ValueError("Control characters are not allowed.")
    return value


Text = Annotated[str, AfterValidator(_no_control_characters)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")


def page_schema(name: str, item: type[Schema]) -> type[Schema]:
    """``{"items": [...], "count": total, "limit": n, "offset": n}`` for one item type."""
    return create_model(
        name,
        __base__=Schema,
        items=(list[item], ...),
        count=(int, Field(..., description="Total number of items, all pages.")),
        limit=(int, ...),
        offset=(int, ...),
    )


def paginate(queryset: QuerySet, page: PageParams, serialize) -> dict:
    items = queryset[page.offset : page.offset + page.limit]
    return {
        "items": [serialize(obj) for obj in items],
        "count": queryset.count(),
        "limit": page.limit,
        "offset": page.offset,
    }


# --- Organization ------------------------------------------------------------------------------


class TokenInfo(Schema):
    name: str
    prefix: str
    scopes: list[str]


class OrganizationOut(Schema):
    id: int
    slug: str
    name: str
    token: TokenInfo


# --- Structure ---------------------------------------------------------------------------------


class DepartmentOut(Schema):
    id: int
    code: str
    name_ru: str
    name_en: str
    parent_id: int | None
    parent_code: str | None
    head_id: int | None
    head_email: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


class PersonOut(Schema):
    id: int
    email: str
    full_name: str
    department_id: int
    department_code: str
    position: str
    is_head: bool
    is_active: bool
    language: str
    created_at: datetime
    updated_at: datetime


DepartmentPage = page_schema("DepartmentPage", DepartmentOut)
PersonPage = page_schema("PersonPage", PersonOut)


class DepartmentIn(Schema):
    """A department to create or update, matched by ``code``.

    A field left out of an item keeps its current value (or the default for a new department).
    """

    code: Text = Field(..., min_length=1, max_length=50)
    name_ru: Text = Field(..., min_length=1, max_length=255)
    name_en: Text = Field("", max_length=255)
    parent_code: Text = Field("", max_length=50, description="Empty: a top-level department.")
    head_email: Text = Field(
        "", max_length=254, description="A person of this department; empty leaves the head."
    )
    active: bool = True


class PersonIn(Schema):
    """A person to create or update, matched by ``email`` (case-insensitive).

    A field left out of an item keeps its current value (or the default for a new person).
    """

    email: Text = Field(..., min_length=3, max_length=254)
    full_name: Text = Field(..., min_length=1, max_length=255)
    department_code: Text = Field(..., min_length=1, max_length=50)
    position: Text = Field("", max_length=255)
    is_head: bool = False
    active: bool = True
    language: Literal["ru", "en"] = "ru"


class DepartmentUpsertIn(Schema):
    items: list[DepartmentIn] = Field(..., min_length=1, max_length=MAX_UPSERT_ITEMS)


class PersonUpsertIn(Schema):
    items: list[PersonIn] = Field(..., min_length=1, max_length=MAX_UPSERT_ITEMS)


class UpsertWarning(Schema):
    loc: list[str | int]
    message: str


class UpsertOut(Schema):
    created: int
    updated: int
    unchanged: int
    heads_changed: int
    warnings: list[UpsertWarning]


# --- Interaction map ---------------------------------------------------------------------------


class LinkOut(Schema):
    id: int
    client_id: int
    client_code: str
    provider_id: int
    provider_code: str
    services: str
    weight: float
    volume: int | None
    source: str


LinkPage = page_schema("LinkPage", LinkOut)


# --- Cycles ------------------------------------------------------------------------------------

CycleStatus = Literal["draft", "open", "closed", "published"]


class CycleOut(Schema):
    id: int
    name: str
    status: CycleStatus
    scale: str
    anonymity_threshold: int
    comment_threshold: int
    rater_mode: str
    deadline: date | None
    criteria_set_id: int
    criteria_set_name: str
    criteria_set_version: int
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    published_at: datetime | None


CyclePage = page_schema("CyclePage", CycleOut)


class TransitionIn(Schema):
    to: Literal["open", "closed", "published"] = Field(
        ..., description="draft → open → closed → published; no step is skipped."
    )


class RateOut(Schema):
    invited: int
    started: int
    completed: int
    percent: int = Field(..., description="completed / invited, rounded, 0–100.")


class DepartmentRateOut(RateOut):
    department_id: int | None
    department_code: str | None
    department_name_ru: str | None
    department_name_en: str | None


class ResponseRatesOut(Schema):
    cycle_id: int
    status: CycleStatus
    overall: RateOut
    departments: list[DepartmentRateOut]
    folded_departments: int = Field(
        ...,
        description=(
            "How many departments with fewer invited than the anonymity threshold are counted "
            "together in the row whose department_id is null."
        ),
    )
    not_yet_invited: int
    refreshed_at: datetime | None


# --- Results -----------------------------------------------------------------------------------


class MethodologyOut(Schema):
    aggregation: str
    official_index: str
    anonymity_threshold: int = Field(..., description="Figures resting on fewer raters are null.")
    scale_min: int
    scale_max: int
    problem_threshold: float | None


class ResultCriterionOut(Schema):
    id: int
    code: str
    name_ru: str
    name_en: str


class ResultDepartmentOut(Schema):
    department_id: int
    code: str
    name_ru: str
    name_en: str
    shown: bool = Field(
        ..., description="False: too few raters; every figure of the department is null."
    )
    index: float | None
    ci_low: float | None
    ci_high: float | None
    adjusted_index: float | None
    rank: int | None
    n_raters: int | None
    n_client_departments: int | None
    criteria: list[float | None] = Field(..., description="Per criterion, in ``criteria`` order.")
    self_index: float | None
    change: float | None
    change_significant: bool | None
    trend_slope: float | None


class ResultsOut(Schema):
    cycle_id: int
    version: int
    computed_at: datetime
    methodology: MethodologyOut
    criteria: list[ResultCriterionOut]
    departments: list[ResultDepartmentOut] = Field(
        ...,
        description="The departments with results. One rated by too few raters is not "
        "listed, exactly like one nobody rated: a row would tell that a few ratings exist.",
    )
    departments_hidden: int = Field(
        ...,
        description="How many departments were rated by fewer raters than the anonymity "
        "threshold (a company total; they are not named).",
    )


# --- Action plans ------------------------------------------------------------------------------


class ActionPlanOut(Schema):
    id: int
    department_id: int
    department_code: str
    cycle_id: int | None
    problem_kind: str
    criterion_id: int | None
    client_department_id: int | None
    title: str
    description: str
    owner_id: int
    owner_name: str
    due_date: date
    status: str
    result_note: str
    created_at: datetime
    updated_at: datetime


ActionPlanPage = page_schema("ActionPlanPage", ActionPlanOut)
