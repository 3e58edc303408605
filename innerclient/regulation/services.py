"""Writes of the Regulation: publishing a new version, a head's acknowledgment. Each leaves an
audit row in the same transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from innerclient.core.audit import audit_record
from innerclient.core.models import Membership, Organization, Role
from innerclient.regulation import selectors
from innerclient.regulation.models import Acknowledgment, RegulationVersion
from innerclient.surveys.models import Cycle


@transaction.atomic
def regulation_publish(
    *, actor, organization: Organization, cycle: Cycle | None = None
) -> RegulationVersion:
    """Issue the next version of the Regulation from the settings in force (and the cycle's
    dates, thresholds and criteria when a cycle is given). Heads acknowledge each version."""
    if cycle is not None and cycle.organization_id != organization.pk:
        raise ValidationError(_("The cycle belongs to another organization."), code="cycle")
    # Lock the organization row so that two publications never take the same number.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    last = (
        RegulationVersion.objects.filter(organization=organization).aggregate(v=Max("version"))["v"]
        or 0
    )
    version = RegulationVersion.objects.create(
        organization=organization,
        cycle=cycle,
        version=last + 1,
        settings=selectors.regulation_settings(organization, cycle),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        organization=organization,
        actor=actor,
        action="regulation.publish",
        obj=version,
        changes={
            "version": version.version,
            "cycle": cycle.name if cycle else None,
            "methodology": version.settings["methodology"],
            "appeal_window_days": version.settings["appeals"]["window_days"],
        },
    )
    return version


@transaction.atomic
def regulation_acknowledge(*, actor, version: RegulationVersion) -> Acknowledgment:
    """A department head confirms he has read the current version. Acknowledging twice keeps
    the first acknowledgment."""
    is_head = Membership.objects.filter(
        user=actor, organization_id=version.organization_id, role=Role.HEAD
    ).exists()
    if not is_head:
        raise ValidationError(_("Only department heads acknowledge the Regulation."), code="role")
    current = selectors.current_version(version.organization)
    if current is None or current.pk != version.pk:
        raise ValidationError(
            _("A newer version of the Regulation has been published; read that one."),
            code="outdated",
        )
    acknowledgment, created = Acknowledgment.objects.get_or_create(version=version, user=actor)
    if created:
        audit_record(
            organization=version.organization,
            actor=actor,
            action="regulation.acknowledge",
            obj=version,
            changes={"version": version.version},
        )
    return acknowledgment
