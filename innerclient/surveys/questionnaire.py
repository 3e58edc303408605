"""The rater's questionnaire: who is rating (from his link), what each step shows, and the two
writes — saving a draft and submitting.

Anonymity by construction (docs/anonymity.md): the services here write only ``Response``,
``Answer`` and ``OpenAnswer`` rows, keyed by the pseudonymous rater key. They never write the
invitation (its status is refreshed in batches by ``surveys.completion``), never an audit row
and never a timestamp. Reads of the invitation (to know the rater's department and providers)
leave no trace in the database.

Steps: one per provider the invitation assigns (``Assignment``), clients' view first, the
self-assessment last, each ordered by department code so that a step number means the same
provider in every language and on every visit.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innerclient.org.models import Department, Person
from innerclient.surveys.models import (
    Answer,
    Assignment,
    Criterion,
    Cycle,
    Invitation,
    OpenAnswer,
    OpenQuestion,
    RaterKind,
    Response,
)
from innerclient.surveys.tokens import link_token, rater_key, token_is_valid

# Time spent is stored in 10-second buckets (too coarse to fingerprint a session), and one gap
# between two page hits counts at most IDLE_CAP (a tab left open overnight is not "work").
TIME_BUCKET_SECONDS = 10
TIME_IDLE_CAP_SECONDS = 300
TIME_TOTAL_CAP_SECONDS = 4 * 3600
COMMENT_MAX_LENGTH = 2000


def invitation_url(invitation: Invitation) -> str:
    """The path of the invitation's personal link (the email prefixes the site URL)."""
    public_id = str(invitation.public_id)
    return reverse("rater:start", kwargs={"public_id": public_id, "token": link_token(public_id)})


def time_bucket(seconds: float) -> int:
    """Round to the nearest 10 s bucket and cap."""
    seconds = max(0, min(int(seconds), TIME_TOTAL_CAP_SECONDS))
    return (seconds + TIME_BUCKET_SECONDS // 2) // TIME_BUCKET_SECONDS * TIME_BUCKET_SECONDS


# --- who is rating ------------------------------------------------------------------------------


class RaterLinkError(Exception):
    """The link cannot be used. ``reason``: invalid (unknown or tampered), not_open (the cycle
    is still a draft), closed (closed or published)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Step:
    number: int
    provider: Department
    kind: str

    @property
    def is_self(self) -> bool:
        return self.kind == RaterKind.SELF


@dataclass(frozen=True)
class Rater:
    """Everything a rater's page needs to know about him, loaded from his link."""

    invitation: Invitation
    cycle: Cycle
    person: Person
    rater_key: str
    steps: tuple[Step, ...]
    criteria: tuple[Criterion, ...]
    questions: tuple[OpenQuestion, ...]

    def step(self, number: int) -> Step | None:
        if 1 <= number <= len(self.steps):
            return self.steps[number - 1]
        return None

    @property
    def scale(self) -> list[int]:
        low, high = self.cycle.bounds
        return list(range(low, high + 1))

    def is_extreme(self, score: int | None) -> bool:
        if score is None:
            return False
        if score <= self.cycle.justify_at_or_below:
            return True
        above = self.cycle.justify_at_or_above
        return above is not None and score >= above


# The criteria and open questions of a cycle, per (cycle, criteria set, cycle created_at). Safe
# without invalidation: only open cycles reach this cache, and an open cycle's criteria set is
# frozen (surveys.criteria makes a new version instead of editing it), so what is cached never
# changes. ``created_at`` guards against a recycled primary key (a rolled-back test database).
# Each server process holds its own copy; no signal or cross-process invalidation is needed.
_CRITERIA_CACHE: dict[tuple, tuple[tuple[Criterion, ...], tuple[OpenQuestion, ...]]] = {}
_CRITERIA_CACHE_LOCK = threading.Lock()
_CRITERIA_CACHE_MAX = 256


def _cycle_criteria(cycle: Cycle) -> tuple[tuple[Criterion, ...], tuple[OpenQuestion, ...]]:
    key = (cycle.pk, cycle.criteria_set_id, cycle.created_at)
    cached = _CRITERIA_CACHE.get(key)
    if cached is None:
        cached = (
            tuple(Criterion.objects.filter(criteria_set_id=cycle.criteria_set_id)),
            tuple(OpenQuestion.objects.filter(criteria_set_id=cycle.criteria_set_id)),
        )
        with _CRITERIA_CACHE_LOCK:
            if len(_CRITERIA_CACHE) >= _CRITERIA_CACHE_MAX:
                _CRITERIA_CACHE.clear()
            _CRITERIA_CACHE[key] = cached
    return cached


def rater_load(*, public_id: str | uuid.UUID, token: str) -> Rater:
    """The rater behind a link, or RaterLinkError. The token is checked before any query.

    One query in the usual case: the assignments with their invitation, cycle (and its
    status, checked on every request), organization, person and providers joined. A second
    one only for an invitation without assignments. Criteria and questions come from a
    per-process cache (frozen once the cycle is open)."""
    public_id = str(public_id)
    if not token_is_valid(public_id, token):
        raise RaterLinkError("invalid")
    assignments = list(
        Assignment.objects.select_related(
            "invitation__cycle__organization", "invitation__person", "provider"
        ).filter(invitation__public_id=public_id)
    )
    if assignments:
        invitation = assignments[0].invitation
    else:
        invitation = (
            Invitation.objects.select_related("cycle__organization", "person")
            .filter(public_id=public_id)
            .first()
        )
    if invitation is None:
        raise RaterLinkError("invalid")
    cycle = invitation.cycle
    if cycle.status == Cycle.Status.DRAFT:
        raise RaterLinkError("not_open")
    if cycle.status != Cycle.Status.OPEN:
        raise RaterLinkError("closed")
    assignments.sort(key=lambda a: (a.kind == RaterKind.SELF, a.provider.code, a.provider_id))
    steps = tuple(
        Step(number=i, provider=a.provider, kind=a.kind) for i, a in enumerate(assignments, 1)
    )
    criteria, questions = _cycle_criteria(cycle)
    return Rater(
        invitation=invitation,
        cycle=cycle,
        person=invitation.person,
        rater_key=rater_key(token),
        steps=steps,
        criteria=criteria,
        questions=questions,
    )


# --- what a step holds ----------------------------------------------------------------------------


@dataclass
class StepInput:
    """The values of one step's form, from a POST or from the stored draft."""

    did_not_interact: bool = False
    scores: dict[int, int | None] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)
    texts: dict[int, str] = field(default_factory=dict)


