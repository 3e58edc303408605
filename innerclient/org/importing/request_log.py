"""Read a service desk's request log and derive the interaction map it implies.

Rows whose department cannot be recognised or whose date cannot be read are *skipped and
counted*, not blocking: real logs always carry requests from contractors, closed units and
typos, and one such row must not stop the map from being derived from thousands of good
ones. The preview lists the unknown names so the user can fix the structure or the log.
"""

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from innerclient.core.models import Organization
from innerclient.org.importing.fields import normalize_header
from innerclient.org.importing.validate import Progress, Record
from innerclient.org.models import Department
from innerclient.org.request_log import LogEntry, count_pairs, propose_links
from innerclient.org.services.interaction_map import MapDiff, ProposedLink, map_diff

DEFAULT_MIN_COUNT = 3
DEFAULT_WINDOW_MONTHS = 6
SAMPLE = 200
RU_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})\b")


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    match = RU_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        if year < 100:
            year += 2000
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def department_index(
    organization: Organization,
) -> tuple[dict[str, int], dict[int, tuple[str, str]]]:
    """Normalised code / Russian name / English name -> id, and id -> (name_ru, name_en).

    A name shared by two departments is left out: guessing would put requests on the wrong
    department, so such rows are reported as unknown instead.
    """
    index: dict[str, int] = {}
    ambiguous: set[str] = set()
    names: dict[int, tuple[str, str]] = {}
    rows = []
    for pk, code, name_ru, name_en, active in Department.objects.filter(
        organization=organization
    ).values_list("id", "code", "name_ru", "name_en", "is_active"):
        names[pk] = (name_ru, name_en or name_ru)
        if active:  # requests to a closed department make no link to rate
            rows.append((pk, code, name_ru, name_en))
    for pk, code, name_ru, name_en in rows:
        for key in {normalize_header(code), normalize_header(name_ru), normalize_header(name_en)}:
            if not key:
                continue
            if key in index and index[key] != pk:
                ambiguous.add(key)
            index[key] = pk
    # Codes win over names: re-insert codes so a code never counts as ambiguous.
    for pk, code, _name_ru, _name_en in rows:
        key = normalize_header(code)
        if key in ambiguous:
            ambiguous.discard(key)
        index[key] = pk
    for key in ambiguous:
        index.pop(key, None)
    return index, names


@dataclass
class ParsedLog:
    entries: list[LogEntry] = field(default_factory=list)
    unknown_names: Counter = field(default_factory=Counter)
    unknown_rows: int = 0
    bad_date_rows: int = 0
    bad_date_samples: list[tuple[int, str]] = field(default_factory=list)
    self_rows: int = 0

    @property
    def first_date(self) -> dt.date | None:
        return min((e.created_at for e in self.entries), default=None)

    @property
    def last_date(self) -> dt.date | None:
        return max((e.created_at for e in self.entries), default=None)


def parse_log(
    rows: list[Record], index: dict[str, int], *, progress: Progress | None = None
) -> ParsedLog:
    parsed = ParsedLog()
    total = len(rows)
    for done, (number, values) in enumerate(rows, 1):
        if progress is not None and done % 500 == 0:
            progress(done, total)
        day = parse_date(values.get("created_at", ""))
        if day is None:
            parsed.bad_date_rows += 1
            if len(parsed.bad_date_samples) < 20:
                parsed.bad_date_samples.append((number, values.get("created_at", "")))
            continue
        ids = []
        for name in ("client", "provider"):
            text = values.get(name, "").strip()
            pk = index.get(normalize_header(text))
            if pk is None:
                parsed.unknown_names[text or "—"] += 1
            ids.append(pk)
        if None in ids:
            parsed.unknown_rows += 1
            continue
        client_id, provider_id = ids
        if client_id == provider_id:
            parsed.self_rows += 1
            continue
        parsed.entries.append(
            LogEntry(
                created_at=day,
                client_id=client_id,
                provider_id=provider_id,
                request_type=values.get("request_type", "").strip(),
            )
        )
    return parsed


@dataclass(frozen=True)
class LogOptions:
    date_from: dt.date | None
    date_to: dt.date | None
    min_count: int
    remove_missing: bool = False

    @classmethod
    def from_dict(cls, options: dict, parsed: ParsedLog) -> "LogOptions":
        """The user's choices, with the defaults: the log's last six months and 3 requests."""
        last = parsed.last_date
        date_to = _date_or_none(options.get("date_to")) or last
        date_from = _date_or_none(options.get("date_from"))
        if date_from is None and date_to is not None:
            date_from = months_before(date_to, DEFAULT_WINDOW_MONTHS)
        try:
            min_count = max(1, int(options.get("min_count") or DEFAULT_MIN_COUNT))
        except (TypeError, ValueError):
            min_count = DEFAULT_MIN_COUNT
        return cls(date_from, date_to, min_count, bool(options.get("remove_missing")))


def _date_or_none(value) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def derive_links(parsed: ParsedLog, options: LogOptions) -> tuple[list[ProposedLink], Counter]:
    counts = count_pairs(parsed.entries, start=options.date_from, end=options.date_to)
    return propose_links(counts, min_count=options.min_count), counts


def log_preview(
    *, organization: Organization, parsed: ParsedLog, options: LogOptions, names
) -> dict:
    """Everything the preview page shows, as JSON-ready values.

    Department names are stored as ``[Russian, English]`` so the page shows them in the
    reader's language, whichever language the check ran in.
    """
    proposed, counts = derive_links(parsed, options)
    diff = map_diff(organization=organization, proposed=proposed, remove_missing=True)

    def name(pk: int) -> list[str]:
        return list(names.get(pk, ("?", "?")))

    return {
        "kind": "request_log",
        "valid_rows": len(parsed.entries),
        "unknown_rows": parsed.unknown_rows,
        "unknown_names": parsed.unknown_names.most_common(50),
        "unknown_name_count": len(parsed.unknown_names),
        "bad_date_rows": parsed.bad_date_rows,
        "bad_date_samples": parsed.bad_date_samples,
        "self_rows": parsed.self_rows,
        "log_start": _iso(parsed.first_date),
        "log_end": _iso(parsed.last_date),
        "date_from": _iso(options.date_from),
        "date_to": _iso(options.date_to),
        "min_count": options.min_count,
        "requests_in_window": sum(counts.values()),
        "pairs_in_window": len(counts),
        "pairs_below_min": sum(1 for c in counts.values() if c < options.min_count),
        "proposed": len(proposed),
        "diff": _diff_rows(diff, name),
        "errors": [],
    }


def _diff_rows(diff: MapDiff, name) -> dict:
    from innerclient.org.models import InteractionLink

    touched = [pk for pk, _item in diff.changed] + diff.removed
    current = {
        link.pk: link
        for link in InteractionLink.objects.filter(pk__in=touched).only(
            "id", "client_id", "provider_id", "volume", "source"
        )
    }
    return {
        "added": [[name(i.client_id), name(i.provider_id), i.volume] for i in diff.added[:SAMPLE]],
        "added_count": len(diff.added),
        "changed": [
            [name(i.client_id), name(i.provider_id), current[pk].volume, i.volume]
            for pk, i in diff.changed[:SAMPLE]
        ],
        "changed_count": len(diff.changed),
        "removed": [
            [
                name(current[pk].client_id),
                name(current[pk].provider_id),
                current[pk].volume,
                current[pk].source,
            ]
            for pk in diff.removed[:SAMPLE]
        ],
        "removed_count": len(diff.removed),
        "unchanged": diff.unchanged,
    }


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""
