"""Criteria sets: the default set, and the services that edit and version them.

A criteria set is versioned: once a cycle has opened with a version, that version is frozen
(``is_frozen``) and never changes again, so the scores of that cycle keep their meaning and
stay comparable with later cycles. Saving edits to a frozen version creates the next version
(same name, ``version + 1``); draft cycles that used the frozen version move to the new one,
since they have not asked anyone anything yet. An unfrozen version is edited in place.

"Did not interact" is not a criterion: the questionnaire always offers it, nothing is stored.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify
from django.utils.translation import gettext as _

from innerclient.core.audit import audit_record
from innerclient.core.models import Organization
from innerclient.surveys.models import CriteriaSet, Criterion, Cycle, OpenQuestion


@dataclass(frozen=True)
class CriterionData:
    """One criterion as the editor submits it. ``code`` is empty for a new criterion."""

    name_ru: str
    name_en: str = ""
    description_ru: str = ""
    description_en: str = ""
    weight: Decimal = Decimal(1)
    code: str = ""


@dataclass(frozen=True)
class QuestionData:
    text_ru: str
    text_en: str = ""
    code: str = ""


# The default set from the Internal Client practice (see DOMAIN.md), in its usual order:
# the seven dimensions, then one overall judgement.
DEFAULT_CRITERIA: tuple[CriterionData, ...] = (
    CriterionData(
        code="responsiveness",
        name_ru="Оперативность",
        name_en="Responsiveness",
        description_ru="Скорость реакции на запрос, готовность быстро помочь.",
        description_en="Speed of reaction, willingness to help promptly.",
    ),
    CriterionData(
        code="reliability",
        name_ru="Соблюдение сроков",
        name_en="Reliability / timeliness",
        description_ru="Делает то, что обещал, и тогда, когда обещал.",
        description_en="Delivers as and when promised.",
    ),
    CriterionData(
        code="quality",
        name_ru="Качество результата",
        name_en="Quality of result",
        description_ru="Правильно с первого раза, результатом можно сразу пользоваться.",
        description_en="Correct the first time, usable output.",
    ),
    CriterionData(
        code="competence",
        name_ru="Компетентность",
        name_en="Competence",
        description_ru="Знание дела, правильные советы и разъяснения.",
        description_en="Knowledge, correct advice.",
    ),
    CriterionData(
        code="courtesy",
        name_ru="Доброжелательность",
        name_en="Courtesy / respect",
        description_ru="Вежливое, уважительное отношение.",
        description_en="Polite, respectful manner.",
    ),
    CriterionData(
        code="communication",
        name_ru="Доступность и информирование",
        name_en="Accessibility / communication",
        description_ru="До подразделения легко достучаться, оно держит клиента в курсе.",
        description_en="Easy to reach, keeps the client informed.",
    ),
    CriterionData(
        code="proactivity",
        name_ru="Инициативность",
        name_en="Proactivity",
        description_ru="Предвосхищает потребности, делает больше формального задания.",
        description_en="Anticipates needs, goes beyond the formal task.",
    ),
    CriterionData(
        code="overall",
        name_ru="Общая оценка",
        name_en="Overall",
        description_ru="Одна общая оценка работы подразделения.",
        description_en="One overall judgement of the department's work.",
    ),
)

DEFAULT_QUESTIONS: tuple[QuestionData, ...] = (
    QuestionData(
        code="change_first",
        text_ru="Что этому подразделению стоит изменить в первую очередь?",
        text_en="What should this department change first?",
    ),
)

DEFAULT_SET_NAME_RU = "Стандартные критерии"


def _audit_payload(criteria: list[CriterionData], questions: list[QuestionData]) -> dict:
    return {
        "criteria": [
            {"code": c.code, "name_ru": c.name_ru, "weight": str(c.weight)} for c in criteria
        ],
        "questions": [q.text_ru for q in questions],
    }


def _validate(criteria: list[CriterionData], questions: list[QuestionData]) -> None:
    if not criteria:
        raise ValidationError(_("A criteria set needs at least one criterion."), code="empty")
    for item in criteria:
        if not item.name_ru.strip():
            raise ValidationError(_("Every criterion needs a Russian name."), code="name")
        if item.weight is None or Decimal(item.weight) <= 0:
            raise ValidationError(_("Weights must be greater than zero."), code="weight")
    for question in questions:
        if not question.text_ru.strip():
            raise ValidationError(_("Every open question needs a Russian text."), code="question")
    codes = [c.code for c in criteria if c.code]
    if len(codes) != len(set(codes)):
        raise ValidationError(_("Two criteria have the same code."), code="duplicate")


def _unique_code(base: str, taken: set[str], fallback: str) -> str:
    code = slugify(base)[:40] or fallback
    candidate, n = code, 2
    while candidate in taken:
        candidate = f"{code}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


def _write_items(
    criteria_set: CriteriaSet, criteria: list[CriterionData], questions: list[QuestionData]
) -> None:
    """Make the set's criteria and questions exactly ``criteria`` and ``questions``, in order.

    Items keep their code (and row) when the editor sends it back; new items get a code from
    their English (or Russian) name. Only ever called on an unfrozen set, which no answer uses.
    """
    existing = {c.code: c for c in criteria_set.criteria.all()}
    kept_codes = {c.code for c in criteria if c.code in existing}
    criteria_set.criteria.exclude(code__in=kept_codes).delete()
    taken = set(kept_codes)
    for position, item in enumerate(criteria, start=1):
        fields = {
            "name_ru": item.name_ru.strip(),
            "name_en": item.name_en.strip(),
            "description_ru": item.description_ru.strip(),
            "description_en": item.description_en.strip(),
            "weight": Decimal(item.weight),
            "position": position,
        }
        row = existing.get(item.code) if item.code in kept_codes else None
        if row is None:
            code = item.code if item.code and item.code not in taken else ""
            if code:
                taken.add(code)
            else:
                code = _unique_code(item.name_en or item.name_ru, taken, f"c{position}")
            row = Criterion(criteria_set=criteria_set, code=code, **fields)
        else:
            for name, value in fields.items():
                setattr(row, name, value)
        row.full_clean()
        row.save()

    existing_q = {q.code: q for q in criteria_set.open_questions.all()}
    kept_q = {q.code for q in questions if q.code in existing_q}
    criteria_set.open_questions.exclude(code__in=kept_q).delete()
    taken_q = set(kept_q)
    for position, item in enumerate(questions, start=1):
        row = existing_q.get(item.code) if item.code in kept_q else None
        if row is None:
            code = _unique_code(item.code or item.text_en or item.text_ru, taken_q, f"q{position}")
            row = OpenQuestion(criteria_set=criteria_set, code=code)
        row.text_ru = item.text_ru.strip()
        row.text_en = item.text_en.strip()
        row.position = position
        row.full_clean()
        row.save()


def criteria_set_data(criteria_set: CriteriaSet) -> tuple[list[CriterionData], list[QuestionData]]:
    """The set's current content in the editor's shape (also used to copy a version)."""
    criteria = [
        CriterionData(
            code=c.code,
            name_ru=c.name_ru,
            name_en=c.name_en,
            description_ru=c.description_ru,
            description_en=c.description_en,
            weight=c.weight,
        )
        for c in criteria_set.criteria.all()
    ]
    questions = [
        QuestionData(code=q.code, text_ru=q.text_ru, text_en=q.text_en)
        for q in criteria_set.open_questions.all()
    ]
    return criteria, questions


@transaction.atomic
def criteria_set_create(
    *,
    actor,
    organization: Organization,
    name: str,
    criteria: list[CriterionData] | None = None,
    questions: list[QuestionData] | None = None,
) -> CriteriaSet:
    """A new criteria set (version 1), with the default criteria unless others are given."""
    name = name.strip()
    criteria = list(DEFAULT_CRITERIA if criteria is None else criteria)
    questions = list(DEFAULT_QUESTIONS if questions is None else questions)
    if not name:
        raise ValidationError(_("Give the criteria set a name."), code="name")
    if CriteriaSet.objects.filter(organization=organization, name=name).exists():
        raise ValidationError(_("A criteria set with this name already exists."), code="name_taken")
    _validate(criteria, questions)
    criteria_set = CriteriaSet(organization=organization, name=name, version=1)
    criteria_set.full_clean()
    criteria_set.save()
    _write_items(criteria_set, criteria, questions)
    audit_record(
        organization=organization,
        actor=actor,
        action="criteria_set.create",
        obj=criteria_set,
        changes=_audit_payload(criteria, questions),
    )
    return criteria_set


def criteria_set_default(*, organization: Organization, actor=None) -> CriteriaSet:
    """The organization's newest criteria set, creating the default one when it has none."""
    latest = (
        CriteriaSet.objects.filter(organization=organization).order_by("-created_at", "-pk").first()
    )
    if latest is not None:
        return latest
    return criteria_set_create(actor=actor, organization=organization, name=DEFAULT_SET_NAME_RU)


