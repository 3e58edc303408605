"""Access rules for action plans (innerclient/actions/urls.py and urls_public.py).

In the matrix world the head heads ``department``; the world's action belongs to
``department2``, so the head reads and creates for his own department (list, new, export) but
gets 403 on that action. Own-department behaviour is tested in tests/actions/test_views.py.
"""

import datetime

from innerclient.core.models import Role
from tests.test_access_matrix import Rule

READERS = frozenset({Role.COORDINATOR, Role.ANALYST, Role.HEAD})
CREATORS = frozenset({Role.COORDINATOR, Role.HEAD})
COORD_ANALYST = frozenset({Role.COORDINATOR, Role.ANALYST})

ORG_RULES = {
    "org:action_list": Rule(READERS),
    "org:action_create": Rule(CREATORS),
    "org:action_edit": Rule(COORD_ANALYST, objects=(("pk", "action"),)),
    "org:action_export": Rule(READERS),
}

# "What we changed" is reached by the rater's cookie, no account (tests/actions/test_rater_page.py).
PUBLIC_URLS = {"changes:for_rater"}


def extend_world(world) -> dict:
    from innerclient.actions.models import ActionPlan
    from tests.factories import PersonFactory

    owner = PersonFactory(department=world["department2"])
    action = ActionPlan.objects.create(
        organization=world["organization"],
        department=world["department2"],
        title="Answer requests within a day",
        owner=owner,
        due_date=datetime.date(2030, 1, 1),
    )
    return {"action": action}
