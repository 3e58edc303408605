"""Published cycles with planted answers, for the results tests."""

import uuid
from collections.abc import Sequence

from django.utils import timezone

from innerclient.surveys.criteria import criteria_set_create
from innerclient.surveys.models import Answer, Cycle, Response
from innerclient.surveys.services.cycles import cycle_create
from innerclient.workflow.services import cycle_publish


def plant_response(
    cycle: Cycle,
    *,
    provider,
    client,
    scores: Sequence[int | None],
    kind: str = "employee",
    seconds: int = 120,
    rater_key: str | None = None,
    comment: str = "",
) -> Response:
    criteria = list(cycle.criteria_set.criteria.order_by("position", "id"))
    response = Response.objects.create(
        cycle=cycle,
        provider=provider,
        rater_department=client,
        rater_kind=kind,
        rater_key=rater_key or uuid.uuid4().hex,
        status=Response.Status.SUBMITTED,
        time_spent_seconds=seconds,
    )
    Answer.objects.bulk_create(
        Answer(response=response, criterion=criterion, score=score, comment=comment)
        for criterion, score in zip(criteria, scores, strict=False)
    )
    return response


def closed_cycle(organization, name: str = "Results cycle", **settings) -> Cycle:
    criteria_set = criteria_set_create(actor=None, organization=organization, name=name)
    cycle = cycle_create(
        actor=None, organization=organization, name=name, criteria_set=criteria_set
    )
    now = timezone.now()
    Cycle.objects.filter(pk=cycle.pk).update(
        status=Cycle.Status.CLOSED, opened_at=now, closed_at=now, **settings
    )
    cycle.refresh_from_db()
    return cycle


def publish(cycle: Cycle, actor=None) -> Cycle:
    return cycle_publish(actor=actor, cycle=cycle)
