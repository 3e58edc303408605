"""A small company for the cycle tests: three client/provider departments and their people.

sales (head + 3 employees)  → purchasing, it
purchasing (head + 1)       → it
it (head + 2)               (rates nobody)
archive (inactive)          → it        (its people never rate)
"""

from dataclasses import dataclass

from innerclient.core.models import Organization
from innerclient.org.models import Department, Person
from innerclient.surveys.criteria import criteria_set_create
from innerclient.surveys.models import CriteriaSet, Cycle
from innerclient.surveys.services.cycles import CycleSettings, cycle_create
from tests.factories import (
    DepartmentFactory,
    InteractionLinkFactory,
    OrganizationFactory,
    PersonFactory,
)


@dataclass
class Company:
    organization: Organization
    sales: Department
    purchasing: Department
    it: Department
    archive: Department
    people: dict[str, Person]
    criteria_set: CriteriaSet


def _department(organization, code, name, *, active=True):
    return DepartmentFactory(
        organization=organization, code=code, name_ru=name, name_en=name, is_active=active
    )


def _people(department, prefix, n, *, head=True):
    people = {}
    if head:
        person = PersonFactory(department=department, full_name=f"{prefix} head", is_head=True)
        department.head = person
        department.save(update_fields=["head"])
        people[f"{prefix}_head"] = person
    for i in range(1, n + 1):
        people[f"{prefix}{i}"] = PersonFactory(department=department, full_name=f"{prefix} {i}")
    return people


def make_company(organization: Organization | None = None) -> Company:
    organization = organization or OrganizationFactory()
    sales = _department(organization, "SALES", "Продажи")
    purchasing = _department(organization, "PURCH", "Закупки")
    it = _department(organization, "IT", "ИТ")
    archive = _department(organization, "ARCH", "Архив", active=False)
    people = {}
    people |= _people(sales, "sales", 3)
    people |= _people(purchasing, "purch", 1)
    people |= _people(it, "it", 2)
    people["arch1"] = PersonFactory(department=archive, full_name="arch 1", is_active=False)
    for client, provider in [(sales, purchasing), (sales, it), (purchasing, it), (archive, it)]:
        InteractionLinkFactory(client=client, provider=provider)
    criteria_set = criteria_set_create(actor=None, organization=organization, name="Стандарт")
    return Company(organization, sales, purchasing, it, archive, people, criteria_set)


def make_cycle(company: Company, name: str = "2027 Q1", actor=None, **settings) -> Cycle:
    return cycle_create(
        actor=actor,
        organization=company.organization,
        name=name,
        criteria_set=company.criteria_set,
        settings=CycleSettings(**settings),
    )


def plan_of(cycle: Cycle) -> dict[str, dict[str, str]]:
    """{person full name: {provider code: kind}} for a cycle's rater list."""
    result: dict[str, dict[str, str]] = {}
    for name, code, kind in cycle.invitations.values_list(
        "person__full_name", "assignments__provider__code", "assignments__kind"
    ):
        result.setdefault(name, {})[code] = kind
    return result
