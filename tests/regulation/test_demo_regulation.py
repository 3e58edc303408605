"""The Regulation of the demo company, as PDF in both languages: every section, the demo's
settings in force, extractable Cyrillic.

One demo company is built for the module inside an outer transaction that is rolled back at
the end; each test runs in a savepoint.
"""

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from innerclient.core.models import Role
from innerclient.demo.build import DemoConfig, demo_build
from innerclient.regulation.services import regulation_publish
from innerclient.surveys.models import Cycle
from tests.regulation.pdftext import pdf_text

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECTIONS = [
    "1. Purpose",
    "2. Terms",
    "3. Principles",
    "4. Participants: rights and duties",
    "5. Interaction map and services",
    "6. Criteria, scale and questionnaire",
    "7. Schedule",
    "8. Processing methodology",
    "9. Communication of results",
    "10. Action plans",
    "11. Bonus linkage",
    "12. Appeals",
    "13. Confidentiality",
    "14. Final provisions",
    "Annex 1. Criteria, scale and questionnaire",
    "Annex 2. Providers and their services",
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER),
        transaction.atomic(),
    ):
        ctx = demo_build(DemoConfig())
        org = ctx.organization
        cycle = Cycle.objects.filter(organization=org).order_by("-opened_at").first()
        version = regulation_publish(actor=None, organization=org, cycle=cycle)
        coordinator = org.memberships.get(role=Role.COORDINATOR, user__email__startswith="coord")
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(coordinator.user)
        url = reverse("org:regulation_pdf", args=[org.slug, version.version])
        english = pdf_text(client.get(url).content)
        client.cookies["django_language"] = "ru"
        russian = pdf_text(client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content)
        yield SimpleNamespace(
            org=org, cycle=cycle, version=version, english=english, russian=russian
        )
        transaction.set_rollback(True)


def _split_number(title: str) -> tuple[str, str]:
    number, _sep, rest = title.partition(" ")
    return (number, rest) if number.rstrip(".").isdigit() else ("", title)


@pytest.mark.parametrize("title", SECTIONS)
def test_every_section_is_in_the_english_pdf(demo, db, title):
    assert title in demo.english


@pytest.mark.parametrize("title", SECTIONS)
def test_every_section_is_in_the_russian_pdf(demo, db, title):
    number, rest = _split_number(title)
    with translation.override("ru"):
        expected = f"{number} {gettext(rest)}".strip()
    assert expected in demo.russian


def test_the_demo_settings_are_stated(demo, db):
    text = demo.english
    # Anonymity threshold 5, comments 7 (the demo cycles' settings).
    assert "the smallest number of raters a figure may rest on (5)" in text
    assert "A figure resting on fewer than 5 raters is not shown; comments need at least 7" in text
    # The scale 1–5 and its formula, the justification rule.
    assert "on a scale from 1 (the lowest) to 5 (the highest)" in text
    assert "p = (score − 1) ÷ (5 − 1) × 100" in text
    assert "A score of 2 or lower needs a justification comment" in text
    # The appeal window: the default 10 days.
    assert "within 10 days after the results are published" in text
    # The methodology defaults and the schedule of the demo's latest cycle.
    assert "a cell below 60% of the scale" in text
    assert f"This version applies to the evaluation cycle “{demo.cycle.name}”" in text
    assert "Reminder after the cycle opens, days 3" in text
    assert "Reminder before the deadline, days 1" in text
    assert "Reminders at most 3" in text
    # The bonus scheme in force (the default bands).
    assert "The bonus scheme in force" in text
    assert "at least 10 raters" in text


def test_the_interaction_map_is_summarised(demo, db):
    from innerclient.org.models import InteractionLink

    links = InteractionLink.objects.filter(
        organization=demo.org, client__is_active=True, provider__is_active=True
    ).count()
    assert f"The interaction map in force has {links} client–provider links" in demo.english
    assert demo.version.settings["map"]["links"] == links
    assert len(demo.version.settings["map"]["providers"]) > 20


def test_cyrillic_is_extractable(demo, db):
    assert "АО «Северный ветер»" in demo.english
    assert "Оперативность" in demo.russian
    assert "Что этому подразделению стоит изменить в первую очередь?" in demo.russian
    assert "Бухгалтерский учёт" in demo.russian