def step_input_from_post(rater: Rater, post) -> StepInput:
    low, high = rater.cycle.bounds
    data = StepInput(did_not_interact=post.get("did_not_interact") in ("1", "on", "true"))
    for criterion in rater.criteria:
        raw = (post.get(f"score-{criterion.pk}") or "").strip()
        score = int(raw) if raw.lstrip("-").isdigit() else None
        data.scores[criterion.pk] = score if score is not None and low <= score <= high else None
        comment = (post.get(f"comment-{criterion.pk}") or "").strip()
        data.comments[criterion.pk] = comment[:COMMENT_MAX_LENGTH]
    for question in rater.questions:
        text = (post.get(f"open-{question.pk}") or "").strip()
        data.texts[question.pk] = text[:COMMENT_MAX_LENGTH]
    return data


def step_input_from_response(response: Response | None) -> StepInput:
    if response is None:
        return StepInput()
    return StepInput(
        did_not_interact=response.did_not_interact,
        scores={a.criterion_id: a.score for a in response.answers.all()},
        comments={a.criterion_id: a.comment for a in response.answers.all()},
        texts={o.question_id: o.text for o in response.open_answers.all()},
    )


@dataclass
class StoredResponse:
    """A response as the rater's pages read it: plain values, no model instances."""

    pk: uuid.UUID
    status: str
    time_spent_seconds: int
    data: StepInput


def _stored_responses(rows, *, texts: bool = False) -> dict[int, StoredResponse]:
    """Provider id → stored response, from rows of ``_RESPONSE_FIELDS`` (one row per answer,
    or one row without answer). With ``texts``, one more query reads the open answers."""
    stored: dict[int, StoredResponse] = {}
    by_pk: dict[uuid.UUID, StepInput] = {}
    for pk, provider_id, status, dni, seconds, criterion_id, score, comment in rows:
        item = stored.get(provider_id)
        if item is None:
            item = stored[provider_id] = StoredResponse(
                pk=pk,
                status=status,
                time_spent_seconds=seconds,
                data=StepInput(did_not_interact=dni),
            )
            by_pk[pk] = item.data
        if criterion_id is not None:
            item.data.scores[criterion_id] = score
            item.data.comments[criterion_id] = comment
    if texts and by_pk:
        for response_id, question_id, text in OpenAnswer.objects.filter(
            response_id__in=list(by_pk)
        ).values_list("response_id", "question_id", "text"):
            by_pk[response_id].texts[question_id] = text
    return stored