@transaction.atomic
def criteria_set_save(
    *,
    actor,
    criteria_set: CriteriaSet,
    criteria: list[CriterionData],
    questions: list[QuestionData],
) -> CriteriaSet:
    """Save edits. Returns the set that now holds them: the same one, or a new version.

    A frozen set is never changed: its content is copied into version ``latest + 1`` with the
    edits applied, and draft cycles of the organization that used the frozen version switch to
    the new one (opened cycles keep the version they were asked with).
    """
    criteria = list(criteria)
    questions = list(questions)
    _validate(criteria, questions)
    criteria_set = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
    organization = criteria_set.organization
    if not criteria_set.is_frozen:
        before = _audit_payload(*criteria_set_data(criteria_set))
        _write_items(criteria_set, criteria, questions)
        after = _audit_payload(*criteria_set_data(criteria_set))
        if before != after:
            audit_record(
                organization=organization,
                actor=actor,
                action="criteria_set.update",
                obj=criteria_set,
                changes={"before": before, "after": after},
            )
        return criteria_set

    latest = (
        CriteriaSet.objects.filter(organization=organization, name=criteria_set.name).aggregate(
            Max("version")
        )["version__max"]
        or 0
    )
    new_set = CriteriaSet(organization=organization, name=criteria_set.name, version=latest + 1)
    new_set.full_clean()
    new_set.save()
    _write_items(new_set, criteria, questions)
    moved = list(
        Cycle.objects.filter(
            organization=organization, criteria_set=criteria_set, status=Cycle.Status.DRAFT
        ).values_list("pk", flat=True)
    )
    Cycle.objects.filter(pk__in=moved).update(criteria_set=new_set)
    audit_record(
        organization=organization,
        actor=actor,
        action="criteria_set.version",
        obj=new_set,
        changes={
            "from_version": criteria_set.version,
            "version": new_set.version,
            "draft_cycles_moved": moved,
            **_audit_payload(criteria, questions),
        },
    )
    return new_set


def criteria_set_freeze(*, criteria_set: CriteriaSet) -> bool:
    """Freeze a version (called by ``cycle_open`` inside its transaction and audit row)."""
    return bool(
        CriteriaSet.objects.filter(pk=criteria_set.pk, is_frozen=False).update(is_frozen=True)
    )
