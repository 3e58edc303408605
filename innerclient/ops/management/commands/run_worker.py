"""``manage.py run_worker``: django_tasks_db's ``db_worker`` with a heartbeat and recovery.

Same options as ``db_worker``. Publishes this process's heartbeat every few seconds from a
thread of its own, and recovers the tasks of workers that died mid-task, once at start and
then periodically (innerclient/ops/worker.py, docs/worker.md). The worker id defaults to
host-pid-random, unique across the pool.
"""

import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from innerclient.ops import worker


class Command(DbWorkerCommand):
    help = "Run the background worker, with a heartbeat and recovery of lost workers' tasks"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=worker.worker_id_new())

    def handle(self, *args, **options) -> None:
        # With --reload the command runs twice: a watching parent and the child that works.
        # Only the child claims tasks, so only it has a heartbeat.
        reloads = options["reload"] and not options["batch"]
        if reloads and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            return super().handle(*args, **options)
        heartbeat = worker.Heartbeat(options["worker_id"])
        heartbeat.start()
        try:
            return super().handle(*args, **options)
        finally:
            heartbeat.stop()
