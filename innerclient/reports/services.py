"""Writes of the reports area: hiding an abusive comment and restoring it (audited).

The appeals area calls these too (an upheld appeal against a comment hides it):

    comment_hide(actor=user, organization=org, kind="answer", comment_id=uuid, reason="...")
    comment_restore(actor=user, moderation=moderation)
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from innerclient.core.audit import audit_record
from innerclient.reports.models import CommentModeration
from innerclient.surveys.models import Answer, OpenAnswer

REASON_MAX = 500


def _comment_cycle_id(*, organization, kind: str, comment_id) -> int:
    if kind == CommentModeration.Kind.ANSWER:
        rows = Answer.objects.filter(pk=comment_id).exclude(comment="")
    elif kind == CommentModeration.Kind.OPEN:
        rows = OpenAnswer.objects.filter(pk=comment_id).exclude(text="")
    else:
        raise ValidationError(_("Unknown kind of comment."), code="kind")
    cycle_id = (
        rows.filter(response__cycle__organization=organization)
        .values_list("response__cycle_id", flat=True)
        .first()
    )
    if cycle_id is None:
        raise ValidationError(_("No such comment."), code="missing")
    return cycle_id


@transaction.atomic
def comment_hide(*, actor, organization, kind: str, comment_id, reason: str) -> CommentModeration:
    """Hide a comment from everyone but the coordinator, with a recorded reason.

    Raises ``ValidationError`` for an empty reason, an unknown comment (or one of another
    organization) and a comment that is already hidden.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the comment is hidden."), code="reason")
    try:
        comment_id = uuid.UUID(str(comment_id))
    except ValueError:
        raise ValidationError(_("No such comment."), code="missing") from None
    cycle_id = _comment_cycle_id(organization=organization, kind=kind, comment_id=comment_id)
    if CommentModeration.objects.filter(kind=kind, comment_id=comment_id, is_active=True).exists():
        raise ValidationError(_("This comment is already hidden."), code="hidden")
    try:
        with transaction.atomic():
            moderation = CommentModeration.objects.create(
                organization=organization,
                cycle_id=cycle_id,
                kind=kind,
                comment_id=comment_id,
                reason=reason[:REASON_MAX],
                hidden_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:  # a second coordinator hid it at the same moment
        raise ValidationError(_("This comment is already hidden."), code="hidden") from None
    audit_record(
        organization=organization,
        actor=actor,
        action="comment.hide",
        obj=moderation,
        changes={
            "kind": kind,
            "comment_id": str(comment_id),
            "reason": moderation.reason,
            "cycle": cycle_id,
        },
    )
    return moderation


@transaction.atomic
def comment_restore(*, actor, moderation: CommentModeration) -> CommentModeration:
    """Show a hidden comment again; the moderation row stays as the record."""
    moderation = CommentModeration.objects.select_for_update().get(pk=moderation.pk)
    if not moderation.is_active:
        raise ValidationError(_("This comment is not hidden."), code="not_hidden")
    moderation.is_active = False
    moderation.restored_by = actor if getattr(actor, "is_authenticated", False) else None
    moderation.restored_at = timezone.now()
    moderation.save(update_fields=["is_active", "restored_by", "restored_at"])
    audit_record(
        organization=moderation.organization,
        actor=actor,
        action="comment.restore",
        obj=moderation,
        changes={
            "kind": moderation.kind,
            "comment_id": str(moderation.comment_id),
            "is_active": [True, False],
        },
    )
    return moderation
