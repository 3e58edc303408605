"""Write services for the interaction map (client → provider links), and the map diff.

The diff is how a derived map (from a request log) is shown before it replaces the current
one; ``map_apply`` applies exactly what the diff shows, in one transaction with audit rows.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from innerclient.core.audit import audit_record
from innerclient.core.models import Organization
from innerclient.org.models import Department, InteractionLink


@dataclass(frozen=True)
class ProposedLink:
    client_id: int
    provider_id: int
    volume: int | None = None
    weight: Decimal | None = None  # None keeps the current weight (or the default for new links)
    services: str | None = None  # None keeps the current description


@dataclass
class MapDiff:
    added: list[ProposedLink] = field(default_factory=list)
    # (current link id, proposed) where the volume, weight or services would change
    changed: list[tuple[int, ProposedLink]] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)  # current link ids not in the proposal
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def map_diff(
    *, organization: Organization, proposed: list[ProposedLink], remove_missing: bool = True
) -> MapDiff:
    current = {
        (link.client_id, link.provider_id): link
        for link in InteractionLink.objects.filter(organization=organization)
    }
    diff = MapDiff()
    seen = set()
    for item in proposed:
        key = (item.client_id, item.provider_id)
        if key in seen or item.client_id == item.provider_id:
            continue
        seen.add(key)
        link = current.get(key)
        if link is None:
            diff.added.append(item)
        elif _differs(link, item):
            diff.changed.append((link.pk, item))
        else:
            diff.unchanged += 1
    if remove_missing:
        diff.removed = [link.pk for key, link in current.items() if key not in seen]
    return diff


def _differs(link: InteractionLink, item: ProposedLink) -> bool:
    return (
        link.volume != item.volume
        or (item.weight is not None and link.weight != item.weight)
        or (item.services is not None and link.services != item.services)
    )


@transaction.atomic
def map_apply(
    *,
    actor,
    organization: Organization,
    proposed: list[ProposedLink],
    remove_missing: bool = True,
    source: str = InteractionLink.Source.REQUEST_LOG,
) -> MapDiff:
    """Make the map equal to ``proposed`` (and drop other links when ``remove_missing``)."""
    diff = map_diff(organization=organization, proposed=proposed, remove_missing=remove_missing)
    valid_ids = set(
        Department.objects.filter(organization=organization).values_list("pk", flat=True)
    )
    for item in diff.added:
        if item.client_id not in valid_ids or item.provider_id not in valid_ids:
            raise ValueError("department of another organization in proposed map")
    links = {
        link.pk: link
        for link in InteractionLink.objects.select_for_update().filter(organization=organization)
    }
    new_links = [
        InteractionLink(
            organization=organization,
            client_id=item.client_id,
            provider_id=item.provider_id,
            volume=item.volume,
            weight=item.weight if item.weight is not None else Decimal(1),
            services=item.services or "",
            source=source,
        )
        for item in diff.added
    ]
    InteractionLink.objects.bulk_create(new_links)
    for link_id, item in diff.changed:
        link = links[link_id]
        changes = {}
        if link.volume != item.volume:
            changes["volume"] = [link.volume, item.volume]
            link.volume = item.volume
        if item.weight is not None and link.weight != item.weight:
            changes["weight"] = [link.weight, item.weight]
            link.weight = item.weight
        if item.services is not None and link.services != item.services:
            changes["services"] = [link.services, item.services]
            link.services = item.services
        link.save(update_fields=["volume", "weight", "services", "updated_at"])
        audit_record(
            organization=organization, actor=actor, action="link.update", obj=link, changes=changes
        )
    removed = [links[link_id] for link_id in diff.removed]
    for link in removed:
        audit_record(
            organization=organization,
            actor=actor,
            action="link.delete",
            obj=link,
            changes={"client": link.client_id, "provider": link.provider_id, "volume": link.volume},
        )
    InteractionLink.objects.filter(pk__in=diff.removed).delete()
    audit_record(
        organization=organization,
        actor=actor,
        action="map.apply",
        changes={
            "added": len(diff.added),
            "changed": len(diff.changed),
            "removed": len(diff.removed),
            "unchanged": diff.unchanged,
            "added_pairs": [[i.client_id, i.provider_id, i.volume] for i in diff.added],
        },
    )
    return diff


MAX_WEIGHT = Decimal("99999.999")  # what the weight column (8 digits, 3 decimals) holds


def _clean_weight(weight) -> Decimal:
    try:
        value = Decimal(str(weight).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("The weight must be a number."), code="weight") from None
    if not value.is_finite() or value <= 0:
        raise ValidationError(_("The weight must be greater than zero."), code="weight")
    if value > MAX_WEIGHT:
        raise ValidationError(_("The weight is too large."), code="weight")
    return value.quantize(Decimal("0.001"))


@transaction.atomic
def link_set(
    *,
    actor,
    organization: Organization,
    client: Department,
    provider: Department,
    services: str | None = None,
    weight=None,
) -> InteractionLink:
    """Create the client → provider link, or update its services and weight.

    ``None`` leaves a value as it is (or the default for a new link). A link entered by hand
    keeps the request volume it may have had from the request log.
    """
    if client.organization_id != organization.pk or provider.organization_id != organization.pk:
        raise ValidationError(_("Both departments must belong to this organization."))
    if client.pk == provider.pk:
        raise ValidationError(_("A department cannot be its own provider."), code="self_link")
    new_weight = _clean_weight(weight) if weight is not None else None
    new_services = services.strip() if services is not None else None
    link = (
        InteractionLink.objects.select_for_update()
        .filter(organization=organization, client=client, provider=provider)
        .first()
    )
    if link is None:
        link = InteractionLink.objects.create(
            organization=organization,
            client=client,
            provider=provider,
            services=new_services or "",
            weight=new_weight if new_weight is not None else Decimal(1),
            source=InteractionLink.Source.MANUAL,
        )
        audit_record(
            organization=organization,
            actor=actor,
            action="link.create",
            obj=link,
            changes={
                "client": client.code,
                "provider": provider.code,
                "weight": link.weight,
                "services": link.services,
            },
        )
        return link
    changes = {}
    if new_weight is not None and link.weight != new_weight:
        changes["weight"] = [link.weight, new_weight]
        link.weight = new_weight
    if new_services is not None and link.services != new_services:
        changes["services"] = [link.services, new_services]
        link.services = new_services
    if changes:
        link.save(update_fields=["weight", "services", "updated_at"])
        audit_record(
            organization=organization, actor=actor, action="link.update", obj=link, changes=changes
        )
    return link


@transaction.atomic
def link_remove(*, actor, link: InteractionLink) -> None:
    """Delete a link. The audit row keeps what it was (codes, services, weight, volume)."""
    link = (
        InteractionLink.objects.select_for_update()
        .select_related("client", "provider", "organization")
        .get(pk=link.pk)
    )
    audit_record(
        organization=link.organization,
        actor=actor,
        action="link.delete",
        obj=link,
        changes={
            "client": link.client.code,
            "provider": link.provider.code,
            "services": link.services,
            "weight": link.weight,
            "volume": link.volume,
            "source": link.source,
        },
    )
    link.delete()
