"""Action plans (innerclient.actions), read-only."""

from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Path, Query, Router

from innerclient.actions.models import ActionPlan
from innerclient.api.auth import api_access
from innerclient.api.errors import ERROR_RESPONSES
from innerclient.api.models import Scope
from innerclient.api.schemas import ActionPlanOut, ActionPlanPage, Id, PageParams, paginate

router = Router(tags=["action plans"])

ActionStatus = Literal["planned", "in_progress", "done", "dropped"]


def action_data(action: ActionPlan) -> dict:
    return {
        "id": action.pk,
        "department_id": action.department_id,
        "department_code": action.department.code,
        "cycle_id": action.cycle_id,
        "problem_kind": action.problem_kind,
        "criterion_id": action.criterion_id,
        "client_department_id": action.client_department_id,
        "title": action.title,
        "description": action.description,
        "owner_id": action.owner_id,
        "owner_name": action.owner.full_name,
        "due_date": action.due_date,
        "status": action.status,
        "result_note": action.result_note,
        "created_at": action.created_at,
        "updated_at": action.updated_at,
    }


def _actions(organization):
    return ActionPlan.objects.filter(organization=organization).select_related(
        "department", "owner"
    )


@router.get(
    "/action-plans",
    response={200: ActionPlanPage, **ERROR_RESPONSES},
    url_name="action_plan_list",
    summary="List action plans",
)
def action_plan_list(
    request,
    page: Query[PageParams],
    department_id: Query[Id | None] = None,
    cycle_id: Query[Id | None] = None,
    status: ActionStatus | None = None,
):
    access = api_access(request, Scope.ACTIONS_READ)
    actions = _actions(access.organization).order_by("id")
    if department_id is not None:
        actions = actions.filter(department_id=department_id)
    if cycle_id is not None:
        actions = actions.filter(cycle_id=cycle_id)
    if status is not None:
        actions = actions.filter(status=status)
    return paginate(actions, page, action_data)


@router.get(
    "/action-plans/{int:action_id}",
    response={200: ActionPlanOut, **ERROR_RESPONSES},
    url_name="action_plan_detail",
    summary="One action plan",
)
def action_plan_detail(request, action_id: Path[Id]):
    access = api_access(request, Scope.ACTIONS_READ)
    return action_data(get_object_or_404(_actions(access.organization), pk=action_id))
