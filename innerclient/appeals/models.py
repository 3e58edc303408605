"""Appeals against published results, and the bonus scheme that links results to pay.

An ``Appeal`` disputes one thing a department's card shows: the view of one client
department (which an upheld appeal excludes, producing a new result version) or one comment
(which an upheld appeal hides). Appeals are filed within a window after publication set in
``AppealSettings`` and decided by the committee named there (empty: the coordinators).

A ``BonusScheme`` turns a department's official index into a payroll multiplier, only where
the figure rests on enough raters and a narrow enough interval (``appeals.bonus``).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from innerclient.core.models import Organization
from innerclient.org.models import Department
from innerclient.surveys.models import Cycle


class AppealSettings(models.Model):
    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="appeal_settings"
    )
    window_days = models.PositiveSmallIntegerField(
        _("days to file an appeal after publication"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    committee = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("appeals committee"),
        help_text=_("Members who decide appeals. Nobody named: the coordinators decide."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization}: {self.window_days} days"


class Appeal(models.Model):
    class Kind(models.TextChoices):
        CLIENT_VIEW = "client_view", _("A client department's view")
        COMMENT = "comment", _("A comment")

    class CommentKind(models.TextChoices):
        ANSWER = "answer", _("Comment on a score")
        OPEN = "open", _("Answer to an open question")

    class Status(models.TextChoices):
        FILED = "filed", _("Filed")
        UPHELD = "upheld", _("Upheld")
        REJECTED = "rejected", _("Rejected")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="appeals")
    # The appellant: the department whose result is disputed.
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("department")
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(_("what is disputed"), max_length=20, choices=Kind.choices)
    client_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("client department"),
    )
    comment_kind = models.CharField(max_length=10, choices=CommentKind.choices, blank=True)
    comment_id = models.UUIDField(null=True, blank=True)
    text = models.TextField(_("grounds of the appeal"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FILED)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The result version the appeal disputes, and the one an upheld client-view appeal made.
    version_before = models.PositiveIntegerField(null=True, blank=True)
    version_after = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="client_view", client_department__isnull=False)
                    | models.Q(kind="comment", comment_id__isnull=False)
                ),
                name="appeal_has_target",
            ),
            # One open appeal per target (a second is refused by the service; this is the
            # guarantee under concurrent requests).
            models.UniqueConstraint(
                fields=["cycle", "department", "client_department"],
                condition=models.Q(status="filed", kind="client_view"),
                name="appeal_open_client_view_unique",
            ),
            models.UniqueConstraint(
                fields=["cycle", "comment_kind", "comment_id"],
                condition=models.Q(status="filed", kind="comment"),
                name="appeal_open_comment_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.cycle} / {self.department}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.FILED


def default_bands() -> list:
    """Index bands (percent of the scale): [lower (inclusive), upper (exclusive), multiplier];
    the first band has no lower bound, the last no upper one."""
    return [[None, 50, 0.9], [50, 70, 1.0], [70, 85, 1.05], [85, None, 1.1]]


class BonusScheme(models.Model):
    class Mode(models.TextChoices):
        BANDS = "bands", _("Index bands")
        IMPROVEMENT = "improvement", _("Improvement over the previous cycle")

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="bonus_scheme"
    )
    mode = models.CharField(_("formula"), max_length=12, choices=Mode.choices, default=Mode.BANDS)
    bands = models.JSONField(_("bands"), default=default_bands)
    slope = models.DecimalField(
        _("multiplier change per index point"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.01"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.1"))],
    )
    cap = models.DecimalField(
        _("cap on the bonus weight"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.15"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("The multiplier stays within 1 ± this value (0.15: from 0.85 to 1.15)."),
    )
    min_raters = models.PositiveSmallIntegerField(
        _("minimum number of raters"),
        default=10,
        validators=[MinValueValidator(3), MaxValueValidator(1000)],
    )
    max_ci_half_width = models.DecimalField(
        # xgettext:no-python-format
        _("maximum half-width of the 95% interval, index points"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("50"))],
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization}: {self.mode}"

    def clean(self) -> None:
        from innerclient.appeals.bonus import BandError, parse_bands

        try:
            parse_bands(self.bands)
        except BandError as error:
            raise ValidationError({"bands": band_error_message(error)}) from error


def band_error_message(error) -> str:
    """The reader's message for a ``bonus.BandError``."""
    messages = {
        "empty": _("Give at least one band."),
        "shape": _("Band %(band)s: give numbers for its bounds and its multiplier."),
        "multiplier": _("Band %(band)s: the multiplier must be above zero."),
        "empty_band": _("Band %(band)s: its lower bound must be below its upper bound."),
        "open_ends": _(
            "The first band must have no lower bound and the last no upper bound, so that "
            "every index falls in a band; the bands in between need both bounds."
        ),
        "gap": _(
            "Bands %(band)s and the next leave a gap: one ends at %(upper)s, the next starts "
            "at %(lower)s."
        ),
        "overlap": _(
            "Bands %(band)s and the next overlap: one ends at %(upper)s, the next starts "
            "at %(lower)s."
        ),
    }
    return str(messages.get(error.code, messages["shape"])) % {
        "band": "",
        "upper": "",
        "lower": "",
        **{k: _plain(v) for k, v in error.params.items()},
    }


def _plain(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
