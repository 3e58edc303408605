"""Stored results of evaluation cycles and the organization's processing methodology.

A ``ResultSnapshot`` is what the methodology computed for a cycle, frozen: recomputing never
changes a stored snapshot, it adds the next version with its reason. Snapshots hold only
figures the privacy rules let through (``innerclient.scoring.pipeline.as_json``), coded by
position; ``departments`` and ``criteria`` map the codes back to ids.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from innerclient.core.models import Organization
from innerclient.surveys.models import Cycle


class Aggregation(models.TextChoices):
    CLIENT_EQUAL = "client_equal", _("Every client department has an equal voice")
    RATER_EQUAL = "rater_equal", _("Every rater has an equal voice")
    VOLUME = "volume", _("Client departments weighted by request volume")


class OfficialIndex(models.TextChoices):
    RAW = "raw", _("Raw index")
    ADJUSTED = "adjusted", _("Leniency-adjusted index")


class MethodologySettings(models.Model):
    """The numbers of the Regulation's "processing of results" section, per organization.

    The anonymity thresholds belong to each cycle (frozen when it opens); these settings are
    read when results are computed and stored with every snapshot.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="methodology"
    )
    aggregation = models.CharField(
        _("aggregation across client departments"),
        max_length=20,
        choices=Aggregation.choices,
        default=Aggregation.CLIENT_EQUAL,
    )
    official_index = models.CharField(
        _("the index that counts"),
        max_length=10,
        choices=OfficialIndex.choices,
        default=OfficialIndex.RAW,
    )
    low_threshold = models.PositiveSmallIntegerField(
        _("problem threshold, percent of scale"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    divergence = models.PositiveSmallIntegerField(
        _("divergent client view, points"),
        default=25,
        validators=[MinValueValidator(5), MaxValueValidator(80)],
    )
    fdr = models.DecimalField(
        _("false discovery rate"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.05"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.20"))],
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.organization}: {self.aggregation}, {self.official_index}"


class ResultSnapshot(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="result_snapshots")
    version = models.PositiveIntegerField()
    reason = models.CharField(_("reason"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    departments = models.JSONField(default=list)
    criteria = models.JSONField(default=list)
    payload = models.JSONField(default=dict)

    class Meta:
        ordering = ["cycle", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "version"], name="snapshot_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cycle} v{self.version}"
