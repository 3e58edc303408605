"""Evaluation cycles: read, lifecycle transitions, response rates and published results."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router

from innerclient.api.auth import api_access
from innerclient.api.errors import ERROR_RESPONSES, ApiError, validation_details
from innerclient.api.models import Scope
from innerclient.api.results import published_results
from innerclient.api.schemas import (
    CycleOut,
    CyclePage,
    CycleStatus,
    Id,
    PageParams,
    ResponseRatesOut,
    ResultsOut,
    TransitionIn,
    paginate,
)
from innerclient.core.audit import audit_record
from innerclient.org.models import Department
from innerclient.surveys.completion import response_rates
from innerclient.surveys.models import Cycle
from innerclient.workflow.services import cycle_transition

router = Router(tags=["cycles"])


def cycle_data(cycle: Cycle) -> dict:
    return {
        "id": cycle.pk,
        "name": cycle.name,
        "status": cycle.status,
        "scale": cycle.scale,
        "anonymity_threshold": cycle.anonymity_threshold,
        "comment_threshold": cycle.comment_threshold,
        "rater_mode": cycle.rater_mode,
        "deadline": cycle.deadline,
        "criteria_set_id": cycle.criteria_set_id,
        "criteria_set_name": cycle.criteria_set.name,
        "criteria_set_version": cycle.criteria_set.version,
        "created_at": cycle.created_at,
        "opened_at": cycle.opened_at,
        "closed_at": cycle.closed_at,
        "published_at": cycle.published_at,
    }


def _cycles(organization):
    return Cycle.objects.filter(organization=organization).select_related("criteria_set")


@router.get(
    "/cycles",
    response={200: CyclePage, **ERROR_RESPONSES},
    url_name="cycle_list",
    summary="List evaluation cycles, newest first",
)
def cycle_list(request, page: Query[PageParams], status: CycleStatus | None = None):
    access = api_access(request, Scope.CYCLES_READ)
    cycles = _cycles(access.organization).order_by("-created_at", "-id")
    if status is not None:
        cycles = cycles.filter(status=status)
    return paginate(cycles, page, cycle_data)


@router.get(
    "/cycles/{int:cycle_id}",
    response={200: CycleOut, **ERROR_RESPONSES},
    url_name="cycle_detail",
    summary="One evaluation cycle",
)
def cycle_detail(request, cycle_id: Path[Id]):
    access = api_access(request, Scope.CYCLES_READ)
    return cycle_data(get_object_or_404(_cycles(access.organization), pk=cycle_id))


@router.post(
    "/cycles/{int:cycle_id}/transition",
    response={200: CycleOut, **ERROR_RESPONSES},
    url_name="cycle_transition",
    summary="Open, close or publish a cycle",
    description=(
        "Moves the cycle to the next status through the same service as the coordinator's "
        "page. Acts as the coordinator who created the token; the audit log records the token. "
        "A step the cycle is not ready for is a 409 with the reason."
    ),
)
def cycle_transition_view(request, cycle_id: Path[Id], payload: TransitionIn):
    access = api_access(request, Scope.CYCLES_WRITE)
    cycle = get_object_or_404(_cycles(access.organization), pk=cycle_id)
    before = cycle.status
    try:
        with transaction.atomic():
            cycle = cycle_transition(actor=access.actor, cycle=cycle, to=payload.to)
            audit_record(
                organization=access.organization,
                actor=access.actor,
                action="api.cycle.transition",
                obj=cycle,
                changes={
                    "via": "api_token",
                    "token": f"{access.token.name} ({access.token.prefix}…)",
                    "token_id": access.token.pk,
                    "status": [before, cycle.status],
                },
            )
    except ValidationError as error:
        details = validation_details(error)
        raise ApiError(
            409,
            "transition_refused",
            details[0]["message"] if details else "The cycle cannot make this step.",
            details,
        ) from error
    return cycle_data(get_object_or_404(_cycles(access.organization), pk=cycle.pk))


@router.get(
    "/cycles/{int:cycle_id}/response-rates",
    response={200: ResponseRatesOut, **ERROR_RESPONSES},
    url_name="cycle_response_rates",
    summary="Invited, started and completed raters per department (counts only)",
)
def cycle_response_rates(request, cycle_id: Path[Id]):
    access = api_access(request, Scope.CYCLES_READ)
    cycle = get_object_or_404(_cycles(access.organization), pk=cycle_id)
    rates = response_rates(cycle=cycle)
    ids = [row.department_id for row in rates.departments if row.department_id]
    departments = {
        pk: (code, name_ru, name_en)
        for pk, code, name_ru, name_en in Department.objects.filter(
            organization=access.organization, pk__in=ids
        ).values_list("pk", "code", "name_ru", "name_en")
    }

    def rate(row) -> dict:
        return {
            "invited": row.invited,
            "started": row.started,
            "completed": row.completed,
            "percent": row.percent,
        }

    rows = []
    for row in sorted(rates.departments, key=lambda r: departments.get(r.department_id, ("",))[0]):
        code, name_ru, name_en = departments.get(row.department_id, (None, None, None))
        rows.append(
            {
                **rate(row),
                "department_id": row.department_id,
                "department_code": code,
                "department_name_ru": name_ru,
                "department_name_en": name_en,
            }
        )
    return {
        "cycle_id": cycle.pk,
        "status": cycle.status,
        "overall": rate(rates.overall),
        "departments": rows,
        "not_yet_invited": rates.not_yet_invited,
        "refreshed_at": rates.refreshed_at,
    }


@router.get(
    "/cycles/{int:cycle_id}/results",
    response={200: ResultsOut, **ERROR_RESPONSES},
    url_name="cycle_results",
    summary="Published results of a cycle (figures the privacy rules let through)",
    description=(
        "Read from the stored result snapshot of a published cycle, never from responses. "
        "A figure resting on fewer raters than the anonymity threshold is null. No comments. "
        "404 with code `not_published` before publication."
    ),
)
def cycle_results(request, cycle_id: Path[Id]):
    access = api_access(request, Scope.RESULTS_READ)
    cycle = get_object_or_404(_cycles(access.organization), pk=cycle_id)
    return published_results(cycle)
