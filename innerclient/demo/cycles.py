"""Four past quarterly evaluation cycles of the demo company, with planted effects.

The step ``cycles`` of the demo build (``build.STEPS``) gives the demo company the four
quarters before the anchor date (for the default anchor 2026-10-31: «2025 Q4», «2026 Q1»,
«2026 Q2», «2026 Q3»), each **published**, on the default criteria set (version 1, frozen),
scale 1–5, anonymity threshold 5. Rater lists come from the interaction map through the real
planner (``surveys.assignment``) in sample mode: ``SAMPLE_SIZE`` people per client
department, plus every rated department's head for the self-assessment. About 70–85 % of the
invitations were completed; the rest stayed pending (reminded twice) — which only the
department counts kept at close still say. A cycle has about 2,000 responses.

Responses are stored exactly as the questionnaire stores them (docs/anonymity.md): keyed by
``rater_key(link_token(public_id))`` of the invitation (a self-assessment by
``self_rater_key``), with no other link to it — no foreign key, no timestamp, and inserted in
a shuffled order, so the order of response rows follows no order of invitations. Each cycle
then ends as a closed cycle does (``completion.cycle_counts_keep``): per-department counts
are kept, the rater list is deleted and the invitations' statuses are erased. "Did not
interact" responses carry no answers; every score at or below the cycle's
``justify_at_or_below`` (2) has a justification comment; every other response has one open
answer row (mostly empty, as the questionnaire writes it).

Score model, per answer (then rounded and clipped to 1–5)::

    provider quality (department baseline + its trend in cycle t + criterion deviations)
    + rater leniency (per person) + client-department leniency + client–provider relation
    + halo (per response) + noise

A self-assessment is the department's quality + the head's self-bias (about +0.25) + noise.

PLANTED EFFECTS — for later issues (scoring, reports, trends) to find. Also in ``PLANTED``
and printed by ``manage.py demo_company``:

- **steady improvement**: ``IT-SUP`` (Служба технической поддержки) — baseline 2.95 in the
  first cycle, +0.25 every cycle (3.70 in the fourth). Rated by every department.
- **steady decline**: ``HR-ADM`` (Отдел кадрового администрирования) — 4.05 in the first
  cycle, −0.25 every cycle (3.30 in the fourth). Rated by every department.
- **lenient client department**: ``OPS-WH-REG`` (Региональные склады) — its raters score
  every provider about +0.8 above what their quality warrants.
- **mutual-inflation pair**: ``OPS-PRD-PLN`` (Планово-диспетчерский отдел) ⇄ ``OPS-PUR-RAW``
  (Отдел закупок сырья и материалов) — they rate each other about +1.2 above what their other
  clients give them (baselines 3.1; both links are on the map, and the step adds one by hand
  if a seed's log lacks it).
- **inflated self-assessment**: ``OPS-PUR-GDS`` (Отдел закупок товаров, the demo account
  head.purchasing) — its head rates his own department about +1.5 above its clients' mean
  (clients' view about 2.85); he answers in every cycle.

Everything is drawn from the build's seeded streams (``ctx.rng``), so a seed gives the same
responses wherever it runs; ``cycles_fingerprint`` digests them without ids, keys or times.
Only the invitations' ``public_id`` (and so the rater keys) and row ids are random, as in
production.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from innerclient.org.models import Department, InteractionLink, Person
from innerclient.org.services.interaction_map import link_set
from innerclient.surveys import assignment as planner
from innerclient.surveys.completion import cycle_counts_keep
from innerclient.surveys.criteria import criteria_set_default, criteria_set_freeze
from innerclient.surveys.models import (
    Answer,
    Assignment,
    CriteriaSet,
    Cycle,
    CycleDepartmentCount,
    Invitation,
    OpenAnswer,
    RaterKind,
    Response,
    ResponseKind,
)
from innerclient.surveys.questionnaire import time_bucket
from innerclient.surveys.services.cycles import cycle_structure
from innerclient.surveys.tokens import link_token, rater_key, self_rater_key

if TYPE_CHECKING:
    from innerclient.demo.build import DemoContext

STEP_NAME = "cycles"
CYCLE_COUNT = 4
SAMPLE_SIZE = 8  # raters per client department (Cycle.RaterMode.SAMPLE)
ANONYMITY_THRESHOLD = 5
RESPONSE_RATE = (0.70, 0.85)  # per client department, drawn uniformly
SELF_RESPONSE_RATE = 0.9  # heads asked for a self-assessment answer more often
DID_NOT_INTERACT_RATE = 0.05
JUSTIFY_AT_OR_BELOW = 2

TREND_STEP = 0.25
LENIENT_SHIFT = 0.8
PAIR_SHIFT = 1.2
SELF_SHIFT = 1.5


@dataclass(frozen=True)
class Planted:
    improver: str = "IT-SUP"
    decliner: str = "HR-ADM"
    lenient_client: str = "OPS-WH-REG"
    pair: tuple[str, str] = ("OPS-PRD-PLN", "OPS-PUR-RAW")
    inflated_self: str = "OPS-PUR-GDS"


PLANTED = Planted()
# Baselines of the planted providers in the first cycle (others are drawn, see _traits).
PLANTED_BASELINES = {
    PLANTED.improver: 2.95,
    PLANTED.decliner: 4.05,
    PLANTED.pair[0]: 3.1,
    PLANTED.pair[1]: 3.1,
    PLANTED.inflated_self: 2.85,
}

# How each criterion of the default set tends to sit against a department's baseline.
CRITERION_OFFSETS = {
    "responsiveness": -0.05,
    "reliability": -0.15,
    "quality": 0.0,
    "competence": 0.15,
    "courtesy": 0.2,
    "communication": -0.1,
    "proactivity": -0.35,
}
OVERALL = "overall"

# --- Phrase banks: short, realistic Russian comments ---------------------------------------

LOW_COMMENTS: dict[str, tuple[str, ...]] = {
    "responsiveness": (
        "На заявку отвечают через несколько дней.",
        "Приходится напоминать по два-три раза.",
        "Срочные запросы лежат без движения.",
        "Ответа ждали больше недели.",
        "Реагируют только после звонка руководителю.",
    ),
    "reliability": (
        "Сроки постоянно сдвигаются.",
        "Обещали к пятнице, сделали через две недели.",
        "Сорвали срок дважды за квартал.",
        "Сроки не соблюдаются, приходится перестраховываться.",
        "Договорённости по срокам не выполняются.",
    ),
    "quality": (
        "Документы возвращаются с ошибками.",
        "Приходится переделывать за ними.",
        "Результат не соответствует запросу.",
        "Много мелких ошибок, всё нужно перепроверять.",
        "С первого раза правильно почти не бывает.",
    ),
    "competence": (
        "На простые вопросы не могут ответить.",
        "Дают противоречивые разъяснения.",
        "Консультации формальные, по сути не помогают.",
        "Не знают собственных регламентов.",
        "Каждый специалист говорит своё.",
    ),
    "courtesy": (
        "Разговаривают резко, раздражённо.",
        "Отвечают в тоне «это не наша работа».",
        "На вопросы реагируют с недовольством.",
        "Отношение пренебрежительное.",
    ),
    "communication": (
        "Невозможно дозвониться.",
        "О статусе заявки ничего не сообщают.",
        "Непонятно, к кому обращаться.",
        "Письма остаются без ответа.",
        "Узнаём об изменениях последними.",
    ),
    "proactivity": (
        "Делают строго по букве заявки, не больше.",
        "О проблемах не предупреждают заранее.",
        "Никаких предложений по улучшению.",
        "Ждут, пока мы сами заметим проблему.",
    ),
    OVERALL: (
        "В целом работой недовольны.",
        "Взаимодействие даётся с большим трудом.",
        "Каждая заявка превращается в отдельный проект.",
        "Работа подразделения тормозит нашу.",
    ),
}
HIGH_COMMENTS = (
    "Всегда быстро помогают, спасибо!",
    "Отличная работа, так держать.",
    "Очень выручили в конце квартала.",
    "Вопросы решаются с первого обращения.",
    "Приятно работать: оперативно и вежливо.",
    "Предлагают решения раньше, чем мы спросим.",
)
# Comments that tell the story of a planted department (mixed into the banks above).
PROVIDER_LOW_COMMENTS = {
    PLANTED.decliner: (
        "После перехода на новую кадровую систему справки делают неделями.",
        "Заявления на отпуск теряются, приходится подавать повторно.",
        "Раньше работали лучше, сейчас всё стало медленнее.",
    ),
    PLANTED.improver: (
        "Заявки по-прежнему висят, хотя стало получше.",
        "Доступы к системам выдают слишком долго.",
    ),
    PLANTED.inflated_self: (
        "Сроки поставки под заказ клиента срываются, клиенты уходят.",
        "Замену позиции согласовывают слишком долго.",
        "О задержке поставки узнаём от клиента.",
    ),
}
PROVIDER_HIGH_COMMENTS = {
    PLANTED.improver: (
        "С запуском нового портала заявок стало заметно быстрее.",
        "Принтер починили в тот же день — раньше так не было.",
    ),
}
CHANGE_FIRST: dict[str, tuple[str, ...]] = {
    "responsiveness": (
        "Ввести сроки реакции на заявки и соблюдать их.",
        "Назначить дежурного для срочных вопросов.",
    ),
    "reliability": (
        "Называть реальные сроки и предупреждать о переносе.",
        "Планировать загрузку, чтобы не срывать сроки.",
    ),
    "quality": (
        "Проверять документы перед отправкой.",
        "Сделать чек-лист по типовым запросам.",
    ),
    "competence": (
        "Обучить сотрудников, особенно новых.",
        "Сделать базу ответов на частые вопросы.",
    ),
    "courtesy": (
        "Вежливее общаться с коллегами.",
        "Помнить, что мы работаем на одного клиента.",
    ),
    "communication": (
        "Сообщать статус заявки без напоминаний.",
        "Завести единый адрес для обращений.",
        "Отвечать на телефон в рабочее время.",
    ),
    "proactivity": (
        "Предупреждать о проблемах заранее.",
        "Предлагать улучшения процесса, а не только исполнять заявки.",
    ),
}
CHANGE_NOTHING = (
    "Ничего, всё устраивает.",
    "Сохранить текущий уровень.",
    "Так держать.",
)
SELF_CHANGE_FIRST = (
    "Нам не хватает людей, нужно расширять штат.",
    "Автоматизировать рутинные операции.",
    "Клиенты присылают неполные заявки — нужен единый шаблон.",
    "Наладить обратную связь с подразделениями-клиентами.",
)


# --- Plain data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleDates:
    name: str
    created: dt.date
    opened: dt.date
    deadline: dt.date
    closed: dt.date
    published: dt.date

    @property
    def reminders(self) -> tuple[dt.date, dt.date]:
        """The default cadence: 3 days after opening and 1 day before the deadline."""
        return self.opened + dt.timedelta(days=3), self.deadline - dt.timedelta(days=1)


@dataclass
class PlannedResponse:
    provider: str
    rater_department: str
    kind: str
    did_not_interact: bool
    time_spent_seconds: int
    scores: dict[str, int] = field(default_factory=dict)  # criterion code -> score
    comments: dict[str, str] = field(default_factory=dict)
    open_text: str = ""


@dataclass
class CyclesResult:
    """What the step made, for the command's output and the audit row."""

    cycles: list[Cycle] = field(default_factory=list)
    invitations: int = 0
    completed: int = 0
    responses: int = 0
    answers: int = 0
    links_added: list[tuple[str, str]] = field(default_factory=list)

    def audit(self) -> dict:
        return {
            "names": [cycle.name for cycle in self.cycles],
            "invitations": self.invitations,
            "completed": self.completed,
            "responses": self.responses,
            "answers": self.answers,
            "links_added": [list(pair) for pair in self.links_added],
        }


