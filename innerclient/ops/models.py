"""Operations tables: the shared cache, and the background workers' heartbeats and recoveries.

``CacheEntry`` is the table behind the shared cache (settings.CACHES, Django's DatabaseCache),
declared as a model so that ``migrate`` creates it everywhere (development, tests, the
benchmarks, production) and nobody has to remember ``createcachetable``. Its columns are
exactly those ``createcachetable`` would create, which DatabaseCache reads with raw SQL;
``createcachetable`` itself finds the table present and does nothing. Nothing else in the
application reads or writes it.
"""

from django.db import models

CACHE_TABLE = "innerclient_cache"


class CacheEntry(models.Model):
    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = CACHE_TABLE

    def __str__(self) -> str:
        return self.cache_key


class WorkerHeartbeat(models.Model):
    """A running ``manage.py run_worker`` process, refreshed every few seconds by a thread of
    its own (innerclient/ops/worker.py). A row that stops being refreshed is a worker that
    died: the task it claimed is recovered. Rows of workers that stopped cleanly are deleted."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class TaskRecovery(models.Model):
    """One task found running on a lost worker, and what was done about it.

    The durable attempt count: a retry's row names the task it was enqueued as
    (``retry_task_id``), so when that task is stranded too, its attempt number is found
    here. Task ids are plain values, not foreign keys: ``prune_db_task_results`` may delete
    old task results, and this history should outlive them."""

    class Outcome(models.TextChoices):
        RETRIED = "retried"
        GAVE_UP = "gave_up"  # the attempts were used up
        NOT_RETRIED = "not_retried"  # the task is not safe to run twice (worker.NOT_RETRIED)

    task_id = models.UUIDField(unique=True)
    first_task_id = models.UUIDField(db_index=True)
    task_path = models.TextField()
    attempt = models.PositiveIntegerField()
    worker_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    retry_task_id = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_path} attempt {self.attempt}: {self.outcome}"
