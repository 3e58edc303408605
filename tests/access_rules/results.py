"""Access rules for results pages and the methodology (innerclient/results/urls.py)."""

from innerclient.core.models import Role
from tests.test_access_matrix import ALL, COORD, Rule

ANALYSTS = frozenset({Role.COORDINATOR, Role.ANALYST})

ORG_RULES = {
    "org:cycle_results": Rule(ANALYSTS, objects=(("pk", "results_cycle"),)),
    "org:department_result": Rule(
        ANALYSTS, objects=(("pk", "results_cycle"), ("department_pk", "department2"))
    ),
    "org:results_recompute": Rule(COORD, method="post", objects=(("pk", "results_cycle"),)),
    "org:methodology": Rule(ALL),
}
PUBLIC_URLS: set = set()


def extend_world(world) -> dict:
    from tests.results.factories import closed_cycle, plant_response, publish

    cycle = closed_cycle(world["organization"], name="Results access")
    for _ in range(6):
        plant_response(
            cycle, provider=world["department2"], client=world["department"], scores=[4] * 8
        )
    return {"results_cycle": publish(cycle)}
