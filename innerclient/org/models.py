"""Company structure: departments, people, and the interaction map between departments."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from innerclient.core.models import Job, Organization


class Department(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments"
    )
    code = models.CharField(_("code"), max_length=50)
    name_ru = models.CharField(_("name (Russian)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent department"),
    )
    head = models.ForeignKey(
        "org.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
        verbose_name=_("head"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="department_code_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active interface language, falling back to Russian."""
        if (get_language() or "ru").startswith("en") and self.name_en:
            return self.name_en
        return self.name_ru


class Person(models.Model):
    class Language(models.TextChoices):
        RU = "ru", _("Russian")
        EN = "en", _("English")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="people")
    full_name = models.CharField(_("full name"), max_length=255)
    # Stored lower-cased; unique within an organization.
    email = models.EmailField(_("email"), max_length=254)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name=_("department"),
    )
    position = models.CharField(_("position"), max_length=255, blank=True)
    is_head = models.BooleanField(_("head of department"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.RU
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"], name="person_email_unique")
        ]
        indexes = [models.Index(fields=["organization", "department"])]

    def __str__(self) -> str:
        return self.full_name


class InteractionLink(models.Model):
    """The client department sends the provider department requests it needs for its work."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        REQUEST_LOG = "request_log", _("Derived from the request log")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="interaction_links"
    )
    client = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="provider_links",
        verbose_name=_("client"),
    )
    provider = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="client_links",
        verbose_name=_("provider"),
    )
    services = models.TextField(_("services"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=8, decimal_places=3, default=1)
    # Number of requests over the window of the request log the link was derived from.
    volume = models.PositiveIntegerField(_("request volume"), null=True, blank=True)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client__code", "provider__code"]
        verbose_name = _("client–provider link")
        verbose_name_plural = _("client–provider links")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "client", "provider"], name="link_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(client=models.F("provider")), name="link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} → {self.provider}"


class DataImport(models.Model):
    """An uploaded file on its way in: parsed, mapped, previewed, then applied (or not)."""

    class Kind(models.TextChoices):
        DEPARTMENTS = "departments", _("Departments")
        PEOPLE = "people", _("People")
        REQUEST_LOG = "request_log", _("Request log")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        NEEDS_MAPPING = "needs_mapping", _("Columns to map")
        VALIDATING = "validating", _("Checking")
        PREVIEW = "preview", _("Ready to apply")
        INVALID = "invalid", _("Has errors")
        APPLYING = "applying", _("Applying")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="data_imports"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UPLOADED)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    # Source column header -> field name, confirmed or edited by the user.
    column_mapping = models.JSONField(default=dict, blank=True)
    options = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    # Row-level errors and the planned changes (counts and a sample), shown before applying.
    preview = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.filename}"
