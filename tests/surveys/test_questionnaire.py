"""The rater's questionnaire through Django's test client: links, steps, drafts, submit."""

import contextlib

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from innerclient.surveys import questionnaire
from innerclient.surveys.completion import invitation_progress
from innerclient.surveys.models import (
    Answer,
    Assignment,
    Cycle,
    OpenAnswer,
    RaterKind,
    Response,
)
from innerclient.surveys.questionnaire import invitation_url, time_bucket
from innerclient.surveys.tokens import link_token, rater_key, self_rater_key
from innerclient.surveys.views import rater as rater_views
from tests.surveys.factories_rater import rater_world, step_post

pytestmark = pytest.mark.django_db

GOOD = {"responsiveness": 4, "quality": 5, "overall": 4}


@pytest.fixture
def world():
    return rater_world(raters=1, providers=2)


def _open(client, world, index=0):
    response = client.get(world.url(index))
    assert response.status_code == 302
    return response


def _responses(world):
    return Response.objects.filter(cycle=world.cycle)


def test_link_redirects_to_a_token_free_page_and_stores_nothing_server_side(client, world):
    response = _open(client, world)
    assert response.url == reverse("rater:home")
    token = link_token(str(world.invitations[0].public_id))
    assert token not in response.url
    assert response.cookies[rater_views.COOKIE_NAME]["httponly"]
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Provider 1" in page.text and "Provider 2" in page.text
    # No database session: a session row would tie the invitation to the time of answering.
    assert Session.objects.count() == 0


def test_invitation_url_is_the_start_link(world):
    invitation = world.invitations[0]
    url = invitation_url(invitation)
    assert url == f"/r/{invitation.public_id}/{link_token(str(invitation.public_id))}/"


@pytest.mark.parametrize(
    ("mangle", "status"),
    [
        (lambda url: url[:-3] + "xx/", 404),  # tampered token
        (lambda url: "/r/00000000-0000-4000-8000-000000000000/abc/", 404),  # unknown
        (lambda url: url.replace("/r/", "/r/x"), 404),  # not even a UUID
    ],
)
def test_bad_links_get_a_friendly_page(client, world, mangle, status):
    response = client.get(mangle(world.url()))
    assert response.status_code == status
    if response.status_code == 404 and "rater-unavailable" in response.text:
        assert "This link does not work" in response.text


def test_tampered_token_shows_the_explanation(client, world):
    response = client.get(world.url()[:-3] + "xx/")
    assert response.status_code == 404
    assert "This link does not work" in response.text


def test_unknown_invitation_with_a_valid_looking_token_is_404(client, world):
    public_id = "00000000-0000-4000-8000-000000000000"
    response = client.get(f"/r/{public_id}/{link_token(public_id)}/", follow=True)
    assert response.status_code == 404
    assert "This link does not work" in response.text


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [
        (Cycle.Status.DRAFT, 404, "has not started yet"),
        (Cycle.Status.CLOSED, 410, "has closed"),
        (Cycle.Status.PUBLISHED, 410, "has closed"),
    ],
)
def test_cycle_not_open_gets_a_clear_page(client, status, code, text):
    world = rater_world(status=status)
    response = client.get(world.url(), follow=True)
    assert response.status_code == code
    assert text in response.text


def test_pages_without_the_link_cookie_ask_to_open_the_link_again(client, world):
    for url in [reverse("rater:home"), reverse("rater:step", args=[1]), reverse("rater:summary")]:
        response = client.get(url)
        assert response.status_code == 403
        assert "open your personal link again" in response.text


def test_a_forged_cookie_is_refused(client, world):
    client.cookies[rater_views.COOKIE_NAME] = "not-signed"
    assert client.get(reverse("rater:home")).status_code == 403


def test_step_out_of_range_is_404(client, world):
    _open(client, world)
    assert client.get(reverse("rater:step", args=[3])).status_code == 404
    assert client.get(reverse("rater:step", args=[0])).status_code == 404


def test_step_shows_criteria_with_descriptions_and_progress(client, world):
    _open(client, world)
    page = client.get(reverse("rater:step", args=[2]))
    assert page.status_code == 200
    assert "Step 2 of 2" in page.text
    assert "Responsiveness" in page.text and "Speed of reaction" in page.text
    assert "What should this department change first?" in page.text
    assert 'type="radio"' in page.text and "<legend" in page.text
    assert page.text.count('name="score-') == 3 * 5


