"""Bonus multipliers from results: pure functions, no Django.

A department's multiplier comes from its official index (raw or leniency-adjusted, as the
methodology says) by one of two formulas:

- **bands**: the index (percent of the scale) falls in one band, ``[lower, upper)``, and the
  band gives the multiplier; the first band has no lower bound and the last no upper one, so
  every index falls in exactly one band;
- **improvement**: ``1 + slope × (index − previous cycle's index)``.

Either way the multiplier is clipped to ``1 ± cap`` (the cap on the bonus weight) and never
goes below 0. A multiplier is computed only where the figure can bear it: the figure is shown
(not suppressed), rests on at least ``min_raters`` raters, and its 95% interval is no wider
than ``± max_half_width`` index points; the improvement formula also needs the previous
cycle's figure. Otherwise the outcome is "insufficient data" with the reason.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

BANDS = "bands"
IMPROVEMENT = "improvement"

# Reasons; "ok" means a multiplier was computed.
OK = "ok"
HIDDEN = "hidden"
FEW_RATERS = "few_raters"
WIDE_INTERVAL = "wide_interval"
NO_PREVIOUS = "no_previous"

DECIMALS = 4


class BandError(ValueError):
    """Bands that cannot be used; ``code`` says why, ``params`` fill the message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code, params)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Band:
    lower: float | None  # inclusive; None: no lower bound
    upper: float | None  # exclusive; None: no upper bound
    multiplier: float

    def contains(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (
            self.upper is None or value < self.upper
        )

    def as_json(self) -> list:
        return [self.lower, self.upper, self.multiplier]


def _number(value: object, *, position: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BandError("shape", band=position)
    number = float(value)
    if not math.isfinite(number):
        raise BandError("shape", band=position)
    return number


def parse_bands(raw: object) -> tuple[Band, ...]:
    """Stored bands (a list of ``[lower, upper, multiplier]``) checked: at least one band,
    open at both ends, each non-empty, contiguous (each upper is the next lower, so no gap
    and no overlap), multipliers above zero."""
    if not isinstance(raw, (list, tuple)) or not raw:
        raise BandError("empty")
    bands = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise BandError("shape", band=position)
        lower, upper, multiplier = item
        lower = None if lower is None else _number(lower, position=position)
        upper = None if upper is None else _number(upper, position=position)
        multiplier = _number(multiplier, position=position)
        if multiplier <= 0:
            raise BandError("multiplier", band=position)
        if lower is not None and upper is not None and lower >= upper:
            raise BandError("empty_band", band=position)
        bands.append(Band(lower, upper, multiplier))
    if bands[0].lower is not None or bands[-1].upper is not None:
        raise BandError("open_ends")
    for position, (band, following) in enumerate(itertools.pairwise(bands), start=1):
        if band.upper is None or following.lower is None:
            raise BandError("open_ends")
        if following.lower > band.upper:
            raise BandError("gap", band=position, upper=band.upper, lower=following.lower)
        if following.lower < band.upper:
            raise BandError("overlap", band=position, upper=band.upper, lower=following.lower)
    return tuple(bands)


@dataclass(frozen=True)
class Scheme:
    mode: str
    bands: tuple[Band, ...] = ()
    slope: float = 0.01
    cap: float = 0.15
    min_raters: int = 10
    max_half_width: float = 10.0


@dataclass(frozen=True)
class Figure:
    """What a stored result says about one department (hidden figures are None)."""

    index: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n_raters: int = 0
    shown: bool = True
    previous_index: float | None = None


@dataclass(frozen=True)
class Outcome:
    multiplier: float | None  # None: insufficient data
    reason: str
    half_width: float | None = None
    change: float | None = None
    capped: bool = False

    @property
    def sufficient(self) -> bool:
        return self.multiplier is not None


def half_width(figure: Figure) -> float | None:
    if figure.ci_low is None or figure.ci_high is None:
        return None
    return (figure.ci_high - figure.ci_low) / 2


def band_multiplier(bands: Sequence[Band], index: float) -> float:
    for band in bands:
        if band.contains(index):
            return band.multiplier
    raise ValueError(f"no band holds {index}")  # parse_bands rules this out


def clip(multiplier: float, cap: float) -> float:
    return min(max(multiplier, 1 - cap, 0.0), 1 + cap)


def multiplier_for(scheme: Scheme, figure: Figure) -> Outcome:
    """The department's multiplier, or "insufficient data" with the first reason found."""
    if not figure.shown or figure.index is None:
        return Outcome(None, HIDDEN)
    width = half_width(figure)
    if figure.n_raters < scheme.min_raters:
        return Outcome(None, FEW_RATERS, width)
    if width is None or width > scheme.max_half_width:
        return Outcome(None, WIDE_INTERVAL, width)
    change = None
    if scheme.mode == IMPROVEMENT:
        if figure.previous_index is None:
            return Outcome(None, NO_PREVIOUS, width)
        change = figure.index - figure.previous_index
        raw = 1 + scheme.slope * change
    else:
        raw = band_multiplier(scheme.bands, figure.index)
    clipped = clip(raw, scheme.cap)
    return Outcome(
        round(clipped, DECIMALS), OK, width, change, capped=not math.isclose(clipped, raw)
    )


def multipliers(scheme: Scheme, figures: Sequence[Figure]) -> list[Outcome]:
    return [multiplier_for(scheme, figure) for figure in figures]
