"""Action plans: what a provider department does about a problem area its clients showed.

An action is made from a problem area of a published cycle (the department card links to the
form with the problem prefilled) or by hand (no cycle). It has an owner, a due date and a
status; at the next cycle the card shows it beside the change it was meant to cause, and the
raters of the department see the ones in progress or done on their "What we changed" page.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from innerclient.core.models import Organization
from innerclient.scoring.problems import ProblemKind


class ProblemKindChoice(models.TextChoices):
    """The problem kinds of ``innerclient.scoring.problems.ProblemKind``, with labels."""

    LOW_CELL = ProblemKind.LOW_CELL.value, _("Low score from a client department")
    SIGNIFICANT_DROP = ProblemKind.SIGNIFICANT_DROP.value, _("Significant drop of the index")
    WEAKEST_CRITERION = ProblemKind.WEAKEST_CRITERION.value, _("Weakest criterion")
    SELF_GAP = ProblemKind.SELF_GAP.value, _("Self-assessment above the clients' view")
    DIVERGENT_CLIENT = ProblemKind.DIVERGENT_CLIENT.value, _("A client sees it differently")


class ActionPlan(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    # Statuses in which an action still has to be done (reminders, overdue).
    OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)
    # Statuses shown to raters on "What we changed".
    PUBLIC_STATUSES = (Status.IN_PROGRESS, Status.DONE)

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="action_plans"
    )
    department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        related_name="action_plans",
        verbose_name=_("department"),
    )
    # The published cycle whose results prompted the action; empty for one made by hand.
    cycle = models.ForeignKey(
        "surveys.Cycle",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_plans",
        verbose_name=_("cycle"),
    )
    problem_kind = models.CharField(
        _("problem area"), max_length=30, choices=ProblemKindChoice.choices, blank=True
    )
    criterion = models.ForeignKey(
        "surveys.Criterion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("criterion"),
    )
    client_department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client department"),
    )
    title = models.CharField(_("action"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        "org.Person", on_delete=models.PROTECT, related_name="action_plans", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    result_note = models.TextField(_("result"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The day the owner was last reminded (local date); claimed by a conditional UPDATE.
    last_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("action")
        verbose_name_plural = _("action plan")
        indexes = [
            models.Index(fields=["organization", "department", "status"]),
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today) -> bool:
        return self.status in self.OPEN_STATUSES and self.due_date < today
