"""No page, export, PDF or API answer can tell how the raters of a pooled unit split between
its client departments (docs/anonymity.md, "Versions, modes and cycles").

Two worlds differ only inside a pooled unit: an answer sheet of client department C3 about
P and one of C4 about P trade places. The two departments' views of P differ between the
worlds (and so would anything computed from them), while the pooled unit's raters, as a
group, gave the same answers. Every version a coordinator can produce (client departments
equal, raters equal, by volume, an upheld appeal excluding a shown view, back to client
departments equal) is computed in both worlds, and everything a head and an analyst can
read of it is collected: the dashboard and card pages, their XLSX exports, the results page
and its drill-down, the company and card PDFs, the REST API. Both worlds must read the
same, byte for byte once the CSRF token is set aside. ``tests/scoring/test_differencing``
attacks the figures as a linear system; this test covers every other figure (spreads,
intervals, tests, reliabilities, flags) and every output path.
"""

import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from innerclient.core.models import Role
from innerclient.results.models import MethodologySettings, ResultSnapshot
from innerclient.results.services import methodology_update, results_compute
from innerclient.surveys.models import Answer, Cycle, Response
from tests.api.conftest import bearer, make_token
from tests.factories import DepartmentFactory, InteractionLinkFactory, MembershipFactory
from tests.regulation.pdftext import pdf_text
from tests.results.factories import closed_cycle, plant_response, publish

pytestmark = pytest.mark.django_db

FROZEN = dt.datetime(2027, 4, 1, 12, 0, tzinfo=dt.UTC)


def _world(org):
    names = ["P", "R", "Q", "C1", "C2", "C3", "C4", "C5"]
    d = {code: DepartmentFactory(organization=org, code=code, name_en=code) for code in names}
    for client, provider, volume in [
        ("C1", "P", 40),
        ("C2", "P", 10),
        ("C3", "P", 25),
        ("C4", "P", 5),
        ("C1", "R", 12),
        ("C3", "R", 30),
        ("C5", "R", 8),
        ("C2", "Q", 3),
    ]:
        InteractionLinkFactory(client=d[client], provider=d[provider], volume=volume)
    cycle = closed_cycle(org, name="2027 Q1")
    plan = {
        ("P", "C1"): [[4, 4, 3, 4, 5, 4, 3, 4]] * 3 + [[5, 4, 4, 4, 5, 4, 4, 5]] * 3,
        ("P", "C2"): [[3, 3, 3, 3, 4, 3, 2, 3]] * 4 + [[2, 3, 3, 2, 3, 3, 2, 3]] * 2,
        ("P", "C3"): [[1, 2, 1, 2, 2, 1, 1, 1]] * 2,  # pooled with C4 (2 + 3 raters)
        ("P", "C4"): [[5, 5, 4, 5, 5, 5, 4, 5]] * 3,
        ("R", "C1"): [[4] * 8] * 6,
        ("R", "C3"): [[2, 3, 2, 3, 2, 3, 2, 3]] * 2,
        ("R", "C5"): [[3, 4, 3, 4, 3, 4, 3, 4]] * 4,
        ("Q", "C2"): [[2] * 8] * 3,  # hidden altogether
        ("C1", "P"): [[5, 4, 4, 4, 4, 4, 4, 4]] * 6,
    }
    for (provider, client), sheets in plan.items():
        for i, scores in enumerate(sheets):
            plant_response(
                cycle,
                provider=d[provider],
                client=d[client],
                scores=scores,
                seconds=60 + 10 * i,
            )
    plant_response(cycle, provider=d["P"], client=d["P"], scores=[5] * 8, kind="self")
    return cycle, d


def _swap_inside_the_pool(cycle, d):
    """One C3 answer sheet about P and one of C4 trade places (their responses keep their
    rater keys, times and comments)."""
    c3 = Response.objects.filter(cycle=cycle, provider=d["P"], rater_department=d["C3"]).first()
    c4 = Response.objects.filter(cycle=cycle, provider=d["P"], rater_department=d["C4"]).first()
    a = {x.criterion_id: x.score for x in Answer.objects.filter(response=c3)}
    b = {x.criterion_id: x.score for x in Answer.objects.filter(response=c4)}
    assert a != b
    for criterion, score in b.items():
        Answer.objects.filter(response=c3, criterion_id=criterion).update(score=score)
    for criterion, score in a.items():
        Answer.objects.filter(response=c4, criterion_id=criterion).update(score=score)


