"""API tokens: an organization's key for integrations, with scopes.

Only a SHA-256 hash of the secret is stored, with a short prefix to recognise the token in
lists and logs; the secret itself is shown once, when the token is created. A token acts as
the coordinator who created it (audit rows name him and the token) and only while he is still
a coordinator of the organization.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from innerclient.core.models import Organization


class Scope(models.TextChoices):
    STRUCTURE_READ = "structure:read", _("Read departments and people")
    STRUCTURE_WRITE = "structure:write", _("Create and update departments and people")
    MAP_READ = "map:read", _("Read the interaction map")
    CYCLES_READ = "cycles:read", _("Read cycles and response rates")
    CYCLES_WRITE = "cycles:write", _("Open, close and publish cycles")
    RESULTS_READ = "results:read", _("Read published results")
    ACTIONS_READ = "actions:read", _("Read action plans")


class ApiToken(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The first characters of the secret ("ic_" + 8), shown in lists to tell tokens apart.
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
