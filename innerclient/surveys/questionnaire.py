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
from datetime import date

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.constants import OnConflict
from django.urls import reverse
from django.utils.translation import gettext as _

from innerclient.org.models import Department
from innerclient.surveys.models import (
    Answer,
    Criterion,
    Cycle,
    Invitation,
    OpenAnswer,
    OpenQuestion,
    RaterKind,
    Response,
    ResponseKind,
)
from innerclient.surveys.tokens import link_token, rater_key, self_rater_key, token_is_valid

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


# The rater's pages read plain rows, not model instances: building Cycle, Person, Invitation and
# Department instances on every request cost more than the query. These small read-only
# objects keep the attributes the pages use; ``name`` and ``bounds`` reuse the models' own
# properties so the language fallback and the scale bounds stay defined in one place.


@dataclass(frozen=True, slots=True)
class Provider:
    """A department a rater rates (the columns of ``Department`` the pages use)."""

    pk: int
    code: str
    name_ru: str
    name_en: str

    name = property(Department.name.fget)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class RaterCycle:
    """The cycle as the rater's pages see it; ``status`` is read on every request."""

    pk: int
    status: str
    name: str
    organization_name: str
    scale: str
    justify_at_or_below: int
    justify_at_or_above: int | None
    deadline: date | None
    criteria_set_id: int
    created_at: object  # only a cache key: a datetime, naive on SQLite

    bounds = property(Cycle.bounds.fget)


@dataclass(frozen=True)
class Step:
    number: int
    provider: Provider
    kind: str

    @property
    def is_self(self) -> bool:
        return self.kind == RaterKind.SELF


@dataclass(frozen=True)
class Rater:
    """Everything a rater's page needs to know about him, loaded from his link."""

    cycle: RaterCycle
    language: str  # the invited person's language
    department_id: int  # the invited person's department
    rater_key: str
    self_key: str  # the self-assessment's own key: it shares none with his other answers
    steps: tuple[Step, ...]
    criteria: tuple[Criterion, ...]
    questions: tuple[OpenQuestion, ...]

    def step(self, number: int) -> Step | None:
        if 1 <= number <= len(self.steps):
            return self.steps[number - 1]
        return None

    def key_for(self, step: Step) -> str:
        return self.self_key if step.is_self else self.rater_key

    @staticmethod
    def kind_for(step: Step) -> str:
        """What the response stores of its rater: a self-assessment or not (never "head")."""
        return ResponseKind.SELF if step.is_self else ResponseKind.CLIENT

    @property
    def scale(self) -> list[int]:
        low, high = self.cycle.bounds
        return list(range(low, high + 1))

    @property
    def criteria_key(self) -> tuple:
        """Identifies the cycle's frozen criteria and scale rules (for caches)."""
        cycle = self.cycle
        return (
            cycle.pk,
            cycle.criteria_set_id,
            cycle.created_at,
            cycle.scale,
            cycle.justify_at_or_below,
            cycle.justify_at_or_above,
        )

    def is_extreme(self, score: int | None) -> bool:
        if score is None:
            return False
        if score <= self.cycle.justify_at_or_below:
            return True
        above = self.cycle.justify_at_or_above
        return above is not None and score >= above


# --- queries compiled once ----------------------------------------------------------------------
# The rater's requests run the same few queries with different parameters. Compiling a
# queryset to SQL (joins, columns, converters) costs more CPU than running it, so each one is
# compiled by the ORM once per process and database, and later run through the connection's
# cursor with new parameters. The compiled query's parameters are matched to the values it was
# built from (all distinct, same type and value) to know which placeholder takes which; when
# that is ambiguous the query runs as compiled and is not cached. Columns come back as the
# database driver returns them: UUIDs may be strings (``_uuid``), dates and booleans are
# converted by the drivers (Django registers SQLite's converters).

_SQL: dict[tuple, tuple[str, tuple[int, ...]]] = {}


def _placeholders(compiled, params) -> tuple[int, ...] | None:
    """For each compiled parameter, the index of the value it came from (None: ambiguous)."""
    if len(compiled) != len(params):
        return None
    order = []
    for value in compiled:
        found = [i for i, p in enumerate(params) if type(p) is type(value) and p == value]
        if len(found) != 1:
            return None
        order.append(found[0])
    return tuple(order) if sorted(order) == list(range(len(params))) else None


