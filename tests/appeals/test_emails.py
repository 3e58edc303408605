"""Appeal emails, against a real SMTP server on loopback: the committee hears of a filed
appeal, the appellant of the decision, each in his own language."""

import pytest
from django.core.exceptions import ValidationError

from innerclient.appeals.services import appeal_decide, appeal_file, appeal_settings_update
from innerclient.core.models import Role
from tests.appeals.factories import ABUSIVE, appeals_world, member
from tests.surveys.factories_emails import smtp_server  # noqa: F401 (the smtp fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org):
    return appeals_world(org)


def _speaks(world, user, language):
    """Give ``user`` a person record in the organization, which sets his email language."""
    from tests.factories import PersonFactory

    PersonFactory(department=world.provider, email=user.email, language=language)


def _file(world, capture, **kwargs):
    with capture(execute=True):
        return appeal_file(
            actor=kwargs.pop("actor", world.head),
            cycle=world.cycle,
            department=world.provider,
            text="Assembly never worked with us.",
            **(kwargs or {"kind": "client_view", "client_department": world.low}),
        )


def test_committee_members_get_the_filed_appeal_in_their_language(
    smtp, world, django_capture_on_commit_callbacks
):
    english = member(world.org, Role.HEAD, world.other, language="en")
    russian = member(world.org, Role.EMPLOYEE, world.high, language="ru")
    appeal_settings_update(
        actor=world.coordinator,
        organization=world.org,
        window_days=10,
        committee=[english, russian],
    )

    appeal = _file(world, django_capture_on_commit_callbacks)

    assert smtp.recipients == sorted([english.email, russian.email])
    [en] = smtp.to(english.email)
    assert en.message["Content-Language"] == "en"
    assert en.subject == f"Appeal #{appeal.pk} from Purchasing awaits a decision"
    assert "Purchasing has filed appeal" in en.text
    assert "how Assembly rated the department" in en.text
    assert f"https://inner.test/o/{world.org.slug}/appeals/{appeal.pk}/" in en.text
    assert f"/appeals/{appeal.pk}/" in en.html
    [ru] = smtp.to(russian.email)
    assert ru.message["Content-Language"] == "ru"
    assert world.provider.name_ru in ru.subject  # the Russian name of the department


def test_without_a_committee_the_coordinators_are_told_but_not_the_filer(
    smtp, world, django_capture_on_commit_callbacks
):
    second = member(world.org, Role.COORDINATOR)
    _file(
        world,
        django_capture_on_commit_callbacks,
        actor=world.coordinator,
        kind="client_view",
        client_department=world.low,
    )
    assert smtp.recipients == [second.email]


def test_the_email_about_a_comment_does_not_quote_it(
    smtp, world, django_capture_on_commit_callbacks
):
    _speaks(world, world.coordinator, "en")
    _file(
        world,
        django_capture_on_commit_callbacks,
        kind="comment",
        comment_kind="answer",
        comment_id=world.answer.pk,
    )
    [message] = smtp.messages
    assert ABUSIVE not in message.text and ABUSIVE not in message.html
    assert "disputes a comment" in message.text


def test_the_appellant_hears_the_decision_and_its_reason(
    smtp, world, django_capture_on_commit_callbacks
):
    _speaks(world, world.head, "en")
    appeal = appeal_file(
        actor=world.head,
        cycle=world.cycle,
        department=world.provider,
        kind="client_view",
        client_department=world.low,
        text="x",
    )
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            actor=world.coordinator, appeal=appeal, upheld=True, reason="No dealings at all."
        )
    [message] = smtp.to(world.head.email)
    assert message.subject == f"Appeal #{appeal.pk} is upheld"
    assert "No dealings at all." in message.text and "No dealings at all." in message.html
    assert "computed again as version 2" in message.text
    assert "Version 1 stays on record" in message.text
    assert smtp.recipients == [world.head.email]  # the department's side only


def test_a_rejection_reaches_the_head_in_russian(smtp, world, django_capture_on_commit_callbacks):
    head = member(world.org, Role.HEAD, world.provider, language="ru")
    appeal = appeal_file(
        actor=head,
        cycle=world.cycle,
        department=world.provider,
        kind="client_view",
        client_department=world.low,
        text="x",
    )
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            actor=world.coordinator, appeal=appeal, upheld=False, reason="Оценка честная."
        )
    [message] = smtp.to(head.email)
    assert message.message["Content-Language"] == "ru"
    assert "Оценка честная." in message.text
    assert message.subject == f"Апелляция № {appeal.pk} отклонена"
    assert "version 2" not in message.text


def test_nothing_is_sent_when_the_filing_fails(smtp, org, django_capture_on_commit_callbacks):
    world = appeals_world(org, published_days_ago=30)
    with pytest.raises(ValidationError):
        _file(world, django_capture_on_commit_callbacks)
    assert smtp.messages == []
