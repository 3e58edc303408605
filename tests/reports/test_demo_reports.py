"""The demo company's planted effects, as the dashboard and the cards show them.

One demo build (about 20 s) is shared by the module inside a transaction rolled back at the
end, as tests/test_demo_cycles.py does.
"""

from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from innerclient.core.models import Membership, Role
from innerclient.demo.build import DemoConfig, demo_build
from innerclient.org.models import Department
from innerclient.reports.selectors import latest_published_cycle

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHER),
        transaction.atomic(),
    ):
        ctx = demo_build(DemoConfig())
        yield SimpleNamespace(org=ctx.organization)
        transaction.set_rollback(True)


@pytest.fixture
def world(demo, db):
    org = demo.org
    cycle = latest_published_cycle(org.pk)
    members = {
        m.user.email: m.user
        for m in Membership.objects.filter(organization=org).select_related("user")
    }
    departments = {d.code: d for d in Department.objects.filter(organization=org)}
    return SimpleNamespace(org=org, cycle=cycle, members=members, departments=departments)


def _user(world, role):
    return Membership.objects.filter(organization=world.org, role=role).first().user


def test_dashboard_marks_it_support_significantly_up_and_flags_mutual_inflation(client, world):
    client.force_login(_user(world, Role.ANALYST))
    url = reverse("org:results_dashboard", args=[world.org.slug, world.cycle.pk])
    page = client.get(url).content.decode()
    marker = page.index('data-testid="significant-IT-SUP"')
    assert 'class="res-up"' in page[marker - 40 : marker]
    pairs = page[page.index('data-testid="inflation-pairs"') :]
    pairs = pairs[: pairs.index("</ul>")]
    planning, raw = world.departments["OPS-PRD-PLN"], world.departments["OPS-PUR-RAW"]
    assert planning.name in pairs and raw.name in pairs
    assert page.count('data-testid="heat-') >= 40  # the 60-department heatmap


def test_head_of_purchasing_sees_his_inflated_self_assessment_on_his_card(client, world):
    head = Membership.objects.get(
        organization=world.org, role=Role.HEAD, user__email="head.purchasing@demo.example"
    )
    assert head.department.code == "OPS-PUR-GDS"
    client.force_login(head.user)
    response = client.get(reverse("org:my_card", args=[world.org.slug]))
    page = client.get(response.url).content.decode()
    gap = page[page.index('data-testid="self-gap"') :][:80]
    assert "+" in gap
    assert 'data-kind="self_gap"' in page
    assert 'data-testid="card-trend"' in page and '<svg class="chart"' in page
    # No integrity flags for a head on the dashboard.
    dashboard = client.get(reverse("org:results_dashboard", args=[world.org.slug, world.cycle.pk]))
    assert b'data-testid="integrity"' not in dashboard.content


def test_it_support_card_says_significant_improvement(client, world):
    client.force_login(_user(world, Role.COORDINATOR))
    it = world.departments["IT-SUP"]
    url = reverse("org:department_card", args=[world.org.slug, world.cycle.pk, it.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="card-significant"' in page
    assert "A significant improvement." in page


def test_hr_admin_declines_over_the_cycles(world):
    from innerclient.reports.selectors import department_card
    from innerclient.results.selectors import snapshot_current

    snapshot = snapshot_current(world.cycle)
    card = department_card(
        snapshot, world.departments["HR-ADM"].pk, viewer_role=Role.ANALYST, comments=False
    )
    values = [p.index for p in card.trend if p.index is not None]
    assert len(values) >= 3 and values[-1] < values[0]


def test_demo_dashboard_query_count_does_not_grow_with_sixty_departments(
    client, world, django_assert_num_queries
):
    client.force_login(_user(world, Role.COORDINATOR))
    url = reverse("org:results_dashboard", args=[world.org.slug, world.cycle.pk])
    client.get(url)
    with django_assert_num_queries(9):
        client.get(url)
    it = world.departments["IT-SUP"]
    card = reverse("org:department_card", args=[world.org.slug, world.cycle.pk, it.pk])
    client.get(card)
    # The small world's 16, plus one: IT-SUP has a demo action from the previous cycle, whose
    # snapshot the action block reads to show the change since. Bounded by cycles, not actions.
    with django_assert_num_queries(17):
        client.get(card)
