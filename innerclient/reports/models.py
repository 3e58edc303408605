"""Moderation of comments shown on department cards.

A coordinator may hide an abusive comment with a recorded reason; hiding is reversible
(``is_active`` goes false on restore, the row stays as the record). Comments themselves
(``surveys.Answer.comment``, ``surveys.OpenAnswer.text``) are never changed or deleted here.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from innerclient.core.models import Organization
from innerclient.surveys.models import Cycle


class CommentModeration(models.Model):
    class Kind(models.TextChoices):
        ANSWER = "answer", _("Comment on a criterion")
        OPEN = "open", _("Answer to an open question")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="comment_moderations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Answer.id or OpenAnswer.id (UUIDs; no foreign key, so no join from here to a response).
    comment_id = models.UUIDField()
    reason = models.CharField(_("reason"), max_length=500)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    hidden_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)
    restored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    restored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-hidden_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "comment_id"],
                condition=models.Q(is_active=True),
                name="comment_moderation_one_active",
            )
        ]
        indexes = [models.Index(fields=["cycle", "is_active"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.comment_id}: {self.reason[:40]}"
