"""A small published cycle for the reports tests, with every suppression case in it.

Providers and their clients' raters (k = 5, comment threshold 7):

- ``p``: 6 raters from ``c1``, 6 from ``c2``, 2 from ``c3`` (14 in all: index and comments
  shown; ``c3``'s view is below k and one more view is hidden so it cannot be recovered);
  a self-assessment; comments on criteria and open answers.
- ``r``: 6 raters from ``c1`` (shown, comments below the comment threshold).
- ``q``: 3 raters from ``c2`` (nothing shown).
- ``c1`` is also rated by 6 raters of ``p`` (reciprocity with ``p``).
"""

from types import SimpleNamespace

from innerclient.core.models import Role
from innerclient.surveys.models import OpenAnswer
from tests.factories import DepartmentFactory, MembershipFactory, OrganizationFactory
from tests.results.factories import closed_cycle, plant_response, publish

SECRET_R = "R-ONLY-COMMENT below the comment threshold"
SECRET_Q = "Q-ONLY-COMMENT below the anonymity threshold"
OPEN_TEXT = "Answer the phone, please"


def reports_world(*, organization=None, published: bool = True, name: str = "2027 Q1"):
    org = organization or OrganizationFactory()
    division = DepartmentFactory(organization=org, code="DIV", name_en="Division A")
    other = DepartmentFactory(organization=org, code="DIVB", name_en="Division B")
    p = DepartmentFactory(organization=org, code="P", name_en="Purchasing", parent=division)
    r = DepartmentFactory(organization=org, code="R", name_en="Repairs", parent=division)
    q = DepartmentFactory(organization=org, code="Q", name_en="Quality", parent=other)
    c1 = DepartmentFactory(organization=org, code="C1", name_en="Client One", parent=other)
    c2 = DepartmentFactory(organization=org, code="C2", name_en="Client Two", parent=other)
    c3 = DepartmentFactory(organization=org, code="C3", name_en="Client Three", parent=other)
    cycle = closed_cycle(org, name=name)
    question = cycle.criteria_set.open_questions.order_by("position").first()
    texts = iter(["Slow answers", '=HYPERLINK("http://evil")', "Great team", "Late again"])
    for i in range(6):
        response = plant_response(
            cycle,
            provider=p,
            client=c1,
            scores=[4, 4, 3, 4, 5, 4, 3, 4],
            comment=next(texts, "") if i < 4 else "",
        )
        if i == 0:
            OpenAnswer.objects.create(response=response, question=question, text=OPEN_TEXT)
    for _ in range(6):
        plant_response(cycle, provider=p, client=c2, scores=[3, 3, 3, 3, 4, 3, 2, 3])
    for _ in range(2):
        plant_response(cycle, provider=p, client=c3, scores=[1] * 8)
    plant_response(cycle, provider=p, client=p, scores=[5] * 8, kind="self")
    for _ in range(6):
        plant_response(cycle, provider=r, client=c1, scores=[4] * 8, comment=SECRET_R)
    for _ in range(3):
        plant_response(cycle, provider=q, client=c2, scores=[2] * 8, comment=SECRET_Q)
    for _ in range(6):
        plant_response(cycle, provider=c1, client=p, scores=[5, 4, 4, 4, 4, 4, 4, 4])
    if published:
        publish(cycle)
    cycle.refresh_from_db()

    def member(role, department=None):
        return MembershipFactory(organization=org, role=role, department=department).user

    return SimpleNamespace(
        org=org,
        cycle=cycle,
        division=division,
        other=other,
        p=p,
        q=q,
        r=r,
        c1=c1,
        c2=c2,
        c3=c3,
        coordinator=member(Role.COORDINATOR),
        analyst=member(Role.ANALYST),
        head_p=member(Role.HEAD, p),
        head_q=member(Role.HEAD, q),
        employee=member(Role.EMPLOYEE, c1),
    )
