"""Criteria sets: the default set, editing, and versioning of frozen sets."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from innerclient.core.models import AuditEntry
from innerclient.surveys.criteria import (
    CriterionData,
    QuestionData,
    criteria_set_create,
    criteria_set_data,
    criteria_set_default,
    criteria_set_save,
)
from innerclient.surveys.models import CriteriaSet, Cycle
from innerclient.surveys.selectors import criteria_families
from innerclient.surveys.services import cycles as services
from tests.factories import OrganizationFactory
from tests.surveys.factories_cycles import make_company, make_cycle

pytestmark = pytest.mark.django_db


def test_default_set_has_the_eight_criteria_in_russian_and_english():
    organization = OrganizationFactory()
    criteria_set = criteria_set_default(organization=organization)
    criteria = list(criteria_set.criteria.all())
    assert [c.code for c in criteria] == [
        "responsiveness",
        "reliability",
        "quality",
        "competence",
        "courtesy",
        "communication",
        "proactivity",
        "overall",
    ]
    assert all(c.name_ru and c.name_en and c.description_ru and c.description_en for c in criteria)
    assert all(c.weight == 1 for c in criteria)
    with translation.override("ru"):
        assert criteria[0].name == "Оперативность"
    with translation.override("en"):
        assert criteria[0].name == "Responsiveness"


def test_default_set_has_the_change_first_question():
    criteria_set = criteria_set_default(organization=OrganizationFactory())
    question = criteria_set.open_questions.get()
    assert question.text_ru == "Что этому подразделению стоит изменить в первую очередь?"
    assert question.text_en == "What should this department change first?"


def test_default_is_created_once():
    organization = OrganizationFactory()
    first = criteria_set_default(organization=organization)
    assert criteria_set_default(organization=organization) == first
    assert CriteriaSet.objects.filter(organization=organization).count() == 1


def _edited(criteria_set, **changes):
    criteria, questions = criteria_set_data(criteria_set)
    first = criteria[0]
    criteria[0] = CriterionData(**{**first.__dict__, **changes})
    return criteria, questions


def test_unfrozen_set_is_edited_in_place_with_an_audit_row():
    company = make_company()
    criteria, questions = _edited(company.criteria_set, name_ru="Скорость", weight=Decimal(2))
    saved = criteria_set_save(
        actor=None, criteria_set=company.criteria_set, criteria=criteria, questions=questions
    )
    assert saved.pk == company.criteria_set.pk
    first = saved.criteria.first()
    assert (first.code, first.name_ru, first.weight) == ("responsiveness", "Скорость", 2)
    entry = AuditEntry.objects.get(action="criteria_set.update")
    assert entry.changes["after"]["criteria"][0]["name_ru"] == "Скорость"


def test_saving_unchanged_content_writes_no_audit_row():
    company = make_company()
    criteria, questions = criteria_set_data(company.criteria_set)
    criteria_set_save(
        actor=None, criteria_set=company.criteria_set, criteria=criteria, questions=questions
    )
    assert not AuditEntry.objects.filter(action="criteria_set.update").exists()


def test_criteria_are_added_removed_and_reordered():
    company = make_company()
    criteria, _questions = criteria_set_data(company.criteria_set)
    new = CriterionData(name_ru="Прозрачность", name_en="Transparency", weight=Decimal("0.5"))
    criteria = [criteria[1], new, criteria[0]]
    saved = criteria_set_save(
        actor=None, criteria_set=company.criteria_set, criteria=criteria, questions=[]
    )
    rows = list(saved.criteria.all())
    assert [c.code for c in rows] == ["reliability", "transparency", "responsiveness"]
    assert [c.position for c in rows] == [1, 2, 3]
    assert not saved.open_questions.exists()


def test_editing_a_frozen_set_creates_the_next_version_and_keeps_the_old_one():
    company = make_company()
    opened = make_cycle(company, name="Q1")
    draft = make_cycle(company, name="Q2")
    services.cycle_open(actor=None, cycle=opened)
    frozen = CriteriaSet.objects.get(pk=company.criteria_set.pk)
    assert frozen.is_frozen

    criteria, questions = _edited(frozen, name_ru="Скорость")
    new = criteria_set_save(actor=None, criteria_set=frozen, criteria=criteria, questions=questions)

    assert new.pk != frozen.pk
    assert (new.name, new.version, new.is_frozen) == (frozen.name, 2, False)
    assert new.criteria.first().name_ru == "Скорость"
    assert frozen.criteria.first().name_ru == "Оперативность"  # unchanged
    opened.refresh_from_db()
    draft.refresh_from_db()
    assert opened.criteria_set_id == frozen.pk  # an opened cycle keeps its version
    assert draft.criteria_set_id == new.pk  # a draft moves to the new one
    entry = AuditEntry.objects.get(action="criteria_set.version")
    assert entry.changes["from_version"] == 1 and entry.changes["version"] == 2
    assert entry.changes["draft_cycles_moved"] == [draft.pk]


def test_versions_are_listed_newest_first_with_their_cycles():
    company = make_company()
    cycle = make_cycle(company, name="Q1")
    services.cycle_open(actor=None, cycle=cycle)
    criteria, questions = criteria_set_data(company.criteria_set)
    criteria_set_save(
        actor=None, criteria_set=company.criteria_set, criteria=criteria[:3], questions=questions
    )
    (family,) = criteria_families(company.organization)
    assert [v.version for v in family.versions] == [2, 1]
    assert family.versions[1].cycles == ["Q1"]
    assert family.versions[1].is_frozen and not family.latest.is_frozen
    assert family.latest.criteria == 3


@pytest.mark.parametrize(
    ("criteria", "questions"),
    [
        ([], []),
        ([CriterionData(name_ru="")], []),
        ([CriterionData(name_ru="A", weight=Decimal(0))], []),
        ([CriterionData(name_ru="A")], [QuestionData(text_ru="  ")]),
        ([CriterionData(name_ru="A", code="x"), CriterionData(name_ru="B", code="x")], []),
    ],
)
def test_invalid_content_is_refused(criteria, questions):
    company = make_company()
    with pytest.raises(ValidationError):
        criteria_set_save(
            actor=None, criteria_set=company.criteria_set, criteria=criteria, questions=questions
        )


def test_set_names_are_unique_per_organization():
    organization = OrganizationFactory()
    criteria_set_create(actor=None, organization=organization, name="Набор")
    with pytest.raises(ValidationError):
        criteria_set_create(actor=None, organization=organization, name="Набор")
    criteria_set_create(actor=None, organization=OrganizationFactory(), name="Набор")


def test_a_cycle_cannot_use_another_organizations_criteria():
    company = make_company()
    other = make_company()
    with pytest.raises(ValidationError):
        services.cycle_create(
            actor=None,
            organization=company.organization,
            name="X",
            criteria_set=other.criteria_set,
        )
    assert not Cycle.objects.filter(organization=company.organization).exists()
