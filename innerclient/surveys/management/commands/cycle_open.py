"""``manage.py cycle_open --org demo "2027 Q1"``: freeze the settings and send the invitations."""

from django.core.management.base import BaseCommand

from innerclient.surveys.cli import add_cycle_argument, cycle_of, refusals_as_errors
from innerclient.surveys.selectors import assignment_counts
from innerclient.surveys.services.cycles import cycle_open


class Command(BaseCommand):
    help = "Open a draft cycle: freeze criteria, scale and rater list; send the invitations."

    def add_arguments(self, parser):
        add_cycle_argument(parser)

    def handle(self, *args, org, cycle, **options):
        found = cycle_of(org, cycle)
        with refusals_as_errors():
            cycle_open(actor=None, cycle=found)
        counts = assignment_counts(found)
        self.stdout.write(
            self.style.SUCCESS(
                f"Opened “{found.name}”: {counts.people} invitations are being sent "
                f"({counts.ratings} ratings)."
            )
        )