def _versions(cycle, org, coordinator, d):
    """Every kind of version: published, two other modes, an appeal, back to the first."""
    translation.activate("en")  # reasons are stored in the language of the moment
    publish(cycle, actor=coordinator)
    for mode in ("rater_equal", "volume"):
        methodology_update(actor=coordinator, organization=org, values={"aggregation": mode})
        results_compute(actor=coordinator, cycle=cycle, reason=mode)
    methodology_update(actor=coordinator, organization=org, values={"aggregation": "client_equal"})
    results_compute(
        actor=coordinator, cycle=cycle, reason="appeal", exclusions=[(d["P"].pk, d["C1"].pk)]
    )
    results_compute(actor=coordinator, cycle=cycle, reason="again")


CSRF = re.compile(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[A-Za-z0-9]+')


def _sheets(content: bytes):
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def _read_everything(cycle, org, d, readers, api_client):
    seen = {}
    slug = org.slug
    versions = list(
        ResultSnapshot.objects.filter(cycle=cycle)
        .order_by("version")
        .values_list("version", flat=True)
    )
    for role, user in readers.items():
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        for version in versions:
            query = f"?version={version}"
            urls = {
                "dashboard": reverse("org:results_dashboard", args=[slug, cycle.pk]),
                "dashboard.xlsx": reverse("org:dashboard_export", args=[slug, cycle.pk]),
                "results": reverse("org:cycle_results", args=[slug, cycle.pk]),
            }
            for code in ("P", "R", "Q"):
                pk = d[code].pk
                urls[f"card-{code}"] = reverse("org:department_card", args=[slug, cycle.pk, pk])
                urls[f"card-{code}.xlsx"] = reverse("org:card_export", args=[slug, cycle.pk, pk])
                urls[f"drill-{code}"] = reverse("org:department_result", args=[slug, cycle.pk, pk])
            if version in (versions[0], versions[-1]):
                urls["company.pdf"] = reverse("org:company_pdf", args=[slug, cycle.pk])
                urls["card-P.pdf"] = reverse("org:card_pdf", args=[slug, cycle.pk, d["P"].pk])
            for name, url in urls.items():
                response = client.get(url + query)
                body = response.content
                kind = response.get("Content-Type", "")
                if response.status_code == 200 and "spreadsheet" in kind:
                    body = repr(_sheets(body)).encode()
                elif response.status_code == 200 and "pdf" in kind:
                    body = pdf_text(body).encode()
                seen[role, version, name] = (response.status_code, CSRF.sub(rb"\1", body))
    api = api_client.get(f"/api/v1/cycles/{cycle.pk}/results")
    seen["api"] = (api.status_code, api.content)
    return seen


def test_nothing_anyone_reads_tells_how_a_pooled_unit_split(org, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: FROZEN)
    cycle, d = _world(org)
    coordinator = MembershipFactory(organization=org, role=Role.COORDINATOR).user
    readers = {
        "analyst": MembershipFactory(organization=org, role=Role.ANALYST).user,
        "head": MembershipFactory(organization=org, role=Role.HEAD, department=d["P"]).user,
    }
    api_client = bearer(make_token(org))

    _versions(cycle, org, coordinator, d)
    first_version = ResultSnapshot.objects.get(cycle=cycle, version=1)
    p = first_version.payload["providers"][first_version.departments.index(d["P"].pk)]
    assert p["shown"] and (p["pooled"]["departments"], p["pooled"]["n_raters"]) == (2, 5)
    first = _read_everything(cycle, org, d, readers, api_client)

    # The other world: the same cycle, one answer sheet traded inside the pool.
    ResultSnapshot.objects.filter(cycle=cycle).delete()
    cache.clear()  # charts are cached by snapshot id, and ids may be reused
    MethodologySettings.objects.filter(organization=org).delete()
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CLOSED, published_at=None)
    cycle.refresh_from_db()
    _swap_inside_the_pool(cycle, d)
    _versions(cycle, org, coordinator, d)
    second = _read_everything(cycle, org, d, readers, api_client)

    assert first.keys() == second.keys()
    assert sum(1 for status, _body in first.values() if status == 200) > 40
    different = [key for key in first if first[key] != second[key]]
    assert different == [], _first_difference(first, second, different)


def _first_difference(first, second, keys):
    """Where the first differing output differs, for the failure message."""
    key = keys[0]
    a = first[key][1].decode(errors="replace").splitlines()
    b = second[key][1].decode(errors="replace").splitlines()
    for line_a, line_b in zip(a, b, strict=False):
        if line_a != line_b:
            shown = f"{line_a.strip()[:300]!r} != {line_b.strip()[:300]!r}"
            return f"{len(keys)} outputs differ; {key}: {shown}"
    return f"{len(keys)} outputs differ; {key}: lengths {len(a)} != {len(b)}"
