"""``manage.py cycle_close --org demo "2027 Q1"``: stop answers."""

from django.core.management.base import BaseCommand

from innerclient.surveys.cli import add_cycle_argument, cycle_of, refusals_as_errors
from innerclient.surveys.completion import response_rates
from innerclient.surveys.services.cycles import cycle_close


class Command(BaseCommand):
    help = "Close an open cycle: raters can no longer answer; completion is refreshed."

    def add_arguments(self, parser):
        add_cycle_argument(parser)

    def handle(self, *args, org, cycle, **options):
        found = cycle_of(org, cycle)
        with refusals_as_errors():
            cycle_close(actor=None, cycle=found)
        overall = response_rates(cycle=found).overall  # the counts kept at close
        self.stdout.write(
            self.style.SUCCESS(
                f"Closed “{found.name}”: {overall.completed} of {overall.invited} people finished."
            )
        )
