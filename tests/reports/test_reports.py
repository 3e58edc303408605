"""Dashboard, department card, exports, comments and their moderation, charts, the
publication email — on a small published cycle with every suppression case
(tests/reports/factories.py)."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from innerclient.core.models import AuditEntry, Role
from innerclient.reports import charts, selectors, services
from innerclient.reports.models import CommentModeration
from innerclient.reports.notifications import notify_publication
from innerclient.results.selectors import snapshot_current
from innerclient.surveys.models import Answer, CycleDepartmentCount
from tests.factories import OrganizationFactory, PersonFactory
from tests.reports.factories import OPEN_TEXT, SECRET_Q, SECRET_R, reports_world
from tests.surveys.factories_emails import smtp_server  # noqa: F401 (the smtp fixture)

pytestmark = pytest.mark.django_db

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.fixture
def w():
    return reports_world()


def _dashboard(w, **query):
    url = reverse("org:results_dashboard", args=[w.org.slug, w.cycle.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _card(w, department):
    return reverse("org:department_card", args=[w.org.slug, w.cycle.pk, department.pk])


def _sheets(response) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(response.content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


# --- Access ----------------------------------------------------------------------------------


def test_head_sees_his_own_card_and_not_another(client, w):
    client.force_login(w.head_p)
    assert client.get(_card(w, w.p)).status_code == 200
    assert client.get(_card(w, w.r)).status_code == 403
    export = reverse("org:card_export", args=[w.org.slug, w.cycle.pk, w.p.pk])
    assert client.get(export).status_code == 200
    assert client.get(_dashboard(w)).status_code == 200


def test_employee_gets_no_card_and_no_dashboard(client, w):
    client.force_login(w.employee)
    assert client.get(_card(w, w.c1)).status_code == 403
    assert client.get(_dashboard(w)).status_code == 403
    page = client.get(reverse("org:my_card", args=[w.org.slug]))
    assert page.status_code == 200
    assert b'data-testid="no-card"' in page.content


def test_my_card_sends_a_head_to_his_card_and_an_analyst_to_the_dashboard(client, w):
    client.force_login(w.head_p)
    response = client.get(reverse("org:my_card", args=[w.org.slug]))
    assert response.url == _card(w, w.p)
    client.force_login(w.analyst)
    response = client.get(reverse("org:my_card", args=[w.org.slug]))
    assert response.url == _dashboard(w)


def test_before_publication_no_figure_is_shown(client):
    w = reports_world(published=False)
    client.force_login(w.coordinator)
    for url in (_dashboard(w), _card(w, w.p)):
        page = client.get(url)
        assert page.status_code == 200
        assert b'data-testid="results-hidden"' in page.content
        assert b"Slow answers" not in page.content
    export = reverse("org:dashboard_export", args=[w.org.slug, w.cycle.pk])
    assert client.get(export).status_code == 404
    client.force_login(w.head_p)
    assert b"results-hidden" in client.get(_card(w, w.p)).content


# --- Anonymity -------------------------------------------------------------------------------


def test_selectors_show_only_what_the_snapshot_shows(w):
    snapshot = snapshot_current(w.cycle)
    card = selectors.department_card(snapshot, w.p.pk, viewer_role=Role.HEAD)
    shown = {view.client.code for view in card.clients}
    assert "C3" not in shown  # 2 raters
    # Hiding one view alone would let it be recovered from the total: a second one is hidden.
    assert len(shown) == 1
    hidden_q = selectors.department_card(snapshot, w.q.pk, viewer_role=Role.COORDINATOR)
    assert not hidden_q.shown
    assert hidden_q.index is None and hidden_q.rank is None and hidden_q.criteria[0].percent is None
    assert hidden_q.clients == () and hidden_q.problems == () and not hidden_q.comments.shown
    data = selectors.company_dashboard(snapshot, viewer_role=Role.HEAD)
    rows = {row.department.code: row for row in data.ranking}
    # Q is rated by too few raters: it is not in the ranking at all (a row would tell that a
    # few ratings exist), only counted in the company total.
    assert "Q" not in rows and data.hidden == 1
    assert data.integrity is None
    heat = {
        (row.code, column.code): value
        for row, values in zip(data.heatmap.rows, data.heatmap.values, strict=True)
        for column, value in zip(data.heatmap.columns, values, strict=True)
        if value is not None
    }
    assert ("P", "C3") not in heat
    assert sum(1 for provider, _client in heat if provider == "P") == 1
    assert not any(provider == "Q" for provider, _client in heat)


ROLES = ("coordinator", "analyst", "head_p", "head_q")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_export_shows_a_hidden_figure_or_comment(client, w, role):
    client.force_login(getattr(w, role))
    criteria = list(w.cycle.criteria_set.criteria.values_list("pk", flat=True))
    urls = [_dashboard(w)]
    urls += [_dashboard(w, division=w.division.pk), _dashboard(w, division=w.other.pk)]
    urls += [_dashboard(w, criterion=pk) for pk in criteria[:3]]
    urls += [reverse("org:dashboard_export", args=[w.org.slug, w.cycle.pk])]
    for department in (w.p, w.q, w.r):
        urls += [
            _card(w, department),
            reverse("org:card_export", args=[w.org.slug, w.cycle.pk, department.pk]),
        ]
    seen = 0
    for url in urls:
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, url
        seen += 1
        body = response.content
        if response["Content-Type"].startswith("application/vnd"):
            body = repr(_sheets(response)).encode()
        assert SECRET_R.encode() not in body, url
        assert SECRET_Q.encode() not in body, url
        assert b'data-testid="client-C3"' not in body
        assert b'data-testid="heat-Q"' not in body
        assert b"integrity" not in body.lower() or role in ("coordinator", "analyst"), url
    assert seen >= 4


def test_exported_ranking_leaves_hidden_figures_empty(client, w):
    client.force_login(w.analyst)
    sheets = _sheets(client.get(reverse("org:dashboard_export", args=[w.org.slug, w.cycle.pk])))
    ranking = sheets["Ranking"]
    rows = {row[1]: row for row in ranking[1:]}
    assert "Q" not in rows  # hidden departments are counted, never named
    assert ranking[-1][2].startswith("1 more department in the company: not shown")
    assert isinstance(rows["P"][4], float)
    heatmap = sheets["Heatmap"]
    header = heatmap[0]
    assert "C3" not in header
    assert "Integrity flags" in sheets


def test_head_export_has_no_integrity_sheet(client, w):
    client.force_login(w.head_q)
    sheets = _sheets(client.get(reverse("org:dashboard_export", args=[w.org.slug, w.cycle.pk])))
    assert "Integrity flags" not in sheets


# --- Comments --------------------------------------------------------------------------------


def test_card_shows_comments_grouped_without_attribution_and_neutralised_in_export(client, w):
    client.force_login(w.head_p)
    page = client.get(_card(w, w.p)).content.decode()
    assert "Slow answers" in page and "Great team" in page and OPEN_TEXT in page
    section = page[page.index('data-testid="card-comments"') :]
    section = section[: section.index("</section>")]
    assert "Client One" not in section and "C1" not in section
    # Alphabetical, not in the order they were written.
    assert section.index("Great team") < section.index("Late again") < section.index("Slow")
    export = reverse("org:card_export", args=[w.org.slug, w.cycle.pk, w.p.pk])
    comments = _sheets(client.get(export))["Comments"]
    texts = [row[1] for row in comments[1:]]
    assert '\'=HYPERLINK("http://evil")' in texts
    assert not any(str(t).startswith("=") for t in texts)


def test_comments_below_the_comment_threshold_stay_hidden(client, w):
    client.force_login(w.coordinator)
    page = client.get(_card(w, w.r)).content
    assert b'data-testid="comments-hidden"' in page
    assert SECRET_R.encode() not in page


def test_coordinator_hides_and_restores_a_comment_with_a_recorded_reason(client, w):
    answer = Answer.objects.filter(response__provider=w.p, comment="Great team").first()
    client.force_login(w.coordinator)
    hide = reverse("org:comment_hide", args=[w.org.slug, w.cycle.pk])
    response = client.post(
        hide,
        {"kind": "answer", "comment_id": answer.pk, "reason": "Insulting", "next": _card(w, w.p)},
    )
    assert response.status_code == 302 and response.url == _card(w, w.p)
    moderation = CommentModeration.objects.get(comment_id=answer.pk)
    assert selectors.hidden_comment_ids(w.cycle) == {answer.pk}
    assert AuditEntry.objects.filter(action="comment.hide", object_id=str(moderation.pk)).exists()

    page = client.get(_card(w, w.p)).content.decode()
    assert "Insulting" in page and 'data-testid="comment-restore"' in page
    hidden = [m.group(0) for m in re.finditer(r"<s>[^<]*</s>", page)]
    assert hidden == ["<s>Great team</s>"]  # struck out for the coordinator only

    # The same rater wrote "Great team" under each of the 8 criteria: one is hidden.
    client.force_login(w.head_p)
    page = client.get(_card(w, w.p)).content.decode()
    assert page.count("Great team") == 7 and "Insulting" not in page
    assert "Slow answers" in page
    export = reverse("org:card_export", args=[w.org.slug, w.cycle.pk, w.p.pk])
    assert repr(_sheets(client.get(export))).count("Great team") == 7

    client.force_login(w.coordinator)
    restore = reverse("org:comment_restore", args=[w.org.slug, moderation.pk])
    client.post(restore)
    moderation.refresh_from_db()
    assert not moderation.is_active and moderation.restored_by == w.coordinator
    assert selectors.hidden_comment_ids(w.cycle) == set()
    client.force_login(w.head_p)
    assert client.get(_card(w, w.p)).content.decode().count("Great team") == 8
    assert AuditEntry.objects.filter(action="comment.restore").count() == 1


def test_comment_hide_refuses_bad_requests(w):
    answer = Answer.objects.filter(response__provider=w.p).exclude(comment="").first()
    with pytest.raises(ValidationError):
        services.comment_hide(
            actor=w.coordinator, organization=w.org, kind="answer", comment_id=answer.pk, reason=" "
        )
    with pytest.raises(ValidationError):
        services.comment_hide(
            actor=w.coordinator,
            organization=OrganizationFactory(),
            kind="answer",
            comment_id=answer.pk,
            reason="x",
        )
    services.comment_hide(
        actor=w.coordinator, organization=w.org, kind="answer", comment_id=answer.pk, reason="x"
    )
    with pytest.raises(ValidationError):
        services.comment_hide(
            actor=w.coordinator, organization=w.org, kind="answer", comment_id=answer.pk, reason="y"
        )


def test_head_cannot_hide_a_comment(client, w):
    answer = Answer.objects.filter(response__provider=w.p).exclude(comment="").first()
    client.force_login(w.head_p)
    hide = reverse("org:comment_hide", args=[w.org.slug, w.cycle.pk])
    response = client.post(hide, {"kind": "answer", "comment_id": answer.pk, "reason": "x"})
    assert response.status_code == 403
    assert not CommentModeration.objects.exists()


# --- Pages -----------------------------------------------------------------------------------


def test_dashboard_filters_work_without_javascript_and_as_an_htmx_partial(client, w):
    client.force_login(w.analyst)
    full = client.get(_dashboard(w, division=w.division.pk)).content.decode()
    assert "<html" in full and 'data-testid="rank-P"' in full
    assert 'data-testid="rank-C1"' not in full  # another division
    partial = client.get(_dashboard(w, division=w.division.pk), HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and 'id="dashboard-body"' in body
    assert 'data-testid="rank-P"' in body


def test_card_links_problem_areas_to_action_planning(client, w):
    client.force_login(w.head_p)
    snapshot = snapshot_current(w.cycle)
    card = selectors.department_card(snapshot, w.p.pk, viewer_role=Role.HEAD)
    page = client.get(_card(w, w.p)).content.decode()
    assert 'data-testid="card-actions"' in page
    if card.problems:
        try:
            base = reverse("org:action_create", args=[w.org.slug])
        except Exception:  # the action plans page is not there yet
            return
        assert f"{base}?cycle={w.cycle.pk}&amp;department={w.p.pk}&amp;kind=" in page


def test_reciprocity_pairs_my_view_of_a_provider_with_its_view_of_me(w):
    snapshot = snapshot_current(w.cycle)
    card = selectors.department_card(snapshot, w.p.pk, viewer_role=Role.HEAD)
    rows = {row.partner.code: row for row in card.reciprocity}
    assert rows["C1"].i_rate_them is not None  # P's 6 raters rate C1
    shown_views = {view.client.code for view in card.clients}
    for code, row in rows.items():
        assert (row.they_rate_me is not None) == (code in shown_views)


def test_dashboard_query_count_is_pinned(client, w, django_assert_num_queries):
    client.force_login(w.analyst)
    client.get(_dashboard(w))  # warm the chart cache
    # session, user, membership, cycle, snapshot, departments, criteria, response rates,
    # and the page header's memberships
    with django_assert_num_queries(9):
        assert client.get(_dashboard(w)).status_code == 200


def test_card_query_count_is_pinned(client, w, django_assert_num_queries):
    client.force_login(w.head_p)
    client.get(_card(w, w.p))
    # session, user, membership, cycle, department, snapshot, departments, criteria,
    # comments (answers, open answers, moderations, questions), the header's memberships,
    # and the action plans block (earlier published cycles, their snapshots, the actions)
    with django_assert_num_queries(16):
        assert client.get(_card(w, w.p)).status_code == 200


# --- Charts ----------------------------------------------------------------------------------


def test_charts_are_deterministic_svg_with_text_kept_as_text():
    points = [("2026 Q1", 60.0, None, None), ("2026 Q2", 64.5, 61.0, 68.0)]
    first = charts.trend_chart(points, significant=True)
    assert first == charts.trend_chart(points, significant=True)
    assert first.startswith("<svg") and "viewBox" in first and "64.5" in first
    rows = [("Оперативность", 55.0, 75.0), ("Качество результата", None, 50.0)]
    svg = charts.criteria_chart(rows, clients_label="Клиенты", self_label="Самооценка")
    assert "Оперативность" in svg and "Самооценка" in svg  # <text>, not glyph paths
    assert charts.sparkline([1.0, None, 3.0]) == charts.sparkline([1.0, None, 3.0])
    assert "<svg" in charts.distribution_chart([50.0, 60.0, 70.0], highlight=60.0)
    assert "<svg" in charts.ranking_chart([("Отдел $x$", 70.0, 65.0, 75.0)])


def test_card_charts_in_russian_carry_cyrillic_text(russian_client, w):
    russian_client.force_login(w.head_p)
    with translation.override("ru"):
        page = russian_client.get(_card(w, w.p)).content.decode()
    svgs = re.findall(r"<svg class=\"chart\".*?</svg>", page, flags=re.S)
    assert svgs, "the card has charts"
    assert any(CYRILLIC.search(re.sub(r"<[^>]+>", " ", svg)) for svg in svgs)


def test_chart_cache_is_keyed_by_snapshot(w):
    calls = []

    def render():
        calls.append(1)
        return f"<svg>{len(calls)}</svg>"

    assert charts.cached(10**6, "test", {"a": 1}, render) == "<svg>1</svg>"
    assert charts.cached(10**6, "test", {"a": 1}, render) == "<svg>1</svg>"
    assert charts.cached(10**6 + 1, "test", {"a": 1}, render) == "<svg>2</svg>"


# --- Publication email -----------------------------------------------------------------------


def test_heads_get_one_publication_email_each_with_a_link_to_their_card(smtp, client, w):
    english = PersonFactory(department=w.p, language="en", email="head.p@example.test")
    russian = PersonFactory(department=w.r, language="ru", email="head.r@example.test")
    w.p.head, w.r.head = english, russian
    w.p.save()
    w.r.save()
    w.q.head = PersonFactory(department=w.q, email="head.q@example.test")
    w.q.save()

    # Q is rated by too few raters: stored as not rated, its head gets no email, exactly
    # like the head of a department nobody rated.
    assert notify_publication(w.cycle) == 2
    assert sorted(smtp.recipients) == sorted(["head.p@example.test", "head.r@example.test"])
    [message] = smtp.to("head.p@example.test")
    assert w.cycle.name in message.subject
    path = _card(w, w.p)
    assert f"https://inner.test{path}" in message.text
    assert path in message.html
    [message] = smtp.to("head.r@example.test")
    assert message.message["Content-Language"] == "ru"
    client.force_login(w.head_p)
    assert client.get(path).status_code == 200
    assert AuditEntry.objects.filter(action="results.notify").exists()


def test_no_publication_email_before_publication(smtp):
    w = reports_world(published=False)
    w.p.head = PersonFactory(department=w.p, email="head.p@example.test")
    w.p.save()
    assert notify_publication(w.cycle) == 0
    assert smtp.messages == []


def test_dashboard_counts_queries_independently_of_filters(client, w):
    client.force_login(w.coordinator)
    client.get(_dashboard(w))
    counts = []
    for query in ({}, {"division": w.division.pk}, {"sort": "name"}):
        client.get(_dashboard(w, **query))
        with CaptureQueriesContext(connection) as captured:
            client.get(_dashboard(w, **query))
        counts.append(len(captured))
    assert len(set(counts)) == 1


def test_response_rates_of_departments_below_k_are_shown_only_together(client, w):
    """Verification findings, point 6: "1 of 3" on a head's dashboard tells him who has not
    answered. C1 invited 8; C2 (3) and C3 (2) are below k = 5 and appear as one row in the
    page, the XLSX and the PDF; the total stays right. Zoomed into a division, no "other" row
    (and no total) can isolate a small department."""
    for department, invited, completed in ((w.c1, 8, 6), (w.c2, 3, 1), (w.c3, 2, 2)):
        CycleDepartmentCount.objects.create(
            cycle=w.cycle, department=department, invited=invited, completed=completed
        )
    client.force_login(w.head_p)

    page = client.get(_dashboard(w)).content.decode()
    rates = page[page.index('data-testid="response-rates"') :]
    rates = rates[: rates.index("</section>")]
    assert "Client One" in rates and "6 / 8" in rates
    assert "Client Two" not in rates and "Client Three" not in rates
    assert "1 / 3" not in rates and "2 / 2" not in rates
    assert 'data-testid="other-departments-rate"' in rates and "3 / 5" in rates

    export = client.get(reverse("org:dashboard_export", args=[w.org.slug, w.cycle.pk]))
    sheet = _sheets(export)["Response rates"]
    assert [row[:3] for row in sheet[1:]] == [
        ("Client One", 8, 6),
        ("Other departments", 5, 3),
        ("All", 13, 9),
    ]

    snapshot = snapshot_current(w.cycle)
    data = selectors.company_dashboard(snapshot, viewer_role=Role.ANALYST, division=w.other.pk)
    assert [(r.department.code, r.invited) for r in data.response_rates] == [("C1", 8)]
    assert data.response_other is None and data.response_overall.invited == 8