def past_quarters(anchor: dt.date, count: int = CYCLE_COUNT) -> list[tuple[int, int]]:
    """The ``count`` quarters before the one holding ``anchor``, oldest first."""
    index = anchor.year * 4 + (anchor.month - 1) // 3  # the anchor's quarter, 0-based
    return [divmod(i, 4) for i in range(index - count, index)]


def cycle_dates(year: int, quarter_index: int, anchor: dt.date) -> CycleDates:
    """A quarter's cycle runs in its last month: two weeks of answers, published a week later."""
    first = dt.date(year, quarter_index * 3 + 3, 1)
    opened = first + dt.timedelta(days=(7 - first.weekday()) % 7)  # the first Monday
    deadline = opened + dt.timedelta(days=14)
    closed = deadline + dt.timedelta(days=1)
    published = min(closed + dt.timedelta(days=7), anchor - dt.timedelta(days=1))
    return CycleDates(
        name=f"{year} Q{quarter_index + 1}",
        created=opened - dt.timedelta(days=10),
        opened=opened,
        deadline=deadline,
        closed=closed,
        published=published,
    )


def _clip_round(value: float) -> int:
    return max(1, min(5, math.floor(value + 0.5)))


# --- The company's traits (fixed across cycles) ---------------------------------------------


@dataclass
class Traits:
    criteria: tuple[str, ...]
    baseline: dict[str, float]
    drift: dict[str, list[float]]  # department -> cumulative drift per cycle
    deviation: dict[tuple[str, str], float]  # (department, criterion) -> deviation
    self_bias: dict[str, float]
    client_leniency: dict[str, float]
    relation: dict[tuple[str, str], float]  # (client, provider) -> effect
    response_rate: dict[str, float]
    rater_leniency: dict[str, float]  # person email -> leniency

    def quality(self, department: str, cycle: int) -> dict[str, float]:
        base = self.baseline[department] + self.drift[department][cycle]
        return {
            code: base + CRITERION_OFFSETS.get(code, 0.0) + self.deviation[(department, code)]
            for code in self.criteria
            if code != OVERALL
        }


