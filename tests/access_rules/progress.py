"""Access rules for the response-rate page and "send reminder now"."""

from tests.test_access_matrix import COORD, READERS, Rule

ORG_RULES = {
    "org:cycle_progress": Rule(READERS, objects=(("pk", "progress_cycle"),)),
    "org:cycle_remind_now": Rule(COORD, method="post", objects=(("pk", "progress_cycle"),)),
}
PUBLIC_URLS: set = set()


def extend_world(world) -> dict:
    from tests.surveys.factories_emails import make_cycle, make_invitation

    cycle = make_cycle(organization=world["organization"], name="Progress cycle")
    make_invitation(cycle, person=world["person"], providers=[world["department2"]])
    return {"progress_cycle": cycle}
