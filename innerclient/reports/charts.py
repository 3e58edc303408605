"""Server-rendered SVG charts (matplotlib, SVG backend), the same in pages and in PDFs.

Every chart function is pure: plain data in, SVG text out (an ``<svg>`` element with a
``viewBox`` and no fixed size, so CSS sets its width; no XML prolog). Text stays text
(``svg.fonttype = "none"``, DejaVu Sans first), so Russian labels are searchable and
crisp; output is deterministic (fixed ``svg.hashsalt``, no date metadata): the same data
gives byte-identical SVG. Labels are passed in already translated; the defaults are
gettext'ed in the active language.

    trend_chart(points, *, significant=False, y_label=None) -> str
    distribution_chart(values, *, highlight=None, x_label=None, y_label=None, bins=10) -> str
    ranking_chart(rows, *, x_label=None) -> str
    criteria_chart(rows, *, clients_label=None, self_label=None) -> str
    sparkline(values) -> str

``cached(snapshot_id, name, args, render)`` memoises a chart in Django's cache, keyed by
the snapshot id (a new result version is a new snapshot id, so it never reuses a chart of
an older one), the chart's name, its arguments and the active language.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg")

from django.core.cache import cache
from django.utils import formats, translation
from django.utils.translation import gettext as _
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

PRIMARY = "#1f4e79"
MUTED = "#8a96a3"
GRID = "#e6ebf1"
OK = "#1e7b4b"
DANGER = "#b3261e"
ACCENT = "#d08a1a"
CACHE_SECONDS = 7 * 24 * 3600
CACHE_VERSION = 2  # bump when a chart's drawing changes

RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "innerclient-reports",
    "svg.image_inline": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": "#1d2733",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": "#4a5563",
    "ytick.color": "#4a5563",
    "path.simplify": True,
    "text.parse_math": False,  # a "$" in a department name is text, not mathtext
}

_SIZE = re.compile(r'\swidth="[^"]*pt"\s+height="[^"]*pt"')


def _svg(figure: Figure, *, label: str) -> str:
    buffer = io.StringIO()
    FigureCanvasSVG(figure)
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = _SIZE.sub("", text, count=1)
    # Accessible name; the title attribute shows it on hover as well.
    safe = label.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return text.replace("<svg ", f'<svg class="chart" role="img" aria-label="{safe}" ', 1)


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=72, layout="constrained")


def _number(value: float, digits: int) -> str:
    """A figure as the page prints it in the active language (``42,1`` in Russian)."""
    return formats.number_format(round(value, digits), digits)


def _finite(value) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def trend_chart(
    points: Sequence[tuple[str, float | None, float | None, float | None]],
    *,
    significant: bool = False,
    y_label: str | None = None,
    width: float = 6.0,
    height: float = 2.6,
) -> str:
    """Index per cycle, oldest first: ``(cycle name, index, ci_low, ci_high)``.

    A ``None`` index is a gap (hidden in that cycle); a CI, where known, is a whisker.
    ``significant`` marks the last step as a significant change (a filled, larger dot).
    """
    with matplotlib.rc_context(RC):
        figure = _figure(width, height)
        ax = figure.add_subplot()
        xs = list(range(len(points)))
        ys = [p[1] if _finite(p[1]) else float("nan") for p in points]
        ax.plot(xs, ys, color=PRIMARY, linewidth=2, marker="o", markersize=5, zorder=3)
        for x, (_name, value, low, high) in zip(xs, points, strict=True):
            if _finite(value) and _finite(low) and _finite(high):
                ax.errorbar(
                    [x],
                    [value],
                    yerr=[[value - low], [high - value]],
                    color=PRIMARY,
                    capsize=4,
                    linewidth=1.2,
                    zorder=2,
                )
            if _finite(value):
                ax.annotate(
                    f"{value:.1f}",
                    (x, value),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=8,
                    color="#1d2733",
                )
            else:
                ax.annotate(
                    "—", (x, 0.5), xycoords=("data", "axes fraction"), ha="center", color=MUTED
                )
        if significant and len(points) >= 2 and _finite(ys[-1]):
            ax.plot(
                [xs[-1]],
                [ys[-1]],
                marker="o",
                markersize=11,
                markerfacecolor="none",
                markeredgecolor=ACCENT,
                markeredgewidth=2,
                zorder=4,
            )
        ax.set_xticks(xs, [p[0] for p in points])
        ax.set_xlim(-0.5, len(points) - 0.5)
        finite = [v for v in ys if math.isfinite(v)]
        lows = [p[2] for p in points if _finite(p[2])]
        highs = [p[3] for p in points if _finite(p[3])]
        if finite:
            low = min(finite + lows)
            high = max(finite + highs)
            pad = max(5.0, (high - low) * 0.25)
            ax.set_ylim(max(0, low - pad), min(100, high + pad))
        else:
            ax.set_ylim(0, 100)
        ax.set_ylabel(y_label if y_label is not None else _("Index, %"))
        ax.grid(axis="y", color=GRID)
        ax.set_axisbelow(True)
        return _svg(figure, label=_("Index per cycle"))


def distribution_chart(
    values: Sequence[float],
    *,
    highlight: float | None = None,
    x_label: str | None = None,
    y_label: str | None = None,
    bins: int = 10,
    width: float = 6.0,
    height: float = 2.4,
) -> str:
    """Histogram of department indices (percent, 0–100); ``highlight`` draws a marker line
    (e.g. one department's index, or the problem threshold)."""
    with matplotlib.rc_context(RC):
        figure = _figure(width, height)
        ax = figure.add_subplot()
        data = [v for v in values if _finite(v)]
        if data:
            low = math.floor(min(data) / 5) * 5
            high = math.ceil(max(data) / 5) * 5
            if high <= low:
                high = low + 5
            ax.hist(
                data, bins=bins, range=(low, high), color=PRIMARY, alpha=0.85, edgecolor="white"
            )
        if _finite(highlight):
            ax.axvline(highlight, color=ACCENT, linewidth=2)
        ax.set_xlabel(x_label if x_label is not None else _("Index, %"))
        ax.set_ylabel(y_label if y_label is not None else _("Departments"))
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.grid(axis="y", color=GRID)
        ax.set_axisbelow(True)
        return _svg(figure, label=_("Distribution of indices"))


def ranking_chart(
    rows: Sequence[tuple[str, float, float | None, float | None]],
    *,
    x_label: str | None = None,
    width: float = 6.0,
) -> str:
    """Horizontal dots with CI whiskers, first row on top: ``(label, value, ci_low, ci_high)``."""
    with matplotlib.rc_context(RC):
        height = 0.8 + 0.24 * max(1, len(rows))
        figure = _figure(width, height)
        ax = figure.add_subplot()
        ys = list(range(len(rows)))[::-1]
        for y, (_label, value, low, high) in zip(ys, rows, strict=True):
            if _finite(low) and _finite(high):
                ax.plot([low, high], [y, y], color=MUTED, linewidth=2, solid_capstyle="butt")
            ax.plot([value], [y], marker="o", color=PRIMARY, markersize=6)
        ax.set_yticks(ys, [r[0] for r in rows])
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel(x_label if x_label is not None else _("Index, % (95% interval)"))
        ax.grid(axis="x", color=GRID)
        ax.set_axisbelow(True)
        return _svg(figure, label=_("Ranking with intervals"))


def criteria_chart(
    rows: Sequence[tuple[str, float | None, float | None]],
    *,
    clients_label: str | None = None,
    self_label: str | None = None,
    width: float = 6.0,
) -> str:
    """Horizontal bars per criterion: ``(criterion name, clients' percent, self percent)``;
    the self-assessment is a marker beside the clients' bar. ``None`` leaves it out."""
    with matplotlib.rc_context(RC):
        height = 0.9 + 0.32 * max(1, len(rows))
        figure = _figure(width, height)
        ax = figure.add_subplot()
        ys = list(range(len(rows)))[::-1]
        clients = [r[1] if _finite(r[1]) else 0 for r in rows]
        ax.barh(
            ys,
            clients,
            color=PRIMARY,
            alpha=0.85,
            height=0.6,
            label=clients_label if clients_label is not None else _("Clients"),
        )
        own = [(y, r[2]) for y, r in zip(ys, rows, strict=True) if _finite(r[2])]
        if own:
            ax.plot(
                [v for _y, v in own],
                [y for y, _v in own],
                linestyle="none",
                marker="D",
                color=ACCENT,
                markersize=6,
                label=self_label if self_label is not None else _("Self-assessment"),
            )
        for y, r in zip(ys, rows, strict=True):
            text = _number(r[1], 0) if _finite(r[1]) else "—"
            ax.annotate(
                text,
                (clients[len(rows) - 1 - y], y),
                textcoords="offset points",
                xytext=(3, -3),
                fontsize=8,
            )
        ax.set_yticks(ys, [r[0] for r in rows])
        ax.set_xlim(0, 104)  # room for a marker at 100
        ax.set_xticks([0, 20, 40, 60, 80, 100])
        ax.grid(axis="x", color=GRID)
        ax.set_axisbelow(True)
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=2,
            fontsize=8,
            frameon=False,
            borderaxespad=0.2,
        )
        return _svg(figure, label=_("Criteria"))


