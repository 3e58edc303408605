"""Send what is due: invitations not sent yet and scheduled reminders, for every open cycle,
and the action plans' due-date reminders.

One pass by default; ``--loop`` keeps going every ``--interval`` seconds (``make run`` starts
it beside the server). Several copies may run at once: rows are claimed before sending.
"""

import logging
import time

from django.core.management.base import BaseCommand

from innerclient.actions.notifications import action_reminders_send
from innerclient.surveys.notifications import notifications_pass

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send invitations and reminders of open cycles, and action plan reminders."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=int, default=300, help="seconds between passes")

    def handle(self, *args, loop=False, interval=300, **options):
        while True:
            try:
                self._pass()
            except Exception:
                if not loop:
                    raise
                # An SMTP or database hiccup must not stop the loop; claimed rows expire.
                logger.exception("send_reminders pass failed; retrying in %s s", interval)
            if not loop:
                return
            time.sleep(max(interval, 1))

    def _pass(self):
        # Action plans' owners get their due-date reminders in the same loop.
        owners = action_reminders_send()
        if owners:
            self.stdout.write(f"action plans: {owners} reminders sent")
        for cycle_id, (invited, reminded) in notifications_pass().items():
            if invited or reminded:
                self.stdout.write(
                    f"cycle {cycle_id}: {invited} invitations, {reminded} reminders sent"
                )
