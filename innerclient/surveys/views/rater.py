"""The rater's pages: reached by a personal link, no account needed.

The link ``/r/<public_id>/<token>/`` is checked once, then its public id and token travel in a
signed, HttpOnly cookie limited to ``/r/`` and the rater is redirected to token-free URLs, so
the token sits in the address bar and history for one hit only.

Why a signed cookie and not the database session: a rater's requests must write nothing to the
database except his response rows. A session row would store the invitation's public id and
token next to an expiry timestamp, and on PostgreSQL it would be written by a transaction
whose id is adjacent to the response's — a join key. The cookie is on the rater's own device,
which already holds the link. Time-spent bookkeeping lives in the same cookie.

Every page works without JavaScript (plain forms that post and redirect); with it, HTMX saves
the draft as the rater types.
"""

import re
from functools import wraps

from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from innerclient.surveys.models import Response
from innerclient.surveys.questionnaire import (
    TIME_IDLE_CAP_SECONDS,
    TIME_TOTAL_CAP_SECONDS,
    CycleNotOpen,
    Rater,
    RaterLinkError,
    ResponseIncomplete,
    StepInvalid,
    rater_load,
    rater_states,
    response_save_draft,
    response_submit,
    step_errors,
    step_input_from_post,
)
from innerclient.surveys.selectors import earlier_cycle_published
from innerclient.surveys.tokens import token_is_valid

COOKIE_NAME = "ic_rater"
COOKIE_SALT = "innerclient.surveys.rater"
COOKIE_PATH = "/r/"
COOKIE_MAX_AGE = 120 * 24 * 3600


# --- the cookie -----------------------------------------------------------------------------------


