"""The table behind the shared cache (settings.CACHES, Django's DatabaseCache).

Declared as a model so that ``migrate`` creates it everywhere (development, tests, the
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
