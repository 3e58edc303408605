"""Anonymity by construction (docs/anonymity.md): given the whole database and no tokens,
no response can be joined to a person.

The raters answer through the real pages. Then the "attacker" gets every row of every table
(raw SQL over all tables, plus Django's serializer over all models) but neither the links nor
the keys — the test swaps the keys for others before it tries to recompute anything.
"""

import uuid

import pytest
from django.apps import apps
from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from innerclient.surveys.criteria import criteria_set_create
from innerclient.surveys.models import Answer, Invitation, OpenAnswer, Response
from innerclient.surveys.questionnaire import rater_load
from innerclient.surveys.services.cycles import (
    assignment_add,
    client_provider_add,
    cycle_close,
    cycle_create,
    cycle_open,
    invitation_add,
    invitation_remove,
)
from innerclient.surveys.tokens import link_token, rater_key
from tests.factories import (
    DepartmentFactory,
    InteractionLinkFactory,
    OrganizationFactory,
    PersonFactory,
    UserFactory,
)
from tests.surveys.dump_attack import Dump, attack
from tests.surveys.factories_rater import rater_world, step_post

pytestmark = pytest.mark.django_db

RESPONSE_MODELS = (Response, Answer, OpenAnswer)
RESPONSE_TABLES = {m._meta.db_table for m in RESPONSE_MODELS}
# What a response row may point to: the cycle, departments, the criteria — nothing personal.
ALLOWED_TARGETS = {"Cycle", "Department", "Criterion", "OpenQuestion", "Response"}


def _answer_everything(world, client_factory):
    question = world.cycle.criteria_set.open_questions.get()
    queries = []
    for index, _invitation in enumerate(world.invitations):
        client = client_factory()
        assert client.get(world.url(index)).status_code == 302
        low = 1 + index % 2  # half of them give a justified low score
        with CaptureQueriesContext(connection) as captured:
            client.post(
                reverse("rater:autosave", args=[1]),
                step_post(world, {"quality": 3}),
                HTTP_HX_REQUEST="true",
            )
            client.post(
                reverse("rater:step", args=[1]),
                step_post(
                    world,
                    {"responsiveness": 4, "quality": low, "overall": 3},
                    {"quality": f"Comment number {index}"},
                    **{f"open-{question.pk}": f"Open answer {index}"},
                ),
            )
            client.post(reverse("rater:step", args=[2]), {"did_not_interact": "1"})
            assert client.post(reverse("rater:submit")).status_code == 302
            assert client.post(reverse("rater:submit")).status_code == 302  # double click
        queries.extend(q["sql"] for q in captured.captured_queries)
    return queries


def _dump_raw() -> dict[str, list[tuple]]:
    tables = connection.introspection.table_names()
    dump = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dump[table] = [tuple(row) for row in cursor.fetchall()]
    return dump


def _values(rows) -> set[str]:
    return {str(value) for row in rows for value in row if value not in (None, "")}


@pytest.fixture
def no_email_sending(monkeypatch):
    monkeypatch.setattr(
        "innerclient.surveys.notifications.invitations_enqueue", lambda *, cycle_id: None
    )


@pytest.fixture
def answered():
    world = rater_world(raters=4, providers=2)
    queries = _answer_everything(world, lambda: Client(HTTP_ACCEPT_LANGUAGE="en"))
    assert Response.objects.filter(status=Response.Status.SUBMITTED).count() == 8
    return world, queries


def test_response_tables_have_no_personal_reference_no_timestamp_no_sequential_id():
    for model in RESPONSE_MODELS:
        for field in model._meta.concrete_fields:
            assert not isinstance(field, models.DateField | models.TimeField), (model, field)
            if field.is_relation:
                assert field.related_model.__name__ in ALLOWED_TARGETS, (model, field)
            assert not isinstance(field, models.AutoField | models.BigAutoField), (model, field)
        assert isinstance(model._meta.pk, models.UUIDField)