def _run(name: str, build: Callable[..., QuerySet], *params) -> list[tuple]:
    """Rows of ``build(*params)`` (a ``values_list`` queryset), from SQL compiled once."""
    key = (name, connection.alias, connection.vendor)
    cached = _SQL.get(key)
    if cached is None:
        sql, compiled = build(*params).query.get_compiler(connection=connection).as_sql()
        order = _placeholders(compiled, params)
        if order is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, compiled)
                return cursor.fetchall()
        cached = _SQL[key] = (sql, order)
    sql, order = cached
    with connection.cursor() as cursor:
        cursor.execute(sql, [params[i] for i in order])
        return cursor.fetchall()


def _uuid_db(value: uuid.UUID):
    """A UUID as the backend's UUIDField stores it (native, or 32 hex digits on SQLite)."""
    return value if connection.features.has_native_uuid_field else value.hex


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


_RATER_FIELDS = (
    "cycle_id",
    "cycle__status",
    "cycle__name",
    "cycle__organization__name",
    "cycle__scale",
    "cycle__justify_at_or_below",
    "cycle__justify_at_or_above",
    "cycle__deadline",
    "cycle__criteria_set_id",
    "cycle__created_at",
    "person__language",
    "person__department_id",
    "assignments__kind",
    "assignments__provider_id",
    "assignments__provider__code",
    "assignments__provider__name_ru",
    "assignments__provider__name_en",
)


def _rater_query(public_id) -> QuerySet:
    # The reverse join to assignments is a LEFT JOIN: an invitation without any still has
    # its row (with NULL assignment columns).
    return Invitation.objects.filter(public_id=public_id).values_list(*_RATER_FIELDS)


# The criteria and open questions of a cycle, per (cycle, criteria set, cycle created_at). Safe
# without invalidation: only open cycles reach this cache, and an open cycle's criteria set is
# frozen (surveys.criteria makes a new version instead of editing it), so what is cached never
# changes. ``created_at`` guards against a recycled primary key (a rolled-back test database).
# Each server process holds its own copy; no signal or cross-process invalidation is needed.
_CRITERIA_CACHE: dict[tuple, tuple[tuple[Criterion, ...], tuple[OpenQuestion, ...]]] = {}
_CRITERIA_CACHE_LOCK = threading.Lock()
_CRITERIA_CACHE_MAX = 256


def _cycle_criteria(cycle) -> tuple[tuple[Criterion, ...], tuple[OpenQuestion, ...]]:
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

    One query: the invitation with its cycle (and the cycle's status, checked on every
    request), organization, person, assignments and providers joined, from SQL compiled once
    per process. Criteria and questions come from a per-process cache (frozen once the cycle
    is open)."""
    public_id = str(public_id)
    if not token_is_valid(public_id, token):
        raise RaterLinkError("invalid")
    try:
        parsed = uuid.UUID(public_id)
    except ValueError:
        raise RaterLinkError("invalid") from None
    rows = _run("rater", _rater_query, _uuid_db(parsed))
    if not rows:
        raise RaterLinkError("invalid")
    first = rows[0]
    cycle = RaterCycle(*first[:10])
    if cycle.status == Cycle.Status.DRAFT:
        raise RaterLinkError("not_open")
    if cycle.status != Cycle.Status.OPEN:
        raise RaterLinkError("closed")
    assignments = sorted(
        (row[12:] for row in rows if row[13] is not None),
        key=lambda a: (a[0] == RaterKind.SELF, a[2], a[1]),
    )
    steps = tuple(
        Step(number=i, provider=Provider(provider_id, code, name_ru, name_en), kind=kind)
        for i, (kind, provider_id, code, name_ru, name_en) in enumerate(assignments, 1)
    )
    criteria, questions = _cycle_criteria(cycle)
    return Rater(
        cycle=cycle,
        language=first[10],
        department_id=first[11],
        rater_key=rater_key(token),
        self_key=self_rater_key(token),
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


@dataclass
class StoredResponse:
    """A response as the rater's pages read it: plain values, no model instances."""

    pk: uuid.UUID
    status: str
    time_spent_seconds: int
    data: StepInput


def _stored_responses(rows) -> dict[int, StoredResponse]:
    """Provider id → stored response, from rows of ``_RESPONSE_FIELDS`` (one row per answer,
    or one row without answer)."""
    stored: dict[int, StoredResponse] = {}
    for pk, provider_id, status, dni, seconds, criterion_id, score, comment in rows:
        item = stored.get(provider_id)
        if item is None:
            item = stored[provider_id] = StoredResponse(
                pk=_uuid(pk),
                status=status,
                time_spent_seconds=seconds,
                data=StepInput(did_not_interact=bool(dni)),
            )
        if criterion_id is not None:
            item.data.scores[criterion_id] = score
            item.data.comments[criterion_id] = comment
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