def sparkline(values: Sequence[float | None], *, width: float = 1.2, height: float = 0.3) -> str:
    """A tiny line of the index over cycles (gaps where hidden); the last point is a dot."""
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(width, height), dpi=72)
        ax = figure.add_axes((0.04, 0.1, 0.92, 0.8))
        ax.set_axis_off()
        ys = [v if _finite(v) else float("nan") for v in values]
        xs = list(range(len(ys)))
        ax.plot(xs, ys, color=PRIMARY, linewidth=1.3)
        if ys and math.isfinite(ys[-1]):
            ax.plot([xs[-1]], [ys[-1]], marker="o", color=PRIMARY, markersize=3)
        finite = [v for v in ys if math.isfinite(v)]
        if finite:
            low, high = min(finite), max(finite)
            pad = max(2.0, (high - low) * 0.15)
            ax.set_ylim(low - pad, high + pad)
        ax.set_xlim(-0.3, max(1, len(ys) - 1) + 0.3)
        figure.patch.set_alpha(0)
        return _svg(figure, label=_("Trend"))


def cached(snapshot_id: int, name: str, args: object, render: Callable[[], str]) -> str:
    """The chart from the cache, or ``render()`` stored there. ``args`` must be JSON-able
    and describe everything the picture depends on besides the snapshot and language."""
    language = translation.get_language() or ""
    digest = hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()[:24]
    key = f"reports:chart:v{CACHE_VERSION}:{snapshot_id}:{name}:{language}:{digest}"
    svg = cache.get(key)
    if svg is None:
        svg = render()
        cache.set(key, svg, CACHE_SECONDS)
    return svg


def cached_many(
    snapshot_id: int, name: str, items: dict[str, object], render: Callable[[object], str]
) -> dict[str, str]:
    """Like ``cached`` for many small charts (sparklines): one cache round trip."""
    language = translation.get_language() or ""
    keys = {
        item: f"reports:chart:v{CACHE_VERSION}:{snapshot_id}:{name}:{language}:"
        + hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode()).hexdigest()[:24]
        for item, args in items.items()
    }
    found = cache.get_many(list(keys.values()))
    result, missing = {}, {}
    for item, key in keys.items():
        if key in found:
            result[item] = found[key]
        else:
            result[item] = missing[key] = render(items[item])
    if missing:
        cache.set_many(missing, CACHE_SECONDS)
    return result
