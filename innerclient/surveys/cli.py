"""Shared pieces of the ``cycle_*`` management commands: finding the organization and cycle,
and turning a service's refusal into a command error."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from innerclient.core.models import Organization
from innerclient.surveys.models import Cycle
from innerclient.surveys.selectors import cycle_find


def add_org_argument(parser) -> None:
    parser.add_argument("--org", required=True, help="The organization's short name (slug).")


def add_cycle_argument(parser) -> None:
    add_org_argument(parser)
    parser.add_argument("cycle", help="The cycle's name (quoted) or id.")


def organization_of(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug, is_active=True).first()
    if organization is None:
        raise CommandError(f"No active organization with the short name {slug!r}.")
    return organization


def cycle_of(slug: str, ref: str) -> Cycle:
    organization = organization_of(slug)
    cycle = cycle_find(organization, ref)
    if cycle is None:
        raise CommandError(f"No cycle {ref!r} in {organization.slug}.")
    return cycle


@contextmanager
def refusals_as_errors():
    try:
        yield
    except ValidationError as exc:
        raise CommandError(" ".join(exc.messages)) from exc