_RESPONSE_FIELDS = (
    "pk",
    "provider_id",
    "status",
    "did_not_interact",
    "time_spent_seconds",
    "answers__criterion_id",
    "answers__score",
    "answers__comment",
)


def step_errors(rater: Rater, data: StepInput) -> dict[int, str]:
    """Criterion id → what is missing. Empty when the step can be submitted."""
    if data.did_not_interact:
        return {}
    errors = {}
    for criterion in rater.criteria:
        score = data.scores.get(criterion.pk)
        if score is None:
            errors[criterion.pk] = _(
                "Choose a score, or tick above that your department did not interact."
            )
        elif rater.is_extreme(score) and not data.comments.get(criterion.pk, "").strip():
            errors[criterion.pk] = _(
                "A score of %(score)s needs a short comment: what went wrong or what went well?"
            ) % {"score": score}
    return errors


@dataclass
class StepState:
    step: Step
    data: StepInput
    status: str | None  # None: nothing saved yet; else Response.Status
    errors: dict[int, str]
    rows: list[tuple[Criterion, int | None, str]] = field(default_factory=list)


def rater_responses(
    rater: Rater, *, texts: bool = False, provider: Department | None = None
) -> dict[int, StoredResponse]:
    """The rater's stored responses by provider id, with their answers: one query (a second
    one for the open answers with ``texts``). ``provider`` limits them to one step."""
    responses = Response.objects.filter(cycle=rater.cycle, rater_key=rater.rater_key)
    if provider is not None:
        responses = responses.filter(provider=provider)
    return _stored_responses(responses.values_list(*_RESPONSE_FIELDS), texts=texts)


def rater_states(rater: Rater, *, texts: bool = False, step: Step | None = None) -> list[StepState]:
    """Each step's saved state (only ``step``'s when given); ``texts`` reads the open
    answers too (the step form shows them, the lists do not)."""
    responses = rater_responses(rater, texts=texts, provider=step.provider if step else None)
    states = []
    for current in (step,) if step else rater.steps:
        response = responses.get(current.provider.pk)
        data = response.data if response else StepInput()
        states.append(
            StepState(
                step=current,
                data=data,
                status=response.status if response else None,
                errors=step_errors(rater, data) if response else {},
                rows=[
                    (c, data.scores.get(c.pk), data.comments.get(c.pk, "")) for c in rater.criteria
                ],
            )
        )
    return states


# --- writes ---------------------------------------------------------------------------------------


class StepInvalid(Exception):
    def __init__(self, errors: dict[int, str]):
        super().__init__("step invalid")
        self.errors = errors


class ResponseIncomplete(Exception):
    """Some steps cannot be submitted: step number → criterion id → message (empty dict when
    the step was never answered)."""

    def __init__(self, steps: dict[int, dict[int, str]]):
        super().__init__("incomplete")
        self.steps = steps


class CycleNotOpen(Exception):
    pass


def _check_open(rater: Rater, status: str | None = None) -> None:
    """The cycle's status was read with the rater (``rater_load``, on every request); the
    locked reads below also re-read it in the write transaction when they find a row."""
    if rater.cycle.status != Cycle.Status.OPEN or status not in (None, Cycle.Status.OPEN):
        raise CycleNotOpen


def _write_answers(
    *, rater: Rater, response: Response, data: StepInput, created: bool = False
) -> None:
    if data.did_not_interact and response.status == Response.Status.SUBMITTED:
        # A submitted "did not interact" carries no scores (scoring must not see stale ones).
        Answer.objects.filter(response=response).delete()
        OpenAnswer.objects.filter(response=response).delete()
        return
    # A response created in this transaction has no answers yet: plain inserts.
    upsert = {} if created else {"update_conflicts": True}
    Answer.objects.bulk_create(
        [
            Answer(
                response=response,
                criterion=criterion,
                score=data.scores.get(criterion.pk),
                comment=data.comments.get(criterion.pk, ""),
            )
            for criterion in rater.criteria
        ],
        **upsert,
        **(
            {"unique_fields": ["response", "criterion"], "update_fields": ["score", "comment"]}
            if upsert
            else {}
        ),
    )
    if rater.questions:
        OpenAnswer.objects.bulk_create(
            [
                OpenAnswer(response=response, question=q, text=data.texts.get(q.pk, ""))
                for q in rater.questions
            ],
            **upsert,
            **(
                {"unique_fields": ["response", "question"], "update_fields": ["text"]}
                if upsert
                else {}
            ),
        )


