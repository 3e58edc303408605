"""``manage.py cycle_publish --org demo "2027 Q1"``: store the results and make them visible."""

from django.core.management.base import BaseCommand

from innerclient.surveys.cli import add_cycle_argument, cycle_of, refusals_as_errors
from innerclient.workflow.services import cycle_publish


class Command(BaseCommand):
    help = "Publish a closed cycle: its results become visible. Cannot be undone."

    def add_arguments(self, parser):
        add_cycle_argument(parser)

    def handle(self, *args, org, cycle, **options):
        found = cycle_of(org, cycle)
        with refusals_as_errors():
            cycle_publish(actor=None, cycle=found)
        self.stdout.write(self.style.SUCCESS(f"Published “{found.name}”."))
