"""The demo company's four past evaluation cycles: shape, anonymity of the stored responses,
justifications, the planted effects (with simple means over the raw rows), determinism.

One generation is shared by the module; it lives in an outer transaction that is rolled back
when the module ends, and each test runs in a savepoint.
"""

import datetime as dt
import io
import itertools
import re
from collections import defaultdict
from statistics import mean, median
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, models, transaction
from django.test import override_settings

from innerclient.core.models import AuditEntry
from innerclient.demo.build import DEFAULT_ANCHOR, DemoConfig, demo_build
from innerclient.demo.cycles import (
    PLANTED,
    cycle_dates,
    cycles_fingerprint,
    past_quarters,
)
from innerclient.surveys.criteria import DEFAULT_CRITERIA
from innerclient.surveys.models import (
    Answer,
    Assignment,
    Cycle,
    CycleDepartmentCount,
    Invitation,
    OpenAnswer,
    RaterKind,
    Response,
)
from innerclient.surveys.tokens import link_token, rater_key, self_rater_key
from tests.surveys.dump_attack import Dump, attack

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
NAMES = ["2025 Q4", "2026 Q1", "2026 Q2", "2026 Q3"]
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER),
        transaction.atomic(),
    ):
        ctx = demo_build(DemoConfig())
        org = ctx.organization
        # Every clients' score (and self-assessment) once, for the effect tests:
        # (cycle, provider, rater's department, kind, score).
        scores = list(
            Answer.objects.filter(response__cycle__organization=org).values_list(
                "response__cycle__name",
                "response__provider__code",
                "response__rater_department__code",
                "response__rater_kind",
                "score",
            )
        )
        yield SimpleNamespace(ctx=ctx, org=org, fingerprint=cycles_fingerprint(org), scores=scores)
        transaction.set_rollback(True)


@pytest.fixture
def cycles(demo, db):
    return list(Cycle.objects.filter(organization=demo.org).order_by("opened_at"))


def _run(*args) -> str:
    out = io.StringIO()
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        call_command("demo_company", *args, stdout=out)
    return out.getvalue()


def _mean(
    scores,
    *,
    cycle=None,
    provider=None,
    client=None,
    not_client=None,
    own=False,
    minimum: int = 40,
) -> float:
    """The mean clients' score (or self-assessment, with ``own``) over the rows that match."""
    values = [
        score
        for c, p, r, kind, score in scores
        if (kind == RaterKind.SELF) == own
        and cycle in (None, c)
        and provider in (None, p)
        and client in (None, r)
        and r != not_client
    ]
    assert len(values) >= minimum, "too few scores for a mean"
    return mean(values)


# --- Shape


def test_four_published_quarterly_cycles_on_the_frozen_default_criteria(demo, cycles):
    assert [cycle.name for cycle in cycles] == NAMES
    criteria_sets = {cycle.criteria_set_id for cycle in cycles}
    assert len(criteria_sets) == 1
    criteria_set = cycles[0].criteria_set
    assert criteria_set.is_frozen and criteria_set.version == 1
    assert [c.code for c in criteria_set.criteria.all()] == [c.code for c in DEFAULT_CRITERIA]
    assert criteria_set.open_questions.count() == 1
    for cycle in cycles:
        assert cycle.status == Cycle.Status.PUBLISHED
        assert cycle.scale == "1-5" and cycle.anonymity_threshold == 5
        assert cycle.rater_mode == Cycle.RaterMode.SAMPLE and cycle.include_self_assessment
        created, opened = cycle.created_at.date(), cycle.opened_at.date()
        closed, published = cycle.closed_at.date(), cycle.published_at.date()
        assert created < opened < cycle.deadline < closed < published < DEFAULT_ANCHOR
    # One quarter apart, oldest first; Cycle's default ordering shows the newest first.
    assert (
        list(Cycle.objects.filter(organization=demo.org).values_list("name", flat=True))
        == (NAMES[::-1])
    )


