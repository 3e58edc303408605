"""Turn a service desk's request log into a proposed interaction map.

Pure functions over plain values: the importer and the demo company both use them, and
the map services (``org.services.interaction_map``) apply the result.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from innerclient.org.services.interaction_map import ProposedLink


@dataclass(frozen=True)
class LogEntry:
    created_at: dt.date
    client_id: int  # department that sent the request
    provider_id: int  # department that received it
    request_type: str = ""


def count_pairs(
    entries: Iterable[LogEntry], *, start: dt.date | None = None, end: dt.date | None = None
) -> Counter[tuple[int, int]]:
    """Requests per (client, provider) with ``start <= created_at <= end``.

    Requests a department sends to itself are not interaction between departments: skipped.
    """
    counts: Counter[tuple[int, int]] = Counter()
    for entry in entries:
        if entry.client_id == entry.provider_id:
            continue
        if start is not None and entry.created_at < start:
            continue
        if end is not None and entry.created_at > end:
            continue
        counts[(entry.client_id, entry.provider_id)] += 1
    return counts


def propose_links(counts: Counter[tuple[int, int]], *, min_count: int) -> list[ProposedLink]:
    """A link for every pair with at least ``min_count`` requests; the count is its volume."""
    return [
        ProposedLink(client_id=client, provider_id=provider, volume=count)
        for (client, provider), count in sorted(counts.items())
        if count >= min_count
    ]
