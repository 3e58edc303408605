"""A published cycle in which a provider P is rated by two client departments, A (low) and
B (high), six raters each: both client views are shown, and comments too (12 raters)."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from innerclient.core.models import Role
from innerclient.surveys.models import Answer, Cycle, OpenAnswer, OpenQuestion
from tests.factories import DepartmentFactory, MembershipFactory, PersonFactory
from tests.results.factories import closed_cycle, plant_response, publish

ABUSIVE = "Они все там бездельники"
FAIR = "Отвечают медленно, но по делу"


@dataclass
class Appeals:
    org: object
    cycle: Cycle
    provider: object  # P
    low: object  # A, rates P with 2
    high: object  # B, rates P with 5
    other: object  # C, a department without results
    coordinator: object
    head: object  # heads P
    other_head: object  # heads C
    answer: Answer  # a comment on P
    open_answer: OpenAnswer  # an answer to an open question about P


def member(org, role, department=None, *, language=None, name=""):
    membership = MembershipFactory(organization=org, role=role, department=department)
    user = membership.user
    if name:
        user.first_name, user.last_name = name.split(" ", 1)
        user.save()
    if language:
        PersonFactory(
            department=department or DepartmentFactory(organization=org),
            email=user.email,
            language=language,
        )
    return user


def appeals_world(org, *, published_days_ago: int = 0, name: str = "2027 Q1") -> Appeals:
    provider = DepartmentFactory(organization=org, code="P", name_en="Purchasing")
    low = DepartmentFactory(organization=org, code="A", name_en="Assembly")
    high = DepartmentFactory(organization=org, code="B", name_en="Billing")
    other = DepartmentFactory(organization=org, code="C", name_en="Canteen")
    cycle = closed_cycle(org, name=name)
    responses = [
        plant_response(cycle, provider=provider, client=low, scores=[2] * 8) for _ in range(6)
    ]
    responses += [
        plant_response(cycle, provider=provider, client=high, scores=[5] * 8) for _ in range(6)
    ]
    answer = responses[0].answers.order_by("criterion__position").first()
    answer.comment = ABUSIVE
    answer.save()
    question = OpenQuestion.objects.create(
        criteria_set=cycle.criteria_set, code="change", text_ru="Что изменить?", text_en="Change?"
    )
    open_answer = OpenAnswer.objects.create(response=responses[7], question=question, text=FAIR)
    coordinator = member(org, Role.COORDINATOR, name="Olga Coordinator")
    cycle = publish(cycle, actor=coordinator)
    if published_days_ago:
        Cycle.objects.filter(pk=cycle.pk).update(
            published_at=timezone.now() - timedelta(days=published_days_ago)
        )
        cycle.refresh_from_db()
    return Appeals(
        org=org,
        cycle=cycle,
        provider=provider,
        low=low,
        high=high,
        other=other,
        coordinator=coordinator,
        head=member(org, Role.HEAD, provider, name="Pavel Head"),
        other_head=member(org, Role.HEAD, other),
        answer=answer,
        open_answer=open_answer,
    )
