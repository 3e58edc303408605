"""Cycle steps that span apps: publication, and the one entry point for every transition."""

from django.db import transaction
from django.utils.translation import gettext as _

from innerclient.reports.notifications import notify_publication_enqueue
from innerclient.results.selectors import snapshot_current
from innerclient.results.services import results_compute
from innerclient.surveys.models import Cycle
from innerclient.surveys.services import cycles as surveys_cycles


@transaction.atomic
def cycle_publish(*, actor, cycle: Cycle) -> Cycle:
    """Publish a closed cycle: its results are stored (unless they already are) and visible,
    and each head gets an email once it is committed. There is no way back.

    One transaction: nobody sees the cycle published without its stored results, which are
    computed first (the audit log says so in that order)."""
    cycle = surveys_cycles.cycle_lock_publishable(cycle)
    if snapshot_current(cycle) is None:
        results_compute(actor=actor, cycle=cycle, reason=_("Publication"))
    cycle = surveys_cycles.cycle_mark_published(actor=actor, cycle=cycle)
    notify_publication_enqueue(cycle_id=cycle.pk)
    return cycle


def cycle_transition(*, actor, cycle: Cycle, to: str) -> Cycle:
    """Move a cycle to ``to`` (open, closed or published) through its service: the cycle
    page, the API and scripts call this one."""
    if to == Cycle.Status.PUBLISHED:
        return cycle_publish(actor=actor, cycle=cycle)
    return surveys_cycles.cycle_transition(actor=actor, cycle=cycle, to=to)