def test_low_score_requires_comment(client, world):
    _open(client, world)
    url = reverse("rater:step", args=[1])
    page = client.post(url, step_post(world, {**GOOD, "quality": 1}, action="next"))
    assert page.status_code == 200
    assert "needs a short comment" in page.text
    # ... but what was typed is kept as a draft.
    response = _responses(world).get()
    assert response.status == Response.Status.DRAFT
    assert response.answers.get(criterion__code="quality").score == 1

    ok = client.post(
        url,
        step_post(world, {**GOOD, "quality": 1}, {"quality": "Lost our order twice"}),
    )
    assert ok.status_code == 302 and ok.url == reverse("rater:step", args=[2])
    assert response.answers.get(criterion__code="quality").comment == "Lost our order twice"


def test_high_score_requires_comment_when_the_cycle_says_so(client):
    world = rater_world(justify_at_or_above=5)
    _open(client, world)
    page = client.post(reverse("rater:step", args=[1]), step_post(world, GOOD, action="next"))
    assert "A score of 5 needs a short comment" in page.text


def test_every_criterion_needs_a_score(client, world):
    _open(client, world)
    page = client.post(reverse("rater:step", args=[1]), step_post(world, {"quality": 4}))
    assert page.text.count("Choose a score") == 2


def test_did_not_interact_skips_the_criteria(client, world):
    _open(client, world)
    page = client.post(reverse("rater:step", args=[1]), {"did_not_interact": "1"})
    assert page.status_code == 302
    assert _responses(world).get().did_not_interact


