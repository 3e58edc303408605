"""The Regulation (Положение о системе «Внутренний клиент»): published versions and the
heads' acknowledgments; and the zips of department card PDFs built in the background.

A version stores the settings it was generated from (``settings``: plain JSON, both
languages), never the text: the text is rendered from that snapshot, so an old version reads
as it did when it was published however the settings changed since.
"""

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from innerclient.core.models import Organization
from innerclient.surveys.models import Cycle


class RegulationVersion(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="regulation_versions"
    )
    # The cycle the version was issued for (its dates, thresholds and criteria); none: the
    # organization's defaults. The snapshot keeps the cycle's name should it be deleted.
    cycle = models.ForeignKey(
        Cycle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="regulation_versions",
        verbose_name=_("cycle"),
    )
    version = models.PositiveIntegerField(_("version"))
    settings = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["organization", "-version"]
        verbose_name = _("Regulation version")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="regulation_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} v{self.version}"


class Acknowledgment(models.Model):
    """A department head confirmed in the application that he has read a version."""

    version = models.ForeignKey(
        RegulationVersion, on_delete=models.CASCADE, related_name="acknowledgments"
    )
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="acknowledgment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.version}"


class CardArchive(models.Model):
    """A zip of every shown department's card PDF for one result version of a cycle, built
    by a background job (``regulation.tasks.card_archive_build``) that the page polls."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="card_archives")
    # The result version the cards print (the latest when the archive was asked for).
    snapshot_version = models.PositiveIntegerField()
    language = models.CharField(max_length=10)
    job = models.OneToOneField("core.Job", on_delete=models.CASCADE, related_name="+")
    content = models.BinaryField(blank=True, default=b"")
    filename = models.CharField(max_length=200, blank=True)
    cards = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.cycle} v{self.snapshot_version} cards ({self.language})"
