"""Rows a rater's questionnaire needs, created directly (no cycle services involved)."""

from dataclasses import dataclass

from innerclient.surveys.models import (
    Assignment,
    CriteriaSet,
    Criterion,
    Cycle,
    Invitation,
    OpenQuestion,
    RaterKind,
)
from innerclient.surveys.questionnaire import invitation_url
from tests.factories import DepartmentFactory, OrganizationFactory, PersonFactory

CRITERIA = [
    ("responsiveness", "Оперативность", "Responsiveness", "Speed of reaction"),
    ("quality", "Качество результата", "Quality of result", "Correct the first time"),
    ("overall", "Общая оценка", "Overall", "One overall judgement"),
]


def make_cycle(*, organization=None, status=Cycle.Status.OPEN, questions=True, **kwargs) -> Cycle:
    organization = organization or OrganizationFactory()
    criteria_set = CriteriaSet.objects.create(
        organization=organization, name=f"Criteria {CriteriaSet.objects.count() + 1}"
    )
    for position, (code, ru, en, description) in enumerate(CRITERIA):
        Criterion.objects.create(
            criteria_set=criteria_set,
            code=code,
            name_ru=ru,
            name_en=en,
            description_en=description,
            description_ru=description,
            position=position,
        )
    if questions:
        OpenQuestion.objects.create(
            criteria_set=criteria_set,
            code="change_first",
            text_ru="Что этому подразделению изменить в первую очередь?",
            text_en="What should this department change first?",
        )
    return Cycle.objects.create(
        organization=organization,
        name=kwargs.pop("name", f"2027 Q{Cycle.objects.count() + 1}"),
        criteria_set=criteria_set,
        status=status,
        **kwargs,
    )


def make_invitation(cycle: Cycle, *, person, providers, kind=RaterKind.EMPLOYEE) -> Invitation:
    invitation = Invitation.objects.create(cycle=cycle, person=person)
    for provider in providers:
        Assignment.objects.create(
            invitation=invitation,
            provider=provider,
            kind=RaterKind.SELF if provider == person.department else kind,
        )
    return invitation


@dataclass
class RaterWorld:
    cycle: Cycle
    client_department: object
    providers: list
    people: list
    invitations: list

    def url(self, index: int = 0) -> str:
        return invitation_url(self.invitations[index])


def rater_world(*, raters: int = 1, providers: int = 2, language="en", **cycle_kwargs):
    """One client department whose ``raters`` people each rate ``providers`` departments."""
    cycle = make_cycle(**cycle_kwargs)
    organization = cycle.organization
    client_department = DepartmentFactory(organization=organization, code="CLIENT")
    provider_departments = [
        DepartmentFactory(organization=organization, code=f"P{i}", name_en=f"Provider {i}")
        for i in range(1, providers + 1)
    ]
    people = [PersonFactory(department=client_department, language=language) for _ in range(raters)]
    invitations = [
        make_invitation(cycle, person=person, providers=provider_departments) for person in people
    ]
    return RaterWorld(cycle, client_department, provider_departments, people, invitations)


def step_post(world: RaterWorld, scores: dict[str, int], comments=None, **extra) -> dict:
    """Form data for a step: {criterion code: score}, {criterion code: comment}."""
    comments = comments or {}
    criteria = {c.code: c.pk for c in world.cycle.criteria_set.criteria.all()}
    data = {f"score-{criteria[code]}": str(score) for code, score in scores.items()}
    data.update({f"comment-{criteria[code]}": text for code, text in comments.items()})
    data.update(extra)
    return data
