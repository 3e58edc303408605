"""Response rates while a cycle runs: counts per department, never anything per person.

Readers (coordinator, analyst, department head: ``VIEW_MAP``) watch the page; only the
coordinator (``MANAGE_ORGANIZATION``) may send a reminder now, and only he sees the counts of
departments with fewer than k people invited (the others see them together, as "other
departments": "1 of 3" would tell a head who has not answered).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from innerclient.core.permissions import Capability, org_access
from innerclient.surveys import completion, notifications
from innerclient.surveys.models import Cycle

POLL_SECONDS = 12


def _cycle(access, pk: int) -> Cycle:
    return get_object_or_404(
        Cycle.objects.select_related("organization"), organization=access.organization, pk=pk
    )


@login_required
def cycle_progress(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.VIEW_MAP)
    cycle = _cycle(access, pk)
    coordinator = access.can(Capability.MANAGE_ORGANIZATION)
    context = {
        "access": access,
        "org": access.organization,
        "nav": "cycles",
        "cycle": cycle,
        "rates": completion.response_rates(cycle=cycle, every_department=coordinator),
        "live": cycle.status == Cycle.Status.OPEN,
        "poll_seconds": POLL_SECONDS,
        "can_remind": coordinator,
    }
    if request.htmx:
        return render(request, "surveys/progress/_rates.html", context)
    return render(request, "surveys/progress/progress.html", context)


@login_required
def cycle_remind_now(request, org_slug, pk):
    """GET: how many people would get a reminder, and a button; POST: send them."""
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    cycle = _cycle(access, pk)
    if cycle.status != Cycle.Status.OPEN:
        messages.warning(request, _("Reminders can be sent only while the cycle is open."))
        return redirect("org:cycle_progress", access.organization.slug, cycle.pk)
    if request.method == "POST":
        count = notifications.reminders_request(actor=request.user, cycle=cycle)
        if count:
            messages.success(
                request,
                ngettext(
                    "A reminder is on its way to %(n)d person.",
                    "A reminder is on its way to %(n)d people.",
                    count,
                )
                % {"n": count},
            )
        else:
            messages.info(request, _("Nobody needs a reminder right now."))
        return redirect("org:cycle_progress", access.organization.slug, cycle.pk)
    context = {
        "access": access,
        "org": access.organization,
        "nav": "cycles",
        "cycle": cycle,
        "count": notifications.reminders_now_count(cycle=cycle),
        "cooldown_hours": int(notifications.REMIND_NOW_COOLDOWN.total_seconds() // 3600),
    }
    return render(request, "surveys/progress/remind_confirm.html", context)