def _responses_query(cycle_id, key, self_key) -> QuerySet:
    return Response.objects.filter(cycle_id=cycle_id, rater_key__in=(key, self_key)).values_list(
        *_RESPONSE_FIELDS
    )


def _step_responses_query(cycle_id, key, provider_id) -> QuerySet:
    return Response.objects.filter(
        cycle_id=cycle_id, rater_key=key, provider_id=provider_id
    ).values_list(*_RESPONSE_FIELDS)


def _step_texts_query(cycle_id, key, provider_id) -> QuerySet:
    return OpenAnswer.objects.filter(
        response__cycle_id=cycle_id, response__rater_key=key, response__provider_id=provider_id
    ).values_list("response__provider_id", "question_id", "text")


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
    rater: Rater, *, texts: bool = False, provider: Provider | None = None
) -> dict[int, StoredResponse]:
    """The rater's stored responses by provider id, with their answers: one query (a second
    one for the open answers with ``texts``, which needs ``provider``). ``provider`` limits
    them to one step."""
    cycle_id, key = rater.cycle.pk, rater.rater_key
    if provider is None:
        return _stored_responses(_run("responses", _responses_query, cycle_id, key, rater.self_key))
    key = next((rater.key_for(s) for s in rater.steps if s.provider.pk == provider.pk), key)
    stored = _stored_responses(
        _run("step_responses", _step_responses_query, cycle_id, key, provider.pk)
    )
    if texts and stored:
        for provider_id, question_id, text in _run(
            "step_texts", _step_texts_query, cycle_id, key, provider.pk
        ):
            stored[provider_id].data.texts[question_id] = text
    return stored


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


def _locked_step_query(cycle_id, key, provider_id) -> QuerySet:
    return (
        Response.objects.select_for_update(of=("self",))
        .filter(cycle_id=cycle_id, rater_key=key, provider_id=provider_id)
        .values_list("pk", "status", "did_not_interact", "time_spent_seconds", "cycle__status")
    )


def _locked_responses_query(cycle_id, key, self_key) -> QuerySet:
    return (
        Response.objects.select_for_update(of=("self",))
        .filter(cycle_id=cycle_id, rater_key__in=(key, self_key))
        .values_list(*_RESPONSE_FIELDS, "cycle__status")
    )


# The step save's writes are plain INSERT/UPSERT/UPDATE statements built once per process from
# the models' tables and columns (the upsert clause from the backend's own
# ``on_conflict_suffix_sql``, as ``bulk_create(update_conflicts=True)`` emits it), with values
# prepared by each field's ``get_db_prep_save``: the same SQL and values as the ORM's, without
# building model instances and compiling them on every autosave.

_WRITE_SQL: dict[tuple, tuple[str, tuple]] = {}


