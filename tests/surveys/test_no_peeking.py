"""Results stay invisible until publication: no page shows a score or a comment of an
open (or closed) cycle to anyone, whatever his role."""

import pytest
from django.urls import reverse

from innerclient.core.models import Role
from innerclient.surveys.models import Answer, Cycle, OpenAnswer, Response
from innerclient.surveys.selectors import cycle_results_visible
from tests.factories import OrganizationFactory
from tests.test_access_matrix import ORG_RULES, _url, _world

SECRET_COMMENT = "Секретный-комментарий-7f3a"
SECRET_OPEN = "Secret-open-answer-91c2"


def _plant_answers(cycle: Cycle, world) -> None:
    criteria = list(cycle.criteria_set.criteria.all())
    question = cycle.criteria_set.open_questions.first()
    response = Response.objects.create(
        cycle=cycle,
        provider=world["department2"],
        rater_department=world["department"],
        rater_kind="client",
        rater_key="k" * 64,
        status=Response.Status.SUBMITTED,
    )
    for criterion in criteria:
        Answer.objects.create(
            response=response, criterion=criterion, score=1, comment=SECRET_COMMENT
        )
    if question is not None:
        OpenAnswer.objects.create(response=response, question=question, text=SECRET_OPEN)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Cycle.Status.OPEN, Cycle.Status.CLOSED])
def test_no_page_shows_answers_before_publication(client, status):
    world = _world(OrganizationFactory())
    cycles = list(Cycle.objects.filter(organization=world["organization"]))
    assert cycles, "the access-matrix world should hold cycles"
    for cycle in cycles:
        Cycle.objects.filter(pk=cycle.pk).update(status=status)
        _plant_answers(cycle, world)
        cycle.refresh_from_db()
        assert not cycle_results_visible(cycle)

    pages = 0
    for role in (Role.COORDINATOR, Role.ANALYST, Role.HEAD):
        client.force_login(world["members"][role])
        for name, rule in ORG_RULES.items():
            if rule.method != "get" or role not in rule.allowed:
                continue
            response = client.get(_url(name, rule, world))
            if response.status_code != 200 or not response.get("Content-Type", "").startswith(
                "text/html"
            ):
                continue
            pages += 1
            text = response.content.decode()
            assert SECRET_COMMENT not in text, (role, name)
            assert SECRET_OPEN not in text, (role, name)
    assert pages > 20
    client.force_login(world["members"][Role.COORDINATOR])
    assert (
        SECRET_COMMENT
        not in client.get(
            reverse("org:audit_log", args=[world["organization"].slug])
        ).content.decode()
    )