def _traits(
    rng: random.Random,
    *,
    departments: list[str],
    people: list[str],
    links: list[tuple[str, str]],
    criteria: tuple[str, ...],
) -> Traits:
    baseline, drift, self_bias, client_leniency, response_rate = {}, {}, {}, {}, {}
    deviation = {}
    for code in departments:
        baseline[code] = PLANTED_BASELINES.get(code, min(4.4, max(2.9, rng.gauss(3.7, 0.3))))
        walk, level = [0.0], 0.0
        for _cycle in range(CYCLE_COUNT - 1):
            level += rng.gauss(0, 0.07)
            walk.append(level)
        if code == PLANTED.improver:
            walk = [TREND_STEP * t for t in range(CYCLE_COUNT)]
        elif code == PLANTED.decliner:
            walk = [-TREND_STEP * t for t in range(CYCLE_COUNT)]
        drift[code] = walk
        for criterion in criteria:
            deviation[(code, criterion)] = rng.gauss(0, 0.22)
        bias = rng.gauss(0.25, 0.15)
        self_bias[code] = SELF_SHIFT if code == PLANTED.inflated_self else bias
        leniency = rng.gauss(0, 0.12)
        if code == PLANTED.lenient_client:
            leniency = LENIENT_SHIFT
        elif code in PLANTED.pair:
            leniency = 0.0  # the pair's inflation is theirs alone, not a general mildness
        client_leniency[code] = leniency
        response_rate[code] = rng.uniform(*RESPONSE_RATE)
    relation = {pair: rng.gauss(0, 0.15) for pair in sorted(links)}
    first, second = PLANTED.pair
    relation[(first, second)] = PAIR_SHIFT
    relation[(second, first)] = PAIR_SHIFT
    rater_leniency = {email: rng.gauss(0, 0.4) for email in people}
    return Traits(
        criteria=criteria,
        baseline=baseline,
        drift=drift,
        deviation=deviation,
        self_bias=self_bias,
        client_leniency=client_leniency,
        relation=relation,
        response_rate=response_rate,
        rater_leniency=rater_leniency,
    )


