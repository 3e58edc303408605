"""Remind action owners of actions due within three days or overdue (once per action a day).

One pass by default; ``--loop`` keeps going every ``--interval`` seconds. Several copies may
run at once: actions are claimed before sending.
"""

import logging
import time

from django.core.management.base import BaseCommand

from innerclient.actions.notifications import action_reminders_send

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Email action owners about their actions due soon or overdue."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=int, default=3600, help="seconds between passes")

    def handle(self, *args, loop=False, interval=3600, **options):
        while True:
            try:
                sent = action_reminders_send()
                if sent:
                    self.stdout.write(f"{sent} action reminders sent")
            except Exception:
                if not loop:
                    raise
                logger.exception("send_action_reminders pass failed; retrying in %s s", interval)
            if not loop:
                return
            time.sleep(max(interval, 1))
