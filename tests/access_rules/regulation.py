"""Access rules for the Regulation and the PDFs of results (innerclient/regulation/urls.py).

A card PDF is also open to the head of that department; the matrix world's head heads
another department (403 here), and tests/regulation/test_cards.py checks his own card.
"""

from innerclient.core.models import Role
from tests.test_access_matrix import ALL, COORD, Rule

ANALYSTS = frozenset({Role.COORDINATOR, Role.ANALYST})
HEADS = frozenset({Role.HEAD})
CYCLE = ("pk", "regulation_cycle")
ARCHIVE = ("archive_pk", "regulation_archive")

ORG_RULES = {
    "org:regulation": Rule(ALL),
    "org:regulation_version": Rule(ALL, extra=(("version", "1"),)),
    "org:regulation_pdf": Rule(ALL, extra=(("version", "1"),)),
    "org:regulation_publish": Rule(COORD, method="post"),
    "org:regulation_acknowledge": Rule(HEADS, method="post", extra=(("version", "1"),)),
    "org:card_pdf": Rule(ANALYSTS, objects=(CYCLE, ("department_pk", "department2"))),
    "org:company_pdf": Rule(ANALYSTS, objects=(CYCLE,)),
    "org:cards_bulk": Rule(ANALYSTS, objects=(CYCLE,)),
    "org:cards_bulk_status": Rule(ANALYSTS, objects=(CYCLE, ARCHIVE)),
    "org:cards_bulk_download": Rule(ANALYSTS, objects=(CYCLE, ARCHIVE)),
}
PUBLIC_URLS: set = set()


def extend_world(world) -> dict:
    from innerclient.core.models import Job
    from innerclient.regulation.models import CardArchive
    from innerclient.regulation.services import regulation_publish
    from tests.results.factories import closed_cycle, plant_response, publish

    organization = world["organization"]
    cycle = closed_cycle(organization, name="Regulation access")
    for _ in range(6):
        plant_response(
            cycle, provider=world["department2"], client=world["department"], scores=[4] * 8
        )
    cycle = publish(cycle)
    regulation_publish(actor=None, organization=organization, cycle=cycle)
    job = Job.objects.create(organization=organization, kind="test", status=Job.Status.DONE)
    archive = CardArchive.objects.create(
        organization=organization,
        cycle=cycle,
        snapshot_version=1,
        language="en",
        job=job,
        content=b"PK\x05\x06" + b"\x00" * 18,
        filename="cards.zip",
        cards=0,
    )
    return {"regulation_cycle": cycle, "regulation_archive": archive}