def _state_read(request) -> dict | None:
    raw = request.COOKIES.get(COOKIE_NAME)
    if not raw:
        return None
    try:
        state = signing.loads(raw, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(state, dict) or not state.get("p") or not state.get("t"):
        return None
    state.setdefault("a", {})
    return state


def _state_write(response: HttpResponse, state: dict) -> None:
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps(state, salt=COOKIE_SALT, compress=True),
        max_age=COOKIE_MAX_AGE,
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _now() -> int:
    return int(timezone.now().timestamp())


def _tick(state: dict) -> int:
    """Seconds since the rater's previous hit (capped), and remember this hit."""
    now = _now()
    last = state.get("s")
    state["s"] = now
    if not isinstance(last, int):
        return 0
    return max(0, min(now - last, TIME_IDLE_CAP_SECONDS))


def _time_on(state: dict, provider_id: int, stored: int, delta: int) -> int:
    """Accumulate exact seconds per provider in the cookie; the database gets 10 s buckets."""
    key = str(provider_id)
    total = state["a"].get(key)
    if not isinstance(total, int):
        total = stored
    total = min(total + delta, TIME_TOTAL_CAP_SECONDS)
    state["a"][key] = total
    return total


# --- pages that explain why the questionnaire is not available -----------------------------------

UNAVAILABLE = {
    "invalid": 404,
    "not_open": 404,
    "closed": 410,
    "no_session": 403,
}


def _unavailable(request, reason: str) -> HttpResponse:
    response = render(
        request,
        "surveys/rater/unavailable.html",
        {"reason": reason},
        status=UNAVAILABLE.get(reason, 404),
    )
    response["Cache-Control"] = "no-store"
    return response


def _activate_language(request, language: str) -> None:
    """The rater's own language unless he chose one with the header's switch."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return
    if language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


def rater_view(view):
    """Load the rater from the cookie; refuse with a friendly page when that is impossible."""

    @wraps(view)
    @never_cache
    def wrapped(request, *args, **kwargs):
        state = _state_read(request)
        if state is None:
            return _unavailable(request, "no_session")
        try:
            rater = rater_load(public_id=state["p"], token=state["t"])
        except RaterLinkError as error:
            return _unavailable(request, error.reason)
        _activate_language(request, rater.language)
        request.rater_state = state
        try:
            response = view(request, rater, *args, **kwargs)
        except CycleNotOpen:
            return _unavailable(request, "closed")
        _state_write(response, state)
        return response

    return wrapped


# --- the pages ------------------------------------------------------------------------------------


@never_cache
@require_GET
def start(request, public_id, token):
    """The personal link: check it, keep it in the cookie, continue on a token-free URL."""
    if not token_is_valid(str(public_id), token):
        return _unavailable(request, "invalid")
    response = redirect("rater:home")
    _state_write(response, {"p": str(public_id), "t": token, "a": {}})
    # Not even the redirect should be cached or leak the link as a referrer.
    response["Referrer-Policy"] = "no-referrer"
    return response


def _summary(rater: Rater):
    states = rater_states(rater)
    done = [s for s in states if s.status is not None and not s.errors]
    submitted = bool(states) and all(s.status == "submitted" and not s.errors for s in states)
    first_open = next((s for s in states if s.status is None or s.errors), None)
    return states, done, submitted, first_open


def _page(rater: Rater, **extra) -> dict:
    return {"rater": rater, "cycle": rater.cycle, "steps_total": len(rater.steps), **extra}


@rater_view
@require_GET
def home(request, rater: Rater):
    _tick(request.rater_state)
    states, done, submitted, first_open = _summary(rater)
    started = any(s.status is not None for s in states)
    return render(
        request,
        "surveys/rater/home.html",
        _page(
            rater,
            states=states,
            done_count=len(done),
            submitted=submitted,
            started=started,
            first_open=first_open,
            # Linked once an earlier cycle was published; "What we changed" then says, for
            # each department, what it did or that it reported nothing yet.
            has_changes=earlier_cycle_published(cycle_id=rater.cycle.pk),
        ),
    )


# --- the step form's criteria: rendered once per cycle and language ------------------------------
#
# The criteria rows (names, descriptions, 5-10 radio points each, labels) are the same for every
# rater of a cycle; only the rater's score, comment and error change. Rendering them through the
# template engine on every request cost more than the rest of the request, so
# ``_criteria.html`` is rendered once per (cycle's frozen criteria and scale rules, language)
# with a marker in each place a rater's value goes, and split into a list of fixed HTML and
# slots. A request joins the list, filling the slots with its escaped values.
#
# The markers cannot come from user text: every value in the template is autoescaped, so it
# holds no "<". The key covers everything the fixed HTML depends on: the cycle (id, criteria
# set, created_at: its criteria are frozen while open, and only open cycles are shown), its
# scale and justification bounds, and the active language.

_SLOT = re.compile(r"<!--slot:(if|fi|val|checked):([rq]):(\d+):([\w-]*)-->")
_FRAGMENTS: dict[tuple, tuple] = {}
_FRAGMENTS_MAX = 256


def _slot(kind: str, group: str, index: int, arg="") -> str:
    return mark_safe(f"<!--slot:{kind}:{group}:{index}:{arg}-->")


def _criteria_program(rater: Rater) -> tuple:
    """The criteria fragment as fixed strings and (kind, group, index, arg) slots."""
    key = (rater.criteria_key, translation.get_language())
    program = _FRAGMENTS.get(key)
    if program is not None:
        return program
    rows = []
    for i, criterion in enumerate(rater.criteria):
        rows.append(
            {
                "criterion": criterion,
                "if_error": _slot("if", "r", i, "error"),
                "if_comment": _slot("if", "r", i, "comment"),
                "fi": _slot("fi", "r", i),
                "error": _slot("val", "r", i, "error"),
                "comment": _slot("val", "r", i, "comment"),
                "points": [
                    {
                        "value": value,
                        "extreme": rater.is_extreme(value),
                        "checked": _slot("checked", "r", i, value),
                    }
                    for value in rater.scale
                ],
            }
        )
    questions = [
        {"question": question, "text": _slot("val", "q", j, "text")}
        for j, question in enumerate(rater.questions)
    ]
    html = render_to_string(
        "surveys/rater/_criteria.html",
        {"rows": rows, "questions": questions, "scale": rater.scale},
    )
    if html.endswith("\n"):
        html = html[:-1]
    parts = _SLOT.split(html)
    program = []
    open_if = False
    for n in range(0, len(parts), 5):
        if parts[n]:
            program.append(parts[n])
        if n + 1 < len(parts):
            kind, group, index, arg = parts[n + 1 : n + 5]
            if kind in ("if", "fi"):
                if open_if == (kind == "if"):
                    raise ValueError("_criteria.html: unbalanced or nested if/fi slots")
                open_if = kind == "if"
            program.append((kind, group, int(index), int(arg) if kind == "checked" else arg))
    if open_if:
        raise ValueError("_criteria.html: unbalanced if/fi slots")
    program = tuple(program)
    if not settings.DEBUG:  # with DEBUG, edits to the template show at once
        if len(_FRAGMENTS) >= _FRAGMENTS_MAX:
            _FRAGMENTS.clear()
        _FRAGMENTS[key] = program
    return program


def criteria_html(rater: Rater, data, errors: dict[int, str]) -> str:
    """The step form's criteria and open questions with the rater's values (escaped)."""
    rows = [
        {
            "score": data.scores.get(c.pk),
            "comment": data.comments.get(c.pk, ""),
            "error": errors.get(c.pk, ""),
        }
        for c in rater.criteria
    ]
    questions = [{"text": data.texts.get(q.pk, "")} for q in rater.questions]
    out = []
    skip = False
    for op in _criteria_program(rater):
        if op.__class__ is str:
            if not skip:
                out.append(op)
            continue
        kind, group, index, arg = op
        if kind == "fi":
            skip = False
            continue
        if skip:
            continue
        item = rows[index] if group == "r" else questions[index]
        if kind == "if":
            skip = not item[arg]
        elif kind == "val":
            out.append(escape(item[arg]))
        elif item["score"] == arg:  # "checked"
            out.append(" checked")
    return mark_safe("".join(out))


def _step_context(rater: Rater, number: int, data, status, errors, saved=False) -> dict:
    step = rater.step(number)
    scale = rater.scale
    return _page(
        rater,
        step=step,
        criteria=criteria_html(rater, data, errors),
        did_not_interact=data.did_not_interact,
        status=status,
        errors=errors,
        scale_low=scale[0],
        scale_high=scale[-1],
        justify_below=rater.cycle.justify_at_or_below,
        justify_above=rater.cycle.justify_at_or_above,
        percent=round(100 * (number - 1) / max(len(rater.steps), 1)),
        previous=number - 1 if number > 1 else None,
        saved=saved,
    )


def _save(request, rater: Rater, number: int, data):
    """Save a step's draft with the time since the previous hit; returns (status, errors,
    saved)."""
    step = rater.step(number)
    delta = _tick(request.rater_state)
    try:
        response = response_save_draft(
            rater=rater,
            step=step,
            data=data,
            time_spent_seconds=lambda stored: _time_on(
                request.rater_state, step.provider.pk, stored, delta
            ),
        )
    except StepInvalid as invalid:
        # Only a submitted response refuses an incomplete edit.
        return Response.Status.SUBMITTED, invalid.errors, False
    return response.status, {}, True


@rater_view
@require_http_methods(["GET", "POST"])
def step(request, rater: Rater, number: int):
    if rater.step(number) is None:
        return _unavailable(request, "invalid")
    if request.method == "GET":
        _tick(request.rater_state)
        (state,) = rater_states(rater, texts=True, step=rater.step(number))
        errors = state.errors if request.GET.get("check") else {}
        return render(
            request,
            "surveys/rater/step.html",
            _step_context(rater, number, state.data, state.status, errors),
        )

    data = step_input_from_post(rater, request.POST)
    status, errors, saved = _save(request, rater, number, data)
    action = request.POST.get("action", "next")
    if action == "back" and saved:
        target = ("rater:step", number - 1) if number > 1 else ("rater:home",)
        return redirect(*target)
    errors = errors or step_errors(rater, data)
    if errors:
        return render(
            request,
            "surveys/rater/step.html",
            _step_context(rater, number, data, status, errors, saved=saved),
        )
    if number < len(rater.steps):
        return redirect("rater:step", number + 1)
    return redirect("rater:summary")


@rater_view
@require_POST
def autosave(request, rater: Rater, number: int):
    if rater.step(number) is None:
        return _unavailable(request, "invalid")
    data = step_input_from_post(rater, request.POST)
    _status, errors, saved = _save(request, rater, number, data)
    return render(
        request,
        "surveys/rater/step.html#autosave-status",
        {"saved": saved, "blocked": bool(errors)},
    )


@rater_view
@require_GET
def summary(request, rater: Rater):
    _tick(request.rater_state)
    states, done, submitted, _first = _summary(rater)
    return render(
        request,
        "surveys/rater/summary.html",
        _page(rater, states=states, done_count=len(done), submitted=submitted, problems={}),
    )


@rater_view
@require_POST
def submit(request, rater: Rater):
    _tick(request.rater_state)
    try:
        response_submit(rater=rater)
    except ResponseIncomplete as incomplete:
        states, done, submitted, _first = _summary(rater)
        return render(
            request,
            "surveys/rater/summary.html",
            _page(
                rater,
                states=states,
                done_count=len(done),
                submitted=submitted,
                problems=incomplete.steps,
            ),
        )
    return redirect("rater:done")


@rater_view
@require_GET
def done(request, rater: Rater):
    _tick(request.rater_state)
    _states, _done, submitted, _first = _summary(rater)
    if not submitted:
        return redirect("rater:summary")
    return render(request, "surveys/rater/done.html", _page(rater))