def test_rater_requests_write_only_response_rows(answered):
    _world, queries = answered
    writes = [
        q
        for q in queries
        if q.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "REPLACE"))
    ]
    assert writes, "the raters' answers were written"
    for sql in writes:
        table = sql.split('"')[1]
        assert table in RESPONSE_TABLES, sql
    locks = [q for q in queries if "FOR UPDATE" in q.upper()]
    assert all("surveys_invitation" not in q for q in locks)
    assert all("surveys_invitation" not in q for q in writes)


def test_submit_touches_no_invitation_row(answered):
    world, _queries = answered
    from innerclient.surveys.questionnaire import rater_load, response_submit

    invitation = world.invitations[0]
    token = link_token(str(invitation.public_id))
    rater = rater_load(public_id=invitation.public_id, token=token)
    with CaptureQueriesContext(connection) as captured:
        response_submit(rater=rater)
    for query in captured.captured_queries:
        sql = query["sql"].upper()
        if "SURVEYS_INVITATION" in sql:
            assert sql.lstrip().startswith("SELECT") and "FOR UPDATE" not in sql, sql


def test_whole_database_without_keys_cannot_join_a_response_to_a_person(answered, settings):
    world, _queries = answered
    raw = _dump_raw()
    serialized = serializers.serialize(
        "python", [o for m in apps.get_models() for o in m.objects.all()]
    )
    assert serialized  # every model is dumpable; the raw dump below is what we reason on

    response_values = {table: raw[table] for table in RESPONSE_TABLES}
    elsewhere = _values(
        row for table, rows in raw.items() if table not in RESPONSE_TABLES for row in rows
    )
    elsewhere_text = "\n".join(elsewhere)

    # 1. No long value of a response row (ids, rater keys, comments) appears anywhere else:
    #    nothing stored outside the response tables equals or contains it.
    for table, rows in response_values.items():
        for value in _values(rows):
            if len(value) >= 16:
                assert value not in elsewhere_text, (table, value)

    # 2. The rater keys are not any stored value, nor a hash of one without the keys.
    keys = set(Response.objects.values_list("rater_key", flat=True))
    assert len(keys) == 4
    assert not keys & elsewhere
    public_ids = [str(p) for p in Invitation.objects.values_list("public_id", flat=True)]
    settings.INNERCLIENT_LINK_KEY = "attacker-guess-link"
    settings.INNERCLIENT_RATER_KEY = "attacker-guess-rater"
    settings.SECRET_KEY = "attacker-guess-secret"
    guesses = {rater_key(link_token(p)) for p in public_ids}
    guesses |= {rater_key(p) for p in public_ids}
    assert not guesses & keys

    # 3. Identifiers are random UUIDs, never a sequence that follows insertion order.
    for model in RESPONSE_MODELS:
        ids = list(model.objects.values_list("pk", flat=True))
        assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids)
        assert len(set(ids)) == len(ids)

    # 4. No session row: nothing server-side ties a browser (and so an invitation) to answers.
    assert raw.get("django_session", []) == []

    # 5. What a response does carry is shared by the whole rater department: each of the
    #    four raters is an equally good candidate for every response.
    candidates = Invitation.objects.filter(
        cycle=world.cycle, person__department=world.client_department
    ).count()
    for response in Response.objects.all():
        assert response.rater_department_id == world.client_department.pk
    assert candidates == 4


def test_with_the_keys_the_link_can_be_recomputed(answered):
    """The residual risk docs/anonymity.md states: keys + database = links. Production keeps
    the keys out of database backups."""
    _world, _queries = answered
    keys = set(Response.objects.values_list("rater_key", flat=True))
    recomputed = {
        rater_key(link_token(str(p)))
        for p in Invitation.objects.values_list("public_id", flat=True)
    }
    assert recomputed == keys


# --- The dump attack on a cycle the coordinator edited (verification findings, point 3) --------


