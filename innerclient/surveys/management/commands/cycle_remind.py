"""``manage.py cycle_remind --org demo "2027 Q1"``: remind everyone who has not finished, now."""

from django.core.management.base import BaseCommand, CommandError

from innerclient.surveys.cli import add_cycle_argument, cycle_of
from innerclient.surveys.models import Cycle
from innerclient.surveys.notifications import reminders_send


class Command(BaseCommand):
    help = (
        "Send a reminder now to every rater of an open cycle who has not finished "
        "(at most one per person, within the cycle's maximum number of reminders)."
    )

    def add_arguments(self, parser):
        add_cycle_argument(parser)

    def handle(self, *args, org, cycle, **options):
        found = cycle_of(org, cycle)
        if found.status != Cycle.Status.OPEN:
            raise CommandError(
                f"Only an open cycle gets reminders; “{found.name}” is {found.status}."
            )
        sent = reminders_send(cycle_id=found.pk, force=True)
        self.stdout.write(self.style.SUCCESS(f"Reminders sent for “{found.name}”: {sent}."))
