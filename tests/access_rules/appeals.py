"""Access rules for appeals and bonus pages (innerclient/appeals/urls.py).

The matrix's head heads ``department`` (a client); the world's appeal is filed for
``department2`` (the provider), so the head gets 403 on it. A head's own department's
appeals, and committee members of any role, are tested in tests/appeals/.
"""

from innerclient.core.models import Role
from tests.test_access_matrix import COORD, Rule

ANALYSTS = frozenset({Role.COORDINATOR, Role.ANALYST})
FILERS = frozenset({Role.COORDINATOR, Role.HEAD})

ORG_RULES = {
    "org:appeal_list": Rule(FILERS),
    "org:appeal_create": Rule(FILERS),
    "org:appeal_detail": Rule(COORD, objects=(("pk", "appeal"),)),
    "org:bonus": Rule(ANALYSTS),
    "org:bonus_export": Rule(ANALYSTS),
}
PUBLIC_URLS: set = set()


def extend_world(world) -> dict:
    from innerclient.appeals.services import appeal_file
    from tests.results.factories import closed_cycle, plant_response, publish

    cycle = closed_cycle(world["organization"], name="Appeals access")
    for _ in range(6):
        plant_response(
            cycle, provider=world["department2"], client=world["department"], scores=[4] * 8
        )
    cycle = publish(cycle)
    appeal = appeal_file(
        actor=world["members"][Role.COORDINATOR],
        cycle=cycle,
        department=world["department2"],
        kind="client_view",
        client_department=world["department"],
        text="The client department rated a project we never ran.",
    )
    return {"appeal": appeal, "appeals_cycle": cycle}