def _edited_cycle():
    """Sales (head + 6) rates Purchasing and IT, Purchasing (head + 2) rates IT, IT (head + 1)
    rates Finance; heads of rated departments assess their own. The coordinator adds Finance
    for all of Sales, is refused one rater's extra provider, and takes a person off the list
    and back."""
    organization = OrganizationFactory()
    coordinator = UserFactory()

    def department(code, members):
        unit = DepartmentFactory(organization=organization, code=code, name_en=code)
        head = PersonFactory(department=unit, is_head=True, full_name=f"{code} head")
        unit.head = head
        unit.save(update_fields=["head"])
        rest = [PersonFactory(department=unit, full_name=f"{code} {i}") for i in range(members)]
        return unit, [head, *rest]

    sales, sales_people = department("SALES", 6)
    purchasing, _purchasing_people = department("PURCH", 2)
    it, _it_people = department("IT", 1)
    finance, _finance_people = department("FIN", 0)
    hr, _hr_people = department("HR", 0)
    for client, provider in ((sales, purchasing), (sales, it), (purchasing, it), (it, finance)):
        InteractionLinkFactory(organization=organization, client=client, provider=provider)
    cycle = cycle_create(
        actor=coordinator,
        organization=organization,
        name="2027 Q1",
        criteria_set=criteria_set_create(actor=None, organization=organization, name="Default"),
    )
    client_provider_add(actor=coordinator, cycle=cycle, client=sales, provider=finance)
    with pytest.raises(ValidationError):
        assignment_add(actor=coordinator, cycle=cycle, person=sales_people[1], provider=hr)
    leaving = Invitation.objects.get(cycle=cycle, person=sales_people[6])
    invitation_remove(actor=coordinator, cycle=cycle, invitation=leaving)
    invitation_add(actor=coordinator, cycle=cycle, person=sales_people[6])
    cycle_open(actor=coordinator, cycle=cycle)
    return cycle, coordinator, sales_people


def _answer_through_the_pages(cycle, invitation, *, submit=True, steps=None):
    public_id = str(invitation.public_id)
    token = link_token(public_id)
    rater = rater_load(public_id=public_id, token=token)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.get(f"/r/{public_id}/{token}/").status_code == 302
    scores = {f"score-{c.pk}": "4" for c in cycle.criteria_set.criteria.all()}
    for step in rater.steps[:steps]:
        data = {"did_not_interact": "1"} if step.number == 2 else scores
        assert client.post(reverse("rater:step", args=[step.number]), data).status_code == 302
    if submit:
        assert client.post(reverse("rater:submit")).status_code == 302


def test_a_keyless_dump_of_an_edited_cycle_links_nobody(no_email_sending):
    cycle, coordinator, sales_people = _edited_cycle()
    invitations = list(Invitation.objects.filter(cycle=cycle).select_related("person"))
    for invitation in invitations:
        if invitation.person == sales_people[2]:
            continue  # never opened his link
        if invitation.person == sales_people[3]:
            _answer_through_the_pages(cycle, invitation, submit=False, steps=1)  # a draft
            continue
        _answer_through_the_pages(cycle, invitation)
    # The rater list, as an attacker could replay it from the map and the audit log.
    replayed = Dump.read().assignments
    assert replayed

    cycle_close(actor=coordinator, cycle=cycle)

    dump = Dump.read()
    responses = Response.objects.filter(cycle=cycle)
    assert set(responses.values_list("rater_kind", flat=True)) == {"client", "self"}
    mixed = [
        key
        for key in set(responses.values_list("rater_key", flat=True))
        if {r.provider_id == r.rater_department_id for r in responses.filter(rater_key=key)}
        == {True, False}
    ]
    assert mixed == []  # no key carries a self-assessment and other answers
    found = attack(dump, cycle_ids=[cycle.pk])
    assert found.raters == len(invitations) - 2  # not the idle one, nor the self-only head of FIN
    assert found.linked == [], found.summary()
    assert attack(dump, cycle_ids=[cycle.pk], assignments=replayed).linked == []