def test_autosave_keeps_a_draft_for_a_closed_tab(client, world):
    _open(client, world)
    saved = client.post(
        reverse("rater:autosave", args=[1]),
        step_post(world, {"quality": 2}, {"quality": "Slow to"}, **{"open-1": "x"}),
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200
    assert "Draft saved" in saved.text
    assert "<html" not in saved.text

    # A new browser opening the same link finds the draft.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    _open(other, world)
    home = other.get(reverse("rater:home"))
    assert "Continue where I stopped" in home.text
    page = other.get(reverse("rater:step", args=[1]))
    assert 'value="2" class="extreme" checked' in page.text
    assert "Slow to</textarea>" in page.text


def test_submit_is_idempotent(client, world):
    _open(client, world)
    client.post(reverse("rater:step", args=[1]), step_post(world, GOOD))
    client.post(reverse("rater:step", args=[2]), {"did_not_interact": "1"})
    first = client.post(reverse("rater:submit"))
    assert first.status_code == 302 and first.url == reverse("rater:done")
    second = client.post(reverse("rater:submit"))
    assert second.status_code == 302
    assert client.get(reverse("rater:done")).status_code == 200

    # Another tab with the same link, submitting again.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    _open(other, world)
    assert other.post(reverse("rater:submit")).status_code == 302

    responses = _responses(world)
    assert responses.count() == 2
    assert set(responses.values_list("status", flat=True)) == {Response.Status.SUBMITTED}
    assert Answer.objects.filter(response__did_not_interact=True).count() == 0
    assert Answer.objects.filter(response__cycle=world.cycle).count() == 3
    key = rater_key(link_token(str(world.invitations[0].public_id)))
    assert set(responses.values_list("rater_key", flat=True)) == {key}


def test_incomplete_submit_shows_what_is_missing_and_submits_nothing(client, world):
    _open(client, world)
    client.post(reverse("rater:step", args=[1]), step_post(world, GOOD))
    page = client.post(reverse("rater:submit"))
    assert page.status_code == 200
    assert "still need answers" in page.text
    assert not _responses(world).filter(status=Response.Status.SUBMITTED).exists()


def test_resubmit_after_editing_updates_in_place(client, world):
    _open(client, world)
    client.post(reverse("rater:step", args=[1]), step_post(world, GOOD))
    client.post(reverse("rater:step", args=[2]), step_post(world, GOOD))
    client.post(reverse("rater:submit"))
    ids = set(_responses(world).values_list("pk", flat=True))

    client.post(reverse("rater:step", args=[1]), step_post(world, {**GOOD, "overall": 3}))
    client.post(reverse("rater:submit"))
    assert set(_responses(world).values_list("pk", flat=True)) == ids
    edited = _responses(world).get(provider=world.providers[0])
    assert edited.status == Response.Status.SUBMITTED
    assert edited.answers.get(criterion__code="overall").score == 3


def test_a_submitted_answer_is_not_replaced_by_an_incomplete_edit(client, world):
    _open(client, world)
    client.post(reverse("rater:step", args=[1]), step_post(world, GOOD))
    client.post(reverse("rater:step", args=[2]), step_post(world, GOOD))
    client.post(reverse("rater:submit"))

    saved = client.post(reverse("rater:autosave", args=[1]), step_post(world, {"overall": 1}))
    assert "Not saved yet" in saved.text
    page = client.post(reverse("rater:step", args=[1]), step_post(world, {**GOOD, "overall": 1}))
    assert "needs a short comment" in page.text
    response = _responses(world).get(provider=world.providers[0])
    assert response.status == Response.Status.SUBMITTED
    assert response.answers.get(criterion__code="overall").score == 4


def test_answers_cannot_change_after_the_cycle_closes(client, world):
    _open(client, world)
    client.post(reverse("rater:step", args=[1]), step_post(world, GOOD))
    Cycle.objects.filter(pk=world.cycle.pk).update(status=Cycle.Status.CLOSED)
    page = client.post(reverse("rater:step", args=[1]), step_post(world, {**GOOD, "overall": 5}))
    assert page.status_code == 410
    assert client.post(reverse("rater:submit")).status_code == 410
    assert client.post(reverse("rater:autosave", args=[1]), {}).status_code == 410
    answer = Answer.objects.get(response__cycle=world.cycle, criterion__code="overall")
    assert answer.score == 4


def test_time_spent_is_recorded_in_ten_second_buckets(client, world, monkeypatch):
    clock = iter([1000, 1034, 1052, 5000, 5004])
    monkeypatch.setattr(rater_views, "_now", lambda: next(clock))
    _open(client, world)
    client.get(reverse("rater:step", args=[1]))  # t=1000
    client.post(reverse("rater:autosave", args=[1]), step_post(world, {"quality": 4}))  # +34
    client.post(reverse("rater:autosave", args=[1]), step_post(world, {"quality": 3}))  # +18
    assert _responses(world).get().time_spent_seconds == 50  # 52 → 50
    # An idle gap counts at most five minutes.
    client.post(reverse("rater:autosave", args=[1]), step_post(world, {"quality": 4}))
    assert _responses(world).get().time_spent_seconds == time_bucket(52 + 300)
    client.post(reverse("rater:autosave", args=[1]), step_post(world, {"quality": 5}))
    assert _responses(world).get().time_spent_seconds == 360


def test_time_bucket_rounds_and_caps():
    assert time_bucket(4) == 0
    assert time_bucket(5) == 10
    assert time_bucket(26) == 30
    assert time_bucket(10**9) == questionnaire.TIME_TOTAL_CAP_SECONDS


def test_pages_use_the_raters_language_unless_he_switches(russian_client):
    world = rater_world(language="ru")
    _open(russian_client, world)
    page = russian_client.get(reverse("rater:step", args=[1]))
    assert '<html lang="ru">' in page.text
    assert "Оперативность" in page.text

    english = rater_world(language="en")
    _open(russian_client, english)
    assert '<html lang="en">' in russian_client.get(reverse("rater:home")).text

    # The header's switch sets the language cookie, which wins.
    russian_client.post(reverse("set_language"), {"language": "ru", "next": "/r/"})
    assert '<html lang="ru">' in russian_client.get(reverse("rater:home")).text


def test_rater_pages_show_no_organization_switcher(client, world):
    _open(client, world)
    page = client.get(reverse("rater:home"))
    assert 'data-testid="org-switcher"' not in page.text
    assert 'data-testid="lang-' in page.text


def test_open_answers_are_saved(client, world):
    _open(client, world)
    question = world.cycle.criteria_set.open_questions.get()
    client.post(
        reverse("rater:step", args=[1]),
        step_post(world, GOOD, **{f"open-{question.pk}": "Answer the phone"}),
    )
    assert OpenAnswer.objects.get(question=question).text == "Answer the phone"


def test_self_assessment_is_the_last_step_and_says_so(client):
    world = rater_world(providers=2)
    invitation = world.invitations[0]
    invitation.assignments.create(provider=world.client_department, kind="self")
    _open(client, world)
    page = client.get(reverse("rater:step", args=[3]))
    assert "self-assessment" in page.text
    client.post(reverse("rater:step", args=[3]), step_post(world, GOOD))
    response = _responses(world).get(provider=world.client_department)
    assert response.rater_kind == "self"


def test_a_heads_self_assessment_shares_no_key_with_his_other_answers(client):
    """Point 3 of the verification findings: the self-assessment is known to be the head's, so
    under the same key it would tie him to his ratings of other departments."""
    world = rater_world(providers=2)
    invitation = world.invitations[0]
    person = world.people[0]
    person.is_head = True
    person.save()
    Assignment.objects.filter(invitation=invitation).update(kind=RaterKind.HEAD)
    invitation.assignments.create(provider=world.client_department, kind=RaterKind.SELF)
    _open(client, world)

    # A draft of the self step, autosaved, then found again on the step's page.
    client.post(
        reverse("rater:autosave", args=[3]),
        step_post(world, {"quality": 2}, {"quality": "We are slow"}),
        HTTP_HX_REQUEST="true",
    )
    assert "We are slow" in client.get(reverse("rater:step", args=[3])).text
    for number in (1, 2, 3):
        client.post(reverse("rater:step", args=[number]), step_post(world, GOOD))
    assert client.post(reverse("rater:submit")).status_code == 302
    assert client.post(reverse("rater:submit")).status_code == 302  # idempotent

    token = link_token(str(invitation.public_id))
    responses = list(_responses(world))
    assert len(responses) == 3
    assert {r.status for r in responses} == {Response.Status.SUBMITTED}
    own = next(r for r in responses if r.provider_id == world.client_department.pk)
    others = [r for r in responses if r is not own]
    assert own.rater_key == self_rater_key(token) and own.rater_kind == "self"
    assert {r.rater_key for r in others} == {rater_key(token)}
    assert {r.rater_kind for r in others} == {"client"}  # never "head"
    # Completion tracking knows both keys: he has finished.
    assert invitation_progress(cycle=world.cycle)[invitation.pk].status == "completed"


def test_get_requests_write_nothing(client, world):
    _open(client, world)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("rater:home"))
        client.get(reverse("rater:step", args=[1]))
        client.get(reverse("rater:summary"))
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert not [w for w in writes if not w.upper().startswith(("SAVEPOINT", "RELEASE"))]


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_and_submits_make_one_response_per_provider():
    """Two tabs racing: the first save of a step and the submit, at the same moment."""
    import threading

    from django.db import connection as default_connection

    from innerclient.surveys.questionnaire import (
        StepInput,
        rater_load,
        response_save_draft,
        response_submit,
    )

    if default_connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database locks whole tables (shared cache)")
    world = rater_world(raters=1, providers=2)
    invitation = world.invitations[0]
    rater = rater_load(public_id=invitation.public_id, token=link_token(str(invitation.public_id)))
    criteria = [c.pk for c in rater.criteria]
    data = StepInput(scores=dict.fromkeys(criteria, 4))
    barrier = threading.Barrier(4)
    errors = []

    def work(action):
        try:
            barrier.wait()
            for _ in range(3):
                action()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            default_connection.close()

    def save_all():
        for step in rater.steps:
            response_save_draft(rater=rater, step=step, data=data, time_spent_seconds=30)

    def submit():
        with contextlib.suppress(questionnaire.ResponseIncomplete):
            response_submit(rater=rater)

    threads = [
        threading.Thread(target=work, args=(a,)) for a in (save_all, save_all, submit, submit)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    response_submit(rater=rater)
    assert Response.objects.filter(cycle=world.cycle).count() == 2
    assert Answer.objects.filter(response__cycle=world.cycle).count() == 2 * len(criteria)


def test_query_counts_per_rater_request(client, world, django_assert_max_num_queries):
    """Pinned: one query loads the rater (invitation, cycle and its status, person and
    providers joined; criteria cached per process), one reads his responses with their answers
    (plus one for open answers on the step form). Counts include the test transaction's
    SAVEPOINT/RELEASE pairs. Before the first 2026-11-23 optimisation: 5-7 per page, 15 per
    step POST, 11 per submit; before the second: 9 per new response, 7 per existing one."""
    _open(client, world)
    client.get(reverse("rater:home"))  # warms the per-process criteria cache
    first = step_post(world, GOOD)
    dni = {"did_not_interact": "1"}
    # Home also asks whether the rated departments report any action ("what we changed"):
    # the cycle, the previous published cycle, and one EXISTS.
    with django_assert_max_num_queries(5):
        assert client.get(reverse("rater:home")).status_code == 200
    with django_assert_max_num_queries(2):
        assert client.get(reverse("rater:step", args=[1])).status_code == 200
    # New response: load, locked read, INSERT (ON CONFLICT DO NOTHING, no savepoint), answers,
    # open answers (+ the transaction's SAVEPOINT/RELEASE here; BEGIN/COMMIT, not counted, in
    # production).
    with django_assert_max_num_queries(7):
        assert client.post(reverse("rater:step", args=[1]), first).status_code == 302
    with django_assert_max_num_queries(3):
        assert client.get(reverse("rater:step", args=[1])).status_code == 200
    # Existing response: load, locked read, answers upsert, open answers upsert (+2); the
    # response's UPDATE only when its time bucket or "did not interact" changed (not here).
    with django_assert_max_num_queries(6):
        assert client.post(reverse("rater:autosave", args=[1]), first).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.post(reverse("rater:step", args=[1]), first).status_code == 302
    with django_assert_max_num_queries(7):
        assert client.post(reverse("rater:step", args=[2]), dni).status_code == 302
    with django_assert_max_num_queries(2):
        assert client.get(reverse("rater:summary")).status_code == 200
    # Load, locked read with answers, UPDATE status, two DELETEs for "did not interact" (+2).
    with django_assert_max_num_queries(7):
        assert client.post(reverse("rater:submit")).status_code == 302
    with django_assert_max_num_queries(2):
        assert client.get(reverse("rater:done")).status_code == 200


def test_a_response_created_by_another_tab_meanwhile_is_updated_not_duplicated(
    client, world, monkeypatch
):
    """The first locked read finds nothing, but another tab inserts the row before ours: the
    INSERT skips the conflict and the save updates that row instead."""
    _open(client, world)
    client.post(reverse("rater:autosave", args=[1]), step_post(world, {"quality": 2}))
    real_run = questionnaire._run
    hidden = []

    def run(name, build, *params):
        if name == "locked_step" and not hidden:
            hidden.append(name)
            return []  # as if the other tab had not committed yet
        return real_run(name, build, *params)

    monkeypatch.setattr(questionnaire, "_run", run)
    response = client.post(reverse("rater:step", args=[1]), step_post(world, GOOD))
    assert response.status_code == 302 and hidden
    stored = _responses(world).get()
    assert {a.criterion.code: a.score for a in stored.answers.all()} == GOOD


def test_user_text_is_escaped_on_the_step_form(client, world):
    criterion = world.cycle.criteria_set.criteria.get(code="quality")
    criterion.name_en = "Quality <b>\"&'{x}"
    criterion.description_en = "<script>alert(1)</script> %s {0}"
    criterion.save()
    _open(client, world)
    page = client.post(
        reverse("rater:step", args=[1]),
        step_post(world, {"quality": 1}, {"quality": "</textarea><i>x</i>"}, action="next"),
    )
    assert page.status_code == 200
    assert "Quality &lt;b&gt;&quot;&amp;&#x27;{x}" in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; %s {0}" in page.text
    assert "&lt;/textarea&gt;&lt;i&gt;x&lt;/i&gt;</textarea>" in page.text
    assert "<script>alert" not in page.text and "<i>x</i>" not in page.text
    # The rater's own values: his score checked, the comment box ticked, no stray markers.
    assert f'name="score-{criterion.pk}" value="1" class="extreme" checked>' in page.text
    assert "<!--slot" not in page.text
    assert page.text.count(" checked>") == 2  # the score and the comment toggle


def test_criteria_are_shown_in_each_raters_language_within_one_cycle(client, world):
    from tests.factories import PersonFactory
    from tests.surveys.factories_rater import make_invitation

    russian = PersonFactory(department=world.client_department, language="ru")
    invitation = make_invitation(world.cycle, person=russian, providers=world.providers)
    _open(client, world)
    english_page = client.get(reverse("rater:step", args=[1])).text
    other = Client()
    assert other.get(invitation_url(invitation)).status_code == 302
    russian_page = other.get(reverse("rater:step", args=[1])).text
    assert "Responsiveness" in english_page and "Оперативность" not in english_page
    assert "Оперативность" in russian_page and "Responsiveness" not in russian_page
    assert "Add a comment" in english_page and "Add a comment" not in russian_page


def test_the_deadline_is_shown_with_the_cycle(client):
    import datetime

    world = rater_world(deadline=datetime.date(2031, 3, 14))
    _open(client, world)
    assert "March 14, 2031" in client.get(reverse("rater:home")).text
