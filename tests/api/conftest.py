"""An organization with structure, map, cycles and an action plan, and tokens to call the API."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client

from innerclient.actions.models import ActionPlan
from innerclient.api.models import Scope
from innerclient.api.services import api_token_create
from innerclient.core.models import Role
from innerclient.surveys.criteria import criteria_set_create
from innerclient.surveys.services.cycles import cycle_create
from tests.factories import (
    DepartmentFactory,
    InteractionLinkFactory,
    MembershipFactory,
    OrganizationFactory,
    PersonFactory,
)
from tests.results.factories import closed_cycle, plant_response, publish

ALL_SCOPES = list(Scope.values)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def make_token(organization, *, scopes=None, actor=None):
    """The secret of a new token (the creator is a new coordinator unless given)."""
    if actor is None:
        actor = MembershipFactory(organization=organization, role=Role.COORDINATOR).user
    created = api_token_create(
        actor=actor,
        organization=organization,
        name="Test",
        scopes=ALL_SCOPES if scopes is None else scopes,
    )
    return created.secret


def bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def build_world(organization) -> dict:
    a = DepartmentFactory(organization=organization, code="A", name_ru="Отдел А")
    b = DepartmentFactory(organization=organization, code="B", name_ru="Отдел Б", parent=a)
    person = PersonFactory(department=a, email="anna@example.test")
    link = InteractionLinkFactory(client=a, provider=b)
    cycle = closed_cycle(organization, name="Published")
    for _ in range(6):
        plant_response(cycle, provider=b, client=a, scores=[4] * 8, comment="secret comment")
    cycle = publish(cycle)
    criteria_set = criteria_set_create(actor=None, organization=organization, name="Draft set")
    draft = cycle_create(
        actor=None, organization=organization, name="Draft", criteria_set=criteria_set
    )
    action = ActionPlan.objects.create(
        organization=organization,
        department=b,
        owner=PersonFactory(department=b),
        title="Answer within a day",
        due_date=datetime.date(2030, 1, 1),
    )
    return {
        "organization": organization,
        "department": a,
        "department2": b,
        "person": person,
        "link": link,
        "cycle": cycle,
        "draft_cycle": draft,
        "action": action,
    }


@pytest.fixture
def world(db):
    return build_world(OrganizationFactory())


@pytest.fixture
def other_world(db):
    return build_world(OrganizationFactory())


@pytest.fixture
def api(world):
    """A client carrying a token with every scope for ``world``'s organization."""
    return bearer(make_token(world["organization"]))
