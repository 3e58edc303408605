"""Reminders to action owners: one email per owner with his actions due within
``REMIND_DAYS_AHEAD`` days or overdue, at most once per action per day.

Each owner's actions are claimed with conditional UPDATEs (``last_reminded_on`` set to today
where it is still earlier, and the action still open and due) inside one transaction, so two
workers running at once, or two passes on the same day, never remind of an action twice:
the second finds nothing left to claim. The claim names only the action's own columns, which
PostgreSQL re-checks on the latest row version when two UPDATEs race. If sending fails, the
claim is given back so a later pass retries.
"""

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from innerclient.actions.models import ActionPlan
from innerclient.core.emails import open_mailer
from innerclient.org.models import Person
from innerclient.surveys.notifications import DEFAULT_SITE_URL, greeting_name

logger = logging.getLogger(__name__)

REMIND_DAYS_AHEAD = 3
TEMPLATE = "action_reminder"


def _due(today: date) -> Q:
    """Open, due within the window or overdue, not reminded today (the row's own columns)."""
    return (
        Q(status__in=ActionPlan.OPEN_STATUSES)
        & Q(due_date__lte=today + timedelta(days=REMIND_DAYS_AHEAD))
        & (Q(last_reminded_on__isnull=True) | Q(last_reminded_on__lt=today))
    )


def _site() -> str:
    return (getattr(settings, "INNERCLIENT_SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")


def reminders_due(now: datetime | None = None) -> dict[int, list[int]]:
    """``{owner id: [action ids]}`` that a pass at ``now`` would remind of."""
    today = timezone.localdate(now or timezone.now())
    rows = (
        ActionPlan.objects.filter(_due(today), owner__is_active=True, organization__is_active=True)
        .order_by("owner_id", "due_date", "pk")
        .values_list("owner_id", "pk")
    )
    due: dict[int, list[int]] = {}
    for owner_id, pk in rows:
        due.setdefault(owner_id, []).append(pk)
    return due


def _claim(pks: list[int], today: date) -> list[tuple[int, date | None]]:
    """Claim the owner's actions in one transaction; return (id, previous day) of those got."""
    previous = dict(ActionPlan.objects.filter(pk__in=pks).values_list("pk", "last_reminded_on"))
    claimed = []
    with transaction.atomic():
        for pk in pks:
            if ActionPlan.objects.filter(_due(today), pk=pk).update(last_reminded_on=today):
                claimed.append((pk, previous.get(pk)))
    return claimed


def _release(claimed: list[tuple[int, date | None]], today: date) -> None:
    for pk, before in claimed:
        ActionPlan.objects.filter(pk=pk, last_reminded_on=today).update(last_reminded_on=before)


def _context(owner: Person, actions: list[ActionPlan], today: date) -> dict:
    organization = actions[0].organization
    list_url = _site() + reverse("org:action_list", args=[organization.slug])
    items = [
        {
            "action": action,
            "overdue": action.due_date < today,
            "days_overdue": (today - action.due_date).days,
            "days_left": (action.due_date - today).days,
            "url": _site() + reverse("org:action_edit", args=[organization.slug, action.pk]),
        }
        for action in actions
    ]
    return {
        "person_name": greeting_name(owner.full_name),
        "organization_name": organization.name,
        "items": items,
        "count": len(items),
        "overdue_count": sum(item["overdue"] for item in items),
        "link": list_url,
    }


def action_reminders_send(now: datetime | None = None) -> int:
    """Send the reminders due at ``now``; return how many emails went out (one per owner)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = reminders_due(now)
    if not due:
        return 0
    sent = 0
    with open_mailer() as mailer:
        for pks in due.values():
            claimed = _claim(pks, today)
            if not claimed:
                continue  # another worker got there first
            try:
                actions = list(
                    ActionPlan.objects.filter(pk__in=[pk for pk, _before in claimed])
                    .select_related("organization", "department", "owner")
                    .order_by("due_date", "pk")
                )
                owner = actions[0].owner
                mailer.send(
                    template=TEMPLATE,
                    to=owner.email,
                    context=_context(owner, actions, today),
                    language=owner.language,
                )
            except BaseException:
                _release(claimed, today)
                raise
            sent += 1
    if sent:
        logger.info("action reminders: %s sent", sent)
    return sent