def test_response_volumes_rates_and_did_not_interact(demo, cycles):
    for cycle in cycles:
        invitations = Invitation.objects.filter(cycle=cycle)
        # Closed as every cycle closes: who finished is erased, the department counts stay.
        assert set(invitations.values_list("status", flat=True)) == {"closed"}
        counts = CycleDepartmentCount.objects.filter(cycle=cycle)
        invited = sum(c.invited for c in counts)
        assert invited == invitations.count()
        assert 0.70 <= sum(c.completed for c in counts) / invited <= 0.87
        assert sum(c.started for c in counts) == 0
        responses = Response.objects.filter(cycle=cycle)
        assert 1_000 <= responses.count() <= 4_000
        assert not responses.exclude(status=Response.Status.SUBMITTED).exists()
        skipped = responses.filter(did_not_interact=True).count()
        assert 0.02 <= skipped / responses.count() <= 0.09
        # Self-assessments: about one per rated department.
        assert 40 <= responses.filter(rater_kind=RaterKind.SELF).count() <= 70
    assert demo.ctx.cycles.responses == Response.objects.filter(cycle__in=cycles).count()


def test_answers_are_shaped_as_the_questionnaire_writes_them(demo, cycles):
    responses = Response.objects.filter(cycle__in=cycles)
    answers = Answer.objects.filter(response__cycle__in=cycles)
    assert not answers.filter(response__did_not_interact=True).exists()
    assert not OpenAnswer.objects.filter(response__did_not_interact=True).exists()
    per_response = answers.values("response").annotate(n=models.Count("pk"))
    assert {row["n"] for row in per_response} == {len(DEFAULT_CRITERIA)}
    assert per_response.count() == responses.filter(did_not_interact=False).count()
    assert set(answers.values_list("score", flat=True)) == {1, 2, 3, 4, 5}
    texts = OpenAnswer.objects.filter(response__cycle__in=cycles).exclude(text="")
    assert 0.05 * per_response.count() <= texts.count() <= 0.4 * per_response.count()
    assert all(CYRILLIC.search(text) for text in texts.values_list("text", flat=True))
    seconds = list(responses.values_list("time_spent_seconds", flat=True))
    assert all(s % 10 == 0 and 0 < s <= 4 * 3600 for s in seconds)
    assert 40 <= median(seconds) <= 180


def test_every_low_score_has_a_russian_justification(demo, cycles):
    answers = Answer.objects.filter(response__cycle__in=cycles)
    low = answers.filter(score__lte=2)
    assert low.count() > 1_000
    assert not low.filter(comment="").exists()
    assert all(
        CYRILLIC.search(c) for c in answers.exclude(comment="").values_list("comment", flat=True)
    )
    # A few high scores carry a comment too, but most answers have none.
    assert answers.filter(score=5).exclude(comment="").exists()
    assert answers.exclude(comment="").count() < 0.15 * answers.count()


# --- Anonymity: keys derived from the invitations, and no other link


def test_every_response_is_keyed_by_an_invitations_derived_key(demo, cycles):
    assert not Assignment.objects.filter(invitation__cycle__in=cycles).exists()  # erased
    for cycle in cycles:
        client_keys, self_keys = {}, {}
        for pk, public_id, department in Invitation.objects.filter(cycle=cycle).values_list(
            "pk", "public_id", "person__department_id"
        ):
            token = link_token(str(public_id))
            client_keys[rater_key(token)] = (pk, department)
            self_keys[self_rater_key(token)] = (pk, department)
        answered = defaultdict(set)  # department -> invitations with answers
        for key, provider_id, department, kind in Response.objects.filter(cycle=cycle).values_list(
            "rater_key", "provider_id", "rater_department_id", "rater_kind"
        ):
            own = provider_id == department
            assert kind == (RaterKind.SELF if own else "client")  # never "head"
            pk, invited_from = (self_keys if own else client_keys)[key]
            assert invited_from == department
            answered[department].add(pk)
        # Everyone who answered finished; the counts kept at close agree.
        for count in CycleDepartmentCount.objects.filter(cycle=cycle):
            assert count.completed == len(answered[count.department_id])


def test_a_keyless_dump_of_the_demo_links_no_rater_to_a_person(demo, cycles):
    """Verification findings, point 3: before the fix the attack tied 205 of the 1,390 rater
    keys of the four cycles to exactly one invitation (tests/surveys/dump_attack.py)."""
    found = attack(Dump.read(), cycle_ids=[cycle.pk for cycle in cycles])
    assert found.raters > 1_000
    assert found.linked == [], found.summary()


