"""Access rules for the dashboard, department cards, exports and comment moderation
(innerclient/reports/urls.py).

The world's head heads ``department``; the card rules use ``department2``, so the matrix
checks that a head gets 403 on another department's card. His own card is tested in
tests/reports/test_access.py.
"""

from innerclient.core.models import Role
from tests.test_access_matrix import ALL, COORD, READERS, Rule

ANALYSTS = frozenset({Role.COORDINATOR, Role.ANALYST})
CARD = (("pk", "reports_cycle"), ("department_pk", "department2"))

ORG_RULES = {
    "org:results_dashboard": Rule(READERS, objects=(("pk", "reports_cycle"),)),
    "org:dashboard_export": Rule(READERS, objects=(("pk", "reports_cycle"),)),
    "org:department_card": Rule(ANALYSTS, objects=CARD),
    "org:card_export": Rule(ANALYSTS, objects=CARD),
    "org:my_card": Rule(ALL),
    "org:comment_hide": Rule(COORD, method="post", objects=(("pk", "reports_cycle"),)),
    "org:comment_restore": Rule(
        COORD, method="post", objects=(("moderation_pk", "comment_moderation"),)
    ),
}
PUBLIC_URLS: set = set()


def extend_world(world) -> dict:
    """A published cycle where department2 is rated by department, with a hidden comment."""
    from innerclient.reports.services import comment_hide
    from tests.results.factories import closed_cycle, plant_response, publish

    cycle = closed_cycle(world["organization"], name="Reports access")
    for _ in range(6):
        plant_response(
            cycle, provider=world["department2"], client=world["department"], scores=[4] * 8
        )
    answer = plant_response(
        cycle,
        provider=world["department2"],
        client=world["department"],
        scores=[3] * 8,
        comment="Слишком медленно",
    ).answers.first()
    publish(cycle)
    moderation = comment_hide(
        actor=None,
        organization=world["organization"],
        kind="answer",
        comment_id=answer.pk,
        reason="Names a person",
    )
    return {"reports_cycle": cycle, "comment_moderation": moderation}
