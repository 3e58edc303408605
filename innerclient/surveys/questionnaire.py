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

import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from innerclient.org.models import Department, Person
from innerclient.surveys.models import (
    Answer,
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


def rater_load(*, public_id: str | uuid.UUID, token: str) -> Rater:
    """The rater behind a link, or RaterLinkError. The token is checked before any query."""
    public_id = str(public_id)
    if not token_is_valid(public_id, token):
        raise RaterLinkError("invalid")
    invitation = (
        Invitation.objects.select_related(
            "cycle", "cycle__criteria_set", "cycle__organization", "person"
        )
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
    assignments = sorted(
        invitation.assignments.select_related("provider"),
        key=lambda a: (a.kind == RaterKind.SELF, a.provider.code, a.provider_id),
    )
    steps = tuple(
        Step(number=i, provider=a.provider, kind=a.kind) for i, a in enumerate(assignments, 1)
    )
    return Rater(
        invitation=invitation,
        cycle=cycle,
        person=invitation.person,
        rater_key=rater_key(token),
        steps=steps,
        criteria=tuple(cycle.criteria_set.criteria.all()),
        questions=tuple(cycle.criteria_set.open_questions.all()),
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


def step_errors(rater: Rater, data: StepInput) -> dict[int, str]:
    """Criterion id → what is missing. Empty when the step can be submitted."""
    if data.did_not_interact:
        return {}
    errors = {}
    for criterion in rater.criteria:
        score = data.scores.get(criterion.pk)
        if score is None:
            errors[criterion.pk] = _("Choose a score, or tick “did not interact” above.")
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


def rater_responses(rater: Rater) -> dict[int, Response]:
    """The rater's responses by provider id, answers prefetched (three queries)."""
    responses = Response.objects.filter(cycle=rater.cycle, rater_key=rater.rater_key)
    return {r.provider_id: r for r in responses.prefetch_related("answers", "open_answers")}


def rater_states(rater: Rater) -> list[StepState]:
    responses = rater_responses(rater)
    states = []
    for step in rater.steps:
        response = responses.get(step.provider.pk)
        data = step_input_from_response(response)
        states.append(
            StepState(
                step=step,
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


def _cycle_is_open(cycle: Cycle) -> bool:
    status = Cycle.objects.filter(pk=cycle.pk).values_list("status", flat=True).first()
    return status == Cycle.Status.OPEN


def _write_answers(*, rater: Rater, response: Response, data: StepInput) -> None:
    if data.did_not_interact and response.status == Response.Status.SUBMITTED:
        # A submitted "did not interact" carries no scores (scoring must not see stale ones).
        response.answers.all().delete()
        response.open_answers.all().delete()
        return
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
        update_conflicts=True,
        unique_fields=["response", "criterion"],
        update_fields=["score", "comment"],
    )
    if rater.questions:
        OpenAnswer.objects.bulk_create(
            [
                OpenAnswer(response=response, question=q, text=data.texts.get(q.pk, ""))
                for q in rater.questions
            ],
            update_conflicts=True,
            unique_fields=["response", "question"],
            update_fields=["text"],
        )


def response_save_draft(
    *, rater: Rater, step: Step, data: StepInput, time_spent_seconds: int
) -> Response:
    """Save one step as the rater left it: a draft, complete or not.

    A response already submitted stays submitted and is updated in place, but only with
    values that could be submitted (StepInvalid otherwise, nothing written): a half-edited
    answer never replaces a complete one in the results.
    """
    if not _cycle_is_open(rater.cycle):
        raise CycleNotOpen
    with transaction.atomic():
        response, _created = Response.objects.select_for_update().get_or_create(
            cycle=rater.cycle,
            rater_key=rater.rater_key,
            provider=step.provider,
            defaults={
                "rater_department_id": rater.person.department_id,
                "rater_kind": step.kind,
            },
        )
        if response.status == Response.Status.SUBMITTED:
            errors = step_errors(rater, data)
            if errors:
                raise StepInvalid(errors)
        response.did_not_interact = data.did_not_interact
        response.time_spent_seconds = time_bucket(time_spent_seconds)
        response.save(update_fields=["did_not_interact", "time_spent_seconds"])
        _write_answers(rater=rater, response=response, data=data)
    return response


def response_submit(*, rater: Rater) -> int:
    """Submit every step of the rater at once; return how many responses are submitted.

    Idempotent: a second call (double click, resend, another tab) finds the same rows — one
    per (cycle, rater key, provider) by the unique constraint — and changes nothing. The
    transaction writes response rows only (never the invitation: docs/anonymity.md).
    """
    if not _cycle_is_open(rater.cycle):
        raise CycleNotOpen
    with transaction.atomic():
        locked = Response.objects.select_for_update().filter(
            cycle=rater.cycle, rater_key=rater.rater_key
        )
        responses = {r.provider_id: r for r in locked.prefetch_related("answers", "open_answers")}
        problems: dict[int, dict[int, str]] = {}
        for step in rater.steps:
            response = responses.get(step.provider.pk)
            if response is None:
                problems[step.number] = {}
                continue
            errors = step_errors(rater, step_input_from_response(response))
            if errors:
                problems[step.number] = errors
        if problems:
            raise ResponseIncomplete(problems)
        mine = [responses[step.provider.pk] for step in rater.steps]
        drafts = [r.pk for r in mine if r.status != Response.Status.SUBMITTED]
        if drafts:
            Response.objects.filter(pk__in=drafts).update(status=Response.Status.SUBMITTED)
        skipped = [r.pk for r in mine if r.did_not_interact]
        if skipped:
            Answer.objects.filter(response_id__in=skipped).delete()
            OpenAnswer.objects.filter(response_id__in=skipped).delete()
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