def test_responses_have_no_other_link_to_invitations(demo, cycles):
    for model in (Response, Answer, OpenAnswer):
        for field in model._meta.concrete_fields:
            assert not isinstance(field, models.DateField | models.DateTimeField), field
            if field.is_relation:
                assert field.related_model.__name__ in {
                    "Cycle",
                    "Department",
                    "Criterion",
                    "OpenQuestion",
                    "Response",
                }, field
        assert isinstance(model._meta.pk, models.UUIDField)
    physical = "rowid" if connection.vendor == "sqlite" else "ctid"
    for cycle in cycles:
        order = {}
        for rank, public_id in enumerate(
            Invitation.objects.filter(cycle=cycle)
            .order_by("pk")
            .values_list("public_id", flat=True)
        ):
            token = link_token(str(public_id))
            order[rater_key(token)] = order[self_rater_key(token)] = rank
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rater_key FROM surveys_response WHERE cycle_id = %s ORDER BY {physical}",
                [cycle.pk],
            )
            stored = [row[0] for row in cursor.fetchall()]
        # Rows are not written rater by rater, nor in the order of the invitations.
        together = sum(a == b for a, b in itertools.pairwise(stored))
        assert together < 0.05 * len(stored)
        ranks = [order[key] for key in stored]
        assert abs(_correlation(list(range(len(ranks))), ranks)) < 0.1


