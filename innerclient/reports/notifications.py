"""The publication email: each department head gets one message with a link to his card.

Not wired into publication here: the publication service
(``innerclient.workflow.services.cycle_publish``) calls, inside its transaction,

    notify_publication_enqueue(cycle_id=cycle.pk)   # sent once the transaction commits

or synchronously ``notify_publication(cycle)`` (returns the number of emails sent).
"""

from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import translation

from innerclient.core.audit import audit_record
from innerclient.core.emails import Email, send_emails
from innerclient.org.models import Department
from innerclient.results.selectors import snapshot_current
from innerclient.surveys.models import Cycle

DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def _site() -> str:
    return (getattr(settings, "INNERCLIENT_SITE_URL", "") or DEFAULT_SITE_URL).rstrip("/")


def publication_emails(cycle: Cycle) -> list[Email]:
    """One email per head (a person heading two departments gets one, with both links), for
    the departments its clients rated in the cycle's current results."""
    snapshot = snapshot_current(cycle)
    if snapshot is None or cycle.status != Cycle.Status.PUBLISHED:
        return []
    rated = {snapshot.departments[p["code"]] for p in snapshot.payload["providers"] if p["rated"]}
    departments = (
        Department.objects.filter(
            organization_id=cycle.organization_id,
            pk__in=rated,
            is_active=True,
            head__isnull=False,
            head__is_active=True,
        )
        .select_related("head")
        .order_by("code")
    )
    by_head: dict[int, list[Department]] = defaultdict(list)
    heads = {}
    for department in departments:
        if department.head.email:
            by_head[department.head_id].append(department)
            heads[department.head_id] = department.head
    slug = cycle.organization.slug
    emails = []
    for head_id, headed in by_head.items():
        person = heads[head_id]
        language = person.language or settings.LANGUAGE_CODE
        with translation.override(language):
            cards = [
                {
                    "name": department.name,
                    "link": _site()
                    + reverse("org:department_card", args=[slug, cycle.pk, department.pk]),
                }
                for department in headed
            ]
        emails.append(
            Email(
                template="results_published",
                to=person.email,
                language=language,
                context={
                    "person_name": person.full_name,
                    "organization_name": cycle.organization.name,
                    "cycle_name": cycle.name,
                    "cards": cards,
                    "link": cards[0]["link"],
                },
            )
        )
    return emails


def notify_publication(cycle: Cycle, *, actor=None) -> int:
    """Send the publication email to every head of a rated department; returns the count."""
    cycle = Cycle.objects.select_related("organization").get(pk=cycle.pk)
    emails = publication_emails(cycle)
    sent = send_emails(emails) if emails else 0
    audit_record(
        organization=cycle.organization,
        actor=actor,
        action="results.notify",
        obj=cycle,
        changes={"emails": sent},
    )
    return sent


@task
def notify_publication_task(cycle_id: int) -> None:
    notify_publication(Cycle.objects.get(pk=cycle_id))


def notify_publication_enqueue(*, cycle_id: int) -> None:
    """Send the emails in the background once the current transaction commits."""
    transaction.on_commit(lambda: notify_publication_task.enqueue(cycle_id=cycle_id))