def plan_response(
    rng: random.Random,
    traits: Traits,
    *,
    cycle: int,
    provider: str,
    client: str,
    kind: str,
    rater: str,
) -> PlannedResponse:
    """One rater's answers about one provider. Pure: everything comes from ``rng``."""
    if kind != RaterKind.SELF and rng.random() < DID_NOT_INTERACT_RATE:
        return PlannedResponse(
            provider=provider,
            rater_department=client,
            kind=kind,
            did_not_interact=True,
            time_spent_seconds=time_bucket(rng.uniform(8, 35)),
        )
    quality = traits.quality(provider, cycle)
    if kind == RaterKind.SELF:
        shift = traits.self_bias[provider] + rng.gauss(0, 0.1)
        noise = 0.35
    else:
        shift = (
            traits.rater_leniency[rater]
            + traits.client_leniency[client]
            + traits.relation.get((client, provider), 0.0)
            + rng.gauss(0, 0.3)  # halo: this rater's impression of this provider
        )
        noise = 0.5
    latent = {code: value + shift for code, value in quality.items()}
    scores = {code: _clip_round(value + rng.gauss(0, noise)) for code, value in latent.items()}
    if OVERALL in traits.criteria:
        mean = sum(latent.values()) / len(latent)
        scores[OVERALL] = _clip_round(mean + rng.gauss(0, noise * 0.7))
    scores = {code: scores[code] for code in traits.criteria}

    comments = {}
    for code, score in scores.items():
        if score <= JUSTIFY_AT_OR_BELOW:
            specific = PROVIDER_LOW_COMMENTS.get(provider)
            bank = specific if specific and rng.random() < 0.35 else LOW_COMMENTS[code]
            comments[code] = rng.choice(bank)
        elif score == 5 and rng.random() < 0.04:
            specific = PROVIDER_HIGH_COMMENTS.get(provider)
            bank = specific if specific and rng.random() < 0.5 else HIGH_COMMENTS
            comments[code] = rng.choice(bank)

    open_text = ""
    weakest = min((code for code in scores if code != OVERALL), key=lambda c: (scores[c], c))
    if kind == RaterKind.SELF:
        if rng.random() < 0.3:
            open_text = rng.choice(SELF_CHANGE_FIRST)
    elif scores[weakest] <= 3 and rng.random() < 0.22:
        open_text = rng.choice(CHANGE_FIRST[weakest])
    elif scores[weakest] >= 4 and rng.random() < 0.05:
        open_text = rng.choice(CHANGE_NOTHING)

    seconds = rng.lognormvariate(math.log(70), 0.35) + 25 * len(comments)
    if open_text:
        seconds += rng.uniform(20, 50)
    return PlannedResponse(
        provider=provider,
        rater_department=client,
        kind=kind,
        did_not_interact=False,
        time_spent_seconds=time_bucket(seconds),
        scores=scores,
        comments=comments,
        open_text=open_text,
    )