def _correlation(xs: list[float], ys: list[float]) -> float:
    mx, my = mean(xs), mean(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = sum((x - mx) ** 2 for x in xs)
    vy = sum((y - my) ** 2 for y in ys)
    return cov / (vx * vy) ** 0.5


# --- Planted effects, visible with simple means


def test_improver_rises_and_decliner_falls_every_cycle(demo):
    for code, sign in ((PLANTED.improver, 1), (PLANTED.decliner, -1)):
        means = [_mean(demo.scores, cycle=name, provider=code) for name in NAMES]
        steps = [sign * (b - a) for a, b in itertools.pairwise(means)]
        assert all(step > 0.1 for step in steps), (code, means)
        assert sign * (means[-1] - means[0]) > 0.5, (code, means)


def test_lenient_client_gives_more_than_the_others(demo):
    lenient = PLANTED.lenient_client
    given = _mean(demo.scores, client=lenient)
    others = _mean(demo.scores, not_client=lenient)
    assert given > others + 0.5
    # The most lenient of all client departments.
    by_client = defaultdict(list)
    for _c, _p, client, kind, score in demo.scores:
        if kind != RaterKind.SELF:
            by_client[client].append(score)
    assert max(by_client, key=lambda d: mean(by_client[d])) == lenient


def test_mutual_pair_rates_each_other_above_what_others_give(demo):
    first, second = PLANTED.pair
    for rater, provider in ((first, second), (second, first)):
        mutual = _mean(demo.scores, provider=provider, client=rater)
        others = _mean(demo.scores, provider=provider, not_client=rater)
        assert mutual > others + 0.6, (rater, provider, mutual, others)


def test_inflated_self_assessment_far_above_the_clients_view(demo):
    code = PLANTED.inflated_self
    # One head, eight criteria, four cycles.
    own = _mean(demo.scores, provider=code, own=True, minimum=32)
    clients = _mean(demo.scores, provider=code)
    assert own - clients > 1.0
    # Every cycle has it: the head answered every time.
    selves = Response.objects.filter(
        cycle__organization=demo.org, provider__code=code, rater_kind=RaterKind.SELF
    )
    assert sorted(selves.values_list("cycle__name", flat=True)) == NAMES


# --- Planted effects, found by the stored results (issue 4's methodology)


@pytest.fixture
def snapshots(demo, db):
    """Each past cycle's stored result, oldest first, with a code -> department-code map."""
    from innerclient.org.models import Department
    from innerclient.results.models import ResultSnapshot

    codes = dict(Department.objects.filter(organization=demo.org).values_list("pk", "code"))
    found = []
    for snapshot in ResultSnapshot.objects.filter(cycle__organization=demo.org).order_by(
        "cycle__opened_at"
    ):
        found.append((snapshot, [codes[pk] for pk in snapshot.departments]))
    assert [s.cycle.name for s, _names in found] == NAMES
    assert all(s.version == 1 for s, _names in found)
    return found


def test_results_flag_the_improver_and_the_decliner(snapshots):
    for snapshot, names in snapshots[1:]:
        change = snapshot.payload["change"]
        significant = {
            names[i]: change["delta"][i] for i, hit in enumerate(change["significant"]) if hit
        }
        assert significant.get(PLANTED.improver, 0) > 0, snapshot.cycle.name
        assert significant.get(PLANTED.decliner, 0) < 0, snapshot.cycle.name
    change = snapshots[-1][0].payload["change"]
    names = snapshots[-1][1]
    slope = dict(zip(names, change["trend_slope"], strict=True))
    p = dict(zip(names, change["trend_p"], strict=True))
    assert slope[PLANTED.improver] > 0 and p[PLANTED.improver] < 0.05
    assert slope[PLANTED.decliner] < 0 and p[PLANTED.decliner] < 0.05


def test_results_show_the_lenient_client_as_the_most_lenient_department(snapshots):
    for snapshot, names in snapshots:
        leniency = snapshot.payload["adjustment"]["leniency"]
        best = max((v, names[i]) for i, v in enumerate(leniency) if v is not None)
        assert best[1] == PLANTED.lenient_client, snapshot.cycle.name


def test_results_flag_the_mutual_inflation_pair_and_nothing_else(snapshots):
    for snapshot, names in snapshots:
        pairs = [
            {names[pair["a"]], names[pair["b"]]}
            for pair in snapshot.payload["integrity"]["inflation_pairs"]
        ]
        assert pairs == [set(PLANTED.pair)], snapshot.cycle.name


def test_results_flag_the_inflated_self_assessment(snapshots):
    for snapshot, names in snapshots:
        gaps = {
            names[problem["department"]]
            for problem in snapshot.payload["problems"]
            if problem["kind"] == "self_gap"
        }
        assert PLANTED.inflated_self in gaps, snapshot.cycle.name
        code = names.index(PLANTED.inflated_self)
        provider = snapshot.payload["providers"][code]
        assert provider["self_index"] - provider["index"] > 25, snapshot.cycle.name


def test_generation_is_recorded_in_the_audit_log(demo, db):
    entry = AuditEntry.objects.get(organization=demo.org, action="demo.generate")
    assert "cycles" in entry.changes["steps"]
    assert entry.changes["cycles"]["names"] == NAMES
    assert entry.changes["cycles"]["responses"] == demo.ctx.cycles.responses


# --- Determinism and the command


def test_same_seed_gives_the_same_responses_and_the_command_names_the_effects(demo, db):
    output = _run("--slug", "demo-twin")
    line = next(row for row in output.splitlines() if row.startswith("Cycles fingerprint: "))
    assert line.split()[-1] == demo.fingerprint
    for code in (
        PLANTED.improver,
        PLANTED.decliner,
        PLANTED.lenient_client,
        *PLANTED.pair,
        PLANTED.inflated_self,
    ):
        assert code in output
    assert "2025 Q4, 2026 Q1, 2026 Q2, 2026 Q3" in output


def test_no_cycles_leaves_them_out(demo, db):
    output = _run("--slug", "demo-bare", "--no-cycles")
    assert "Cycles fingerprint" not in output and "Planted" not in output
    assert not Cycle.objects.filter(organization__slug="demo-bare").exists()
    assert Cycle.objects.filter(organization=demo.org).count() == 4


def test_quarters_and_dates_come_before_the_anchor():
    assert past_quarters(dt.date(2026, 10, 31)) == [(2025, 3), (2026, 0), (2026, 1), (2026, 2)]
    assert past_quarters(dt.date(2027, 1, 1))[-1] == (2026, 3)
    for anchor in (dt.date(2026, 10, 1), dt.date(2027, 1, 1), dt.date(2026, 12, 31)):
        for year, quarter in past_quarters(anchor):
            dates = cycle_dates(year, quarter, anchor)
            assert dates.created < dates.opened < dates.deadline < dates.closed
            assert dates.closed < dates.published < anchor
            assert dates.opened.weekday() == 0
            assert dates.name == f"{year} Q{quarter + 1}"
