"""Access rules for evaluation cycles and criteria sets (innerclient/surveys/urls_cycles.py),
and the cycle's "Publish" step (innerclient/workflow/urls.py)."""

from tests.test_access_matrix import COORD, READERS, Rule

ORG_RULES = {
    "org:cycle_list": Rule(READERS),
    "org:cycle_create": Rule(COORD),
    "org:cycle_detail": Rule(READERS, objects=(("pk", "cycles_cycle"),)),
    "org:cycle_edit": Rule(COORD, objects=(("pk", "cycles_cycle"),)),
    "org:cycle_assignments": Rule(COORD, objects=(("pk", "cycles_cycle"),)),
    "org:cycle_assignments_edit": Rule(COORD, method="post", objects=(("pk", "cycles_cycle"),)),
    "org:cycle_transition": Rule(COORD, objects=(("pk", "cycles_cycle"),), extra=(("to", "open"),)),
    "org:cycle_publish": Rule(COORD, objects=(("pk", "cycles_cycle"),)),
    "org:criteria_list": Rule(READERS),
    "org:criteria_create": Rule(COORD, method="post"),
    "org:criteria_edit": Rule(COORD, objects=(("pk", "cycles_criteria_set"),)),
}

PUBLIC_URLS: set = set()


def extend_world(world) -> dict:
    from innerclient.surveys.criteria import criteria_set_create
    from innerclient.surveys.services.cycles import cycle_create

    organization = world["organization"]
    criteria_set = criteria_set_create(actor=None, organization=organization, name="Access rules")
    cycle = cycle_create(
        actor=None, organization=organization, name="Access rules", criteria_set=criteria_set
    )
    return {"cycles_cycle": cycle, "cycles_criteria_set": criteria_set}