def response_save_draft(
    *,
    rater: Rater,
    step: Step,
    data: StepInput,
    time_spent_seconds: int | Callable[[int], int],
) -> Response:
    """Save one step as the rater left it: a draft, complete or not.

    A response already submitted stays submitted and is updated in place, but only with
    values that could be submitted (StepInvalid otherwise, nothing written): a half-edited
    answer never replaces a complete one in the results.

    ``time_spent_seconds`` may be a function of the stored time spent (0 for a new response),
    called once, before anything is written.
    """
    _check_open(rater)
    with transaction.atomic():
        row = (
            Response.objects.select_for_update(of=("self",))
            .filter(cycle=rater.cycle, rater_key=rater.rater_key, provider=step.provider)
            .values_list("pk", "status", "time_spent_seconds", "cycle__status")
            .first()
        )
        if row is None:
            seconds = time_spent_seconds(0) if callable(time_spent_seconds) else time_spent_seconds
            response = Response(
                cycle=rater.cycle,
                rater_key=rater.rater_key,
                provider=step.provider,
                rater_department_id=rater.person.department_id,
                rater_kind=step.kind,
                did_not_interact=data.did_not_interact,
                time_spent_seconds=time_bucket(seconds),
            )
            try:
                with transaction.atomic():
                    response.save(force_insert=True)
            except IntegrityError:
                # Another tab created it a moment ago: update that one (locked) instead.
                row = (
                    Response.objects.select_for_update(of=("self",))
                    .filter(cycle=rater.cycle, rater_key=rater.rater_key, provider=step.provider)
                    .values_list("pk", "status", "time_spent_seconds", "cycle__status")
                    .get()
                )
            else:
                _write_answers(rater=rater, response=response, data=data, created=True)
                return response
        pk, status, stored_seconds, cycle_status = row
        _check_open(rater, cycle_status)
        seconds = (
            time_spent_seconds(stored_seconds)
            if callable(time_spent_seconds)
            else time_spent_seconds
        )
        if status == Response.Status.SUBMITTED:
            errors = step_errors(rater, data)
            if errors:
                raise StepInvalid(errors)
        response = Response(
            pk=pk,
            cycle=rater.cycle,
            rater_key=rater.rater_key,
            provider=step.provider,
            rater_department_id=rater.person.department_id,
            rater_kind=step.kind,
            status=status,
            did_not_interact=data.did_not_interact,
            time_spent_seconds=time_bucket(seconds),
        )
        Response.objects.filter(pk=pk).update(
            did_not_interact=response.did_not_interact,
            time_spent_seconds=response.time_spent_seconds,
        )
        _write_answers(rater=rater, response=response, data=data)
    return response


def response_submit(*, rater: Rater) -> int:
    """Submit every step of the rater at once; return how many responses are submitted.

    Idempotent: a second call (double click, resend, another tab) finds the same rows — one
    per (cycle, rater key, provider) by the unique constraint — and changes nothing. The
    transaction writes response rows only (never the invitation: docs/anonymity.md).
    """
    _check_open(rater)
    with transaction.atomic():
        locked = Response.objects.select_for_update(of=("self",)).filter(
            cycle=rater.cycle, rater_key=rater.rater_key
        )
        rows = list(locked.values_list(*_RESPONSE_FIELDS, "cycle__status"))
        for row in rows:
            _check_open(rater, row[-1])
        responses = _stored_responses(row[:-1] for row in rows)
        problems: dict[int, dict[int, str]] = {}
        for step in rater.steps:
            response = responses.get(step.provider.pk)
            if response is None:
                problems[step.number] = {}
                continue
            errors = step_errors(rater, response.data)
            if errors:
                problems[step.number] = errors
        if problems:
            raise ResponseIncomplete(problems)
        mine = [responses[step.provider.pk] for step in rater.steps]
        drafts = [r.pk for r in mine if r.status != Response.Status.SUBMITTED]
        if drafts:
            Response.objects.filter(pk__in=drafts).update(status=Response.Status.SUBMITTED)
        skipped = [r for r in mine if r.data.did_not_interact]
        if skipped:
            with_scores = [r.pk for r in skipped if r.data.scores]
            if with_scores:
                Answer.objects.filter(response_id__in=with_scores).delete()
            OpenAnswer.objects.filter(response_id__in=[r.pk for r in skipped]).delete()
    return len(mine)


def response_time_and_status(*, rater: Rater, step: Step) -> tuple[int, str | None]:
    """The stored time spent and status of one step's response ((0, None) when none)."""
    row = (
        Response.objects.filter(
            cycle=rater.cycle, rater_key=rater.rater_key, provider=step.provider
        )
        .values_list("time_spent_seconds", "status")
        .first()
    )
    return row if row else (0, None)