def _insert(
    model, names: tuple[str, ...], rows: list[tuple], *, upsert=None, skip_conflicts=None
) -> int:
    """INSERT ``rows`` (values for the fields ``names``); return how many were inserted.
    With ``upsert=(unique, update)``, rows that conflict on the unique fields update the
    ``update`` fields instead; with ``skip_conflicts=unique`` they are left out (ON CONFLICT
    DO NOTHING, with that target only: any other violation still raises)."""
    key = (
        "insert",
        model,
        names,
        len(rows),
        upsert,
        skip_conflicts,
        connection.alias,
        connection.vendor,
    )
    cached = _WRITE_SQL.get(key)
    if cached is None:
        meta = model._meta
        fields = tuple(meta.get_field(name) for name in names)
        quote = connection.ops.quote_name
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = "INSERT INTO {} ({}) VALUES {}".format(
            quote(meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join([row] * len(rows)),
        )
        if upsert:
            unique, update = upsert
            sql += " " + connection.ops.on_conflict_suffix_sql(
                fields,
                OnConflict.UPDATE,
                [meta.get_field(name).column for name in update],
                [meta.get_field(name).column for name in unique],
            )
        if skip_conflicts:
            sql += " ON CONFLICT ({}) DO NOTHING".format(
                ", ".join(quote(meta.get_field(name).column) for name in skip_conflicts)
            )
        cached = _WRITE_SQL[key] = (sql, fields)
    sql, fields = cached
    params = [
        field.get_db_prep_save(value, connection)
        for values in rows
        for field, value in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _update_response(pk: uuid.UUID, did_not_interact: bool, seconds: int) -> None:
    key = ("update_response", connection.alias, connection.vendor)
    cached = _WRITE_SQL.get(key)
    if cached is None:
        meta = Response._meta
        fields = tuple(meta.get_field(n) for n in ("did_not_interact", "time_spent_seconds", "id"))
        quote = connection.ops.quote_name
        sql = "UPDATE {} SET {} = %s, {} = %s WHERE {} = %s".format(
            quote(meta.db_table), *(quote(f.column) for f in fields)
        )
        cached = _WRITE_SQL[key] = (sql, fields)
    sql, fields = cached
    values = (did_not_interact, seconds, pk)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
        )


_RESPONSE_INSERT_FIELDS = (
    "id",
    "cycle",
    "provider",
    "rater_department",
    "rater_kind",
    "rater_key",
    "status",
    "did_not_interact",
    "time_spent_seconds",
)
_ANSWER_FIELDS = ("id", "response", "criterion", "score", "comment")
_OPEN_ANSWER_FIELDS = ("id", "response", "question", "text")


def _write_answers(
    *, rater: Rater, response: Response, data: StepInput, created: bool = False
) -> None:
    if data.did_not_interact and response.status == Response.Status.SUBMITTED:
        # A submitted "did not interact" carries no scores (scoring must not see stale ones).
        Answer.objects.filter(response=response).delete()
        OpenAnswer.objects.filter(response=response).delete()
        return
    # A response created in this transaction has no answers yet: plain inserts. Otherwise the
    # rows are upserted on their unique (response, criterion/question); an upsert keeps the
    # existing row's id.
    pk = response.pk
    _insert(
        Answer,
        _ANSWER_FIELDS,
        [
            (uuid.uuid4(), pk, c.pk, data.scores.get(c.pk), data.comments.get(c.pk, ""))
            for c in rater.criteria
        ],
        upsert=None if created else (("response", "criterion"), ("score", "comment")),
    )
    if rater.questions:
        _insert(
            OpenAnswer,
            _OPEN_ANSWER_FIELDS,
            [(uuid.uuid4(), pk, q.pk, data.texts.get(q.pk, "")) for q in rater.questions],
            upsert=None if created else (("response", "question"), ("text",)),
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
    key = rater.key_for(step)
    with transaction.atomic():
        rows = _run("locked_step", _locked_step_query, rater.cycle.pk, key, step.provider.pk)
        row = rows[0] if rows else None
        if row is None:
            seconds = time_spent_seconds(0) if callable(time_spent_seconds) else time_spent_seconds
            response = Response(
                cycle_id=rater.cycle.pk,
                rater_key=key,
                provider_id=step.provider.pk,
                rater_department_id=rater.department_id,
                rater_kind=rater.kind_for(step),
                did_not_interact=data.did_not_interact,
                time_spent_seconds=time_bucket(seconds),
            )
            # One statement, no savepoint: a row another tab created a moment ago (the unique
            # rater key + provider) makes it insert nothing, and that row is updated instead.
            inserted = _insert(
                Response,
                _RESPONSE_INSERT_FIELDS,
                [
                    (
                        response.pk,
                        response.cycle_id,
                        response.provider_id,
                        response.rater_department_id,
                        response.rater_kind,
                        response.rater_key,
                        response.status,
                        response.did_not_interact,
                        response.time_spent_seconds,
                    )
                ],
                skip_conflicts=("cycle", "rater_key", "provider"),
            )
            if inserted:
                _write_answers(rater=rater, response=response, data=data, created=True)
                return response
            (row,) = _run("locked_step", _locked_step_query, rater.cycle.pk, key, step.provider.pk)
        pk, status, stored_dni, stored_seconds, cycle_status = row
        pk = _uuid(pk)
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
            cycle_id=rater.cycle.pk,
            rater_key=key,
            provider_id=step.provider.pk,
            rater_department_id=rater.department_id,
            rater_kind=rater.kind_for(step),
            status=status,
            did_not_interact=data.did_not_interact,
            time_spent_seconds=time_bucket(seconds),
        )
        if (bool(stored_dni), stored_seconds) != (
            response.did_not_interact,
            response.time_spent_seconds,
        ):
            _update_response(pk, response.did_not_interact, response.time_spent_seconds)
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
        rows = _run(
            "locked_responses",
            _locked_responses_query,
            rater.cycle.pk,
            rater.rater_key,
            rater.self_key,
        )
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