# --- The step -------------------------------------------------------------------------------


def _aware(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _completion_day(rng: random.Random, dates: CycleDates) -> dt.date:
    """Most answer in the first days and after each reminder."""
    days = (dates.deadline - dates.opened).days
    first, second = ((reminder - dates.opened).days for reminder in dates.reminders)
    weights = [
        3.0 if d in (0, 1) else 2.0 if d in (first, second) else 0.6 for d in range(days + 1)
    ]
    return dates.opened + dt.timedelta(days=rng.choices(range(days + 1), weights)[0])


def _ensure_pair_links(ctx: DemoContext) -> list[tuple[str, str]]:
    """The mutual-inflation pair must rate each other: add a link a seed's log did not give."""
    first, second = PLANTED.pair
    added = []
    for client, provider in ((first, second), (second, first)):
        department_c, department_p = ctx.departments[client], ctx.departments[provider]
        if not InteractionLink.objects.filter(
            organization=ctx.organization, client=department_c, provider=department_p
        ).exists():
            link_set(
                actor=ctx.actor,
                organization=ctx.organization,
                client=department_c,
                provider=department_p,
                services="Согласование планов производства и закупок сырья",
            )
            added.append((client, provider))
    return added


def step_cycles(ctx: DemoContext) -> None:
    organization = ctx.organization
    result = CyclesResult(links_added=_ensure_pair_links(ctx))

    # Plain data with ids that depend on the seed only (never on database ids), so the
    # planner's samples are the same in every database.
    codes = [plan.code for plan in ctx.structure]
    department_index = {code: i + 1 for i, code in enumerate(codes)}
    person_index = {plan.email: i + 1 for i, plan in enumerate(ctx.people)}
    person_pk = dict(Person.objects.filter(organization=organization).values_list("email", "pk"))
    departments = [
        planner.DepartmentInfo(
            id=department_index[code],
            is_active=ctx.departments[code].is_active,
            head_id=person_index.get(getattr(ctx.departments[code].head, "email", None)),
        )
        for code in codes
    ]
    people = [
        planner.PersonInfo(
            id=person_index[plan.email],
            department_id=department_index[plan.department_code],
            is_active=plan.is_active,
            is_head=plan.is_head,
        )
        for plan in ctx.people
    ]
    links = sorted(
        InteractionLink.objects.filter(organization=organization).values_list(
            "client__code", "provider__code"
        )
    )
    link_ids = [(department_index[c], department_index[p]) for c, p in links]

    criteria_set = criteria_set_default(organization=organization, actor=ctx.actor)
    criteria = {c.code: c for c in criteria_set.criteria.all()}
    questions = list(criteria_set.open_questions.all())
    traits = _traits(
        ctx.rng(STEP_NAME),
        departments=codes,
        people=[plan.email for plan in ctx.people],
        links=links,
        criteria=tuple(criteria),
    )

    schedule = [cycle_dates(y, q, ctx.config.anchor) for y, q in past_quarters(ctx.config.anchor)]
    for number, dates in enumerate(schedule):
        cycle = _write_cycle(
            ctx,
            dates=dates,
            number=number,
            criteria_set=criteria_set,
            departments=departments,
            people=people,
            link_ids=link_ids,
            traits=traits,
            codes=codes,
            person_pk=person_pk,
            criteria=criteria,
            questions=questions,
            result=result,
        )
        result.cycles.append(cycle)
    criteria_set_freeze(criteria_set=criteria_set)
    CriteriaSet.objects.filter(pk=criteria_set.pk).update(
        created_at=_aware(schedule[0].created - dt.timedelta(days=5), 10)
    )
    ctx.cycles = result


def _write_cycle(
    ctx: DemoContext,
    *,
    dates: CycleDates,
    number: int,
    criteria_set,
    departments,
    people,
    link_ids,
    traits: Traits,
    codes: list[str],
    person_pk: dict[str, int],
    criteria: dict,
    questions: list,
    result: CyclesResult,
) -> Cycle:
    rng = ctx.rng(f"{STEP_NAME}:{dates.name}")
    plan = planner.plan_assignments(
        departments=departments,
        people=people,
        links=link_ids,
        settings=planner.Settings(
            mode=planner.MODE_SAMPLE,
            sample_size=SAMPLE_SIZE,
            include_self_assessment=True,
            seed=f"innerclient-demo:{ctx.config.seed}:{dates.name}",
        ),
    )
    department_of = {person.id: person.department_id for person in people}
    if planner.plan_violations(plan, department_of=department_of, k=ANONYMITY_THRESHOLD):
        raise RuntimeError("the demo's rater list breaks the provider-set invariant")
    cycle = Cycle.objects.create(
        organization=ctx.organization,
        name=dates.name,
        status=Cycle.Status.PUBLISHED,
        criteria_set=criteria_set,
        scale="1-5",
        anonymity_threshold=ANONYMITY_THRESHOLD,
        justify_at_or_below=JUSTIFY_AT_OR_BELOW,
        rater_mode=Cycle.RaterMode.SAMPLE,
        sample_size=SAMPLE_SIZE,
        include_self_assessment=True,
        deadline=dates.deadline,
        opened_at=_aware(dates.opened, 9),
        closed_at=_aware(dates.closed, 10),
        published_at=_aware(dates.published, 12),
        structure=cycle_structure(ctx.organization.pk),
    )
    Cycle.objects.filter(pk=cycle.pk).update(created_at=_aware(dates.created, 11))

    planted_self_id = codes.index(PLANTED.inflated_self) + 1
    opened_at = _aware(dates.opened, 9, 5)
    reminder_times = [_aware(day, 10) for day in dates.reminders]
    invitations, responses = [], []
    for item in plan:  # ordered by person, as the real list is
        person = ctx.people[item.person_id - 1]
        client = person.department_code
        kinds = set(item.assignments.values())
        rate = traits.response_rate[client]
        if RaterKind.SELF in kinds:
            rate = max(rate, SELF_RESPONSE_RATE)
        planted_self = item.assignments.get(planted_self_id) == RaterKind.SELF
        completed = planted_self or rng.random() < rate
        invitation = Invitation(
            cycle=cycle,
            person_id=person_pk[person.email],
            invited_at=opened_at,
            status=Invitation.Status.PENDING,
        )
        if completed:
            day = _completion_day(rng, dates)
            sent = [t for t, d in zip(reminder_times, dates.reminders, strict=True) if d < day]
            invitation.status = Invitation.Status.COMPLETED
            invitation.completed_on = day
            invitation.reminders_sent = len(sent)
            invitation.last_reminded_at = sent[-1] if sent else None
            token = link_token(str(invitation.public_id))
            for provider_id, kind in sorted(item.assignments.items()):
                key = self_rater_key(token) if kind == RaterKind.SELF else rater_key(token)
                planned = plan_response(
                    rng,
                    traits,
                    cycle=number,
                    provider=codes[provider_id - 1],
                    client=client,
                    kind=kind,
                    rater=person.email,
                )
                responses.append((key, planned))
            result.completed += 1
        else:
            invitation.reminders_sent = len(reminder_times)
            invitation.last_reminded_at = reminder_times[-1]
        invitations.append((item, invitation))

    Invitation.objects.bulk_create([inv for _item, inv in invitations], batch_size=500)
    ids = dict(Invitation.objects.filter(cycle=cycle).values_list("person_id", "pk"))
    Assignment.objects.bulk_create(
        [
            Assignment(
                invitation_id=ids[inv.person_id],
                provider=ctx.departments[codes[provider_id - 1]],
                kind=kind,
            )
            for item, inv in invitations
            for provider_id, kind in item.assignments.items()
        ],
        batch_size=1000,
    )

    # Raters answer in no particular order: the order of response rows must not follow the
    # order of invitations (docs/anonymity.md, "insertion order").
    rng.shuffle(responses)
    native = connection.features.has_native_uuid_field
    response_ids = _uuid4s(len(responses), native=native)
    answered = [planned for _key, planned in responses if not planned.did_not_interact]
    answer_ids = iter(_uuid4s(sum(len(p.scores) for p in answered), native=native))
    open_ids = iter(_uuid4s(len(answered) * len(questions), native=native))
    response_rows, answer_rows, open_rows = [], [], []
    for response_id, (key, planned) in zip(response_ids, responses, strict=True):
        response_rows.append(
            Response(
                id=response_id if native else uuid.UUID(hex=response_id),
                cycle=cycle,
                provider=ctx.departments[planned.provider],
                rater_department=ctx.departments[planned.rater_department],
                rater_kind=ResponseKind.SELF
                if planned.kind == RaterKind.SELF
                else ResponseKind.CLIENT,
                rater_key=key,
                status=Response.Status.SUBMITTED,
                did_not_interact=planned.did_not_interact,
                time_spent_seconds=planned.time_spent_seconds,
            )
        )
        if planned.did_not_interact:
            continue  # a submitted "did not interact" carries no answers
        answer_rows.extend(
            (
                next(answer_ids),
                response_id,
                criteria[code].pk,
                score,
                planned.comments.get(code, ""),
            )
            for code, score in planned.scores.items()
        )
        open_rows.extend(
            (next(open_ids), response_id, question.pk, planned.open_text) for question in questions
        )
    Response.objects.bulk_create(response_rows, batch_size=1000)
    _insert(Answer, ("id", "response", "criterion", "score", "comment"), answer_rows)
    _insert(OpenAnswer, ("id", "response", "question", "text"), open_rows)
    # The cycle ends as every closed cycle does: counts, and nothing per invitation.
    cycle_counts_keep(cycle=cycle)
    result.invitations += len(invitations)
    result.responses += len(response_rows)
    result.answers += len(answer_rows)
    return cycle


def _insert(model, names: tuple[str, ...], rows: list[tuple]) -> None:
    """Plain INSERTs for the tens of thousands of answer rows: bulk_create's model instances
    would take most of the step's time. Values must be ready for the database (_uuid4s)."""
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _uuid4s(count: int, *, native: bool) -> list:
    """``count`` random version-4 UUIDs, as the backend stores them: UUID objects where it
    has a UUID type (PostgreSQL), 32 hex digits otherwise (SQLite's char(32))."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes((b & 0x0F) | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes((b & 0x3F) | 0x80 for b in raw[8::16])  # RFC 4122 variant
    chunks = [bytes(raw[i : i + 16]) for i in range(0, len(raw), 16)]
    if native:
        return [uuid.UUID(bytes=chunk) for chunk in chunks]
    return [chunk.hex() for chunk in chunks]


# --- Fingerprint and description ------------------------------------------------------------


def cycles_fingerprint(organization) -> str:
    """A digest of what the seed decides in the cycles: settings, who was invited, the counts
    kept at close, and every response grouped by rater — never ids, keys, or times of
    writing."""
    cycles = sorted(
        Cycle.objects.filter(organization=organization).values_list(
            "name",
            "status",
            "scale",
            "anonymity_threshold",
            "rater_mode",
            "sample_size",
            "deadline",
            "criteria_set__version",
        )
    )
    invitations = sorted(
        Invitation.objects.filter(cycle__organization=organization).values_list(
            "cycle__name", "person__email", "status", "completed_on", "reminders_sent"
        )
    )
    assignments = sorted(
        Assignment.objects.filter(invitation__cycle__organization=organization).values_list(
            "invitation__cycle__name", "invitation__person__email", "provider__code", "kind"
        )
    )
    codes = dict(Department.objects.filter(organization=organization).values_list("pk", "code"))
    counts = sorted(
        (cycle, department, *rest, sorted((codes[int(p)], n) for p, n in providers.items()))
        for cycle, department, *rest, providers in CycleDepartmentCount.objects.filter(
            cycle__organization=organization
        ).values_list(
            "cycle__name",
            "department__code",
            "invited",
            "started",
            "completed",
            "ratings",
            "self_assessments",
            "providers",
        )
    )
    answers = defaultdict(list)
    for response_id, *rest in Answer.objects.filter(
        response__cycle__organization=organization
    ).values_list("response_id", "criterion__code", "score", "comment"):
        answers[response_id].append(tuple(rest))
    for response_id, *rest in OpenAnswer.objects.filter(
        response__cycle__organization=organization
    ).values_list("response_id", "question__code", "text"):
        answers[response_id].append(tuple(rest))
    raters = defaultdict(list)
    for pk, key, *rest in Response.objects.filter(cycle__organization=organization).values_list(
        "pk",
        "rater_key",
        "cycle__name",
        "provider__code",
        "rater_department__code",
        "rater_kind",
        "status",
        "did_not_interact",
        "time_spent_seconds",
    ):
        raters[key].append([*rest, sorted(answers.get(pk, []), key=str)])
    responses = sorted(
        json.dumps(sorted(group, key=str), ensure_ascii=False) for group in raters.values()
    )
    payload = json.dumps(
        [cycles, invitations, assignments, counts, responses], ensure_ascii=False, default=str
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def planted_description(organization) -> list[tuple[str, str, str]]:
    """(effect, department(s), what to expect) for the command's output."""
    names = dict(
        Department.objects.filter(organization=organization).values_list("code", "name_ru")
    )

    def named(code: str) -> str:
        return f"{code} «{names.get(code, '?')}»"

    first, second = PLANTED.pair
    return [
        ("steady improvement", named(PLANTED.improver), f"+{TREND_STEP} a cycle"),
        ("steady decline", named(PLANTED.decliner), f"−{TREND_STEP} a cycle"),
        ("lenient client", named(PLANTED.lenient_client), f"+{LENIENT_SHIFT} to all it rates"),
        ("mutual inflation", f"{named(first)} ⇄ {named(second)}", f"+{PAIR_SHIFT} to each other"),
        (
            "inflated self-assessment",
            named(PLANTED.inflated_self),
            f"head's self-assessment +{SELF_SHIFT} over its clients' mean",
        ),
    ]
