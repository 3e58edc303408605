"""Appeal emails: to the committee when an appeal is filed, to the appellant when decided.

Sent in the background once the filing or decision commits, each in the recipient's
language. The emails name the department and what is disputed, never a comment's text (it
stays behind sign-in), and link to the appeal's page.
"""

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.urls import reverse

from innerclient.appeals import selectors
from innerclient.appeals.models import Appeal
from innerclient.core.emails import Email, send_emails


def appeal_filed_enqueue(*, appeal_id: int) -> None:
    transaction.on_commit(lambda: appeal_filed_task.enqueue(appeal_id=appeal_id))


def appeal_decided_enqueue(*, appeal_id: int) -> None:
    transaction.on_commit(lambda: appeal_decided_task.enqueue(appeal_id=appeal_id))


@task
def appeal_filed_task(appeal_id: int) -> None:
    appeal_filed_send(appeal_id=appeal_id)


@task
def appeal_decided_task(appeal_id: int) -> None:
    appeal_decided_send(appeal_id=appeal_id)


def appeal_link(appeal: Appeal) -> str:
    site = getattr(settings, "INNERCLIENT_SITE_URL", "") or "http://127.0.0.1:8000"
    path = reverse("org:appeal_detail", args=[appeal.organization.slug, appeal.pk])
    return site.rstrip("/") + path


def _appeal(appeal_id: int) -> Appeal | None:
    return (
        Appeal.objects.select_related(
            "organization", "cycle", "department", "client_department", "filed_by"
        )
        .filter(pk=appeal_id)
        .first()
    )


def _context(appeal: Appeal) -> dict:
    return {
        "organization_name": appeal.organization.name,
        "number": appeal.pk,
        "cycle_name": appeal.cycle.name,
        # Models, not names: a department's name follows the language the email is rendered in.
        "department": appeal.department,
        "client": appeal.client_department,
        "kind": appeal.kind,
        "status": appeal.status,
        "decision_reason": appeal.decision_reason,
        "version_before": appeal.version_before,
        "version_after": appeal.version_after,
        "last_day": selectors.appeal_last_day(
            appeal.cycle, selectors.appeal_settings(appeal.organization)
        ),
        "link": appeal_link(appeal),
    }


def _emails(appeal: Appeal, template: str, users, skip=None) -> list[Email]:
    context = _context(appeal)
    seen = set()
    emails = []
    for user in users:
        address = (user.email or "").strip()
        if not address or address.lower() in seen or (skip is not None and user.pk == skip):
            continue
        seen.add(address.lower())
        emails.append(
            Email(
                template=template,
                to=address,
                context=context,
                language=selectors.member_language(appeal.organization, user),
            )
        )
    return emails


def appeal_filed_send(*, appeal_id: int) -> int:
    """Tell the committee (or the coordinators) that an appeal waits for a decision."""
    appeal = _appeal(appeal_id)
    if appeal is None:
        return 0
    committee = selectors.committee_users(
        appeal.organization, selectors.appeal_settings(appeal.organization)
    )
    return send_emails(_emails(appeal, "appeal_filed", committee, skip=appeal.filed_by_id))


def appeal_decided_send(*, appeal_id: int) -> int:
    """Tell whoever filed the appeal, and the department's heads, what was decided."""
    appeal = _appeal(appeal_id)
    if appeal is None or appeal.is_open:
        return 0
    users = [appeal.filed_by, *selectors.department_heads(appeal.department)]
    return send_emails(_emails(appeal, "appeal_decided", users))
