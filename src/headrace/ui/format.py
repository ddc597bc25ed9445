"""Template filters: how numbers, shares, times, durations and ids read on a page."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["FILTERS", "duration", "number", "percent", "pretty", "short_id", "when"]

_MISSING = "–"


def number(value: Any, digits: int = 3) -> str:
    """A float to ``digits`` decimals, an int as is, nothing (``None``, NaN) as a dash."""
    if value is None or isinstance(value, bool):
        return _MISSING if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if math.isfinite(value) else _MISSING
    return str(value)


def percent(value: Any, digits: int = 1) -> str:
    """A share (0.123) as a percentage (12.3%)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        return _MISSING
    return f"{100 * value:.{digits}f}%"


def when(value: datetime | str | None) -> str:
    """A time as ``YYYY-MM-DD HH:MM:SS`` (UTC, as stored)."""
    if value is None:
        return _MISSING
    if isinstance(value, str):
        return value[:19].replace("T", " ")
    return f"{value:%Y-%m-%d %H:%M:%S}"


def duration(seconds: float | None) -> str:
    """Seconds as ``0.42 s``, ``12.3 s`` or ``4m 05s``."""
    if seconds is None or not math.isfinite(seconds):
        return _MISSING
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m {rest:02d}s"


def short_id(value: str | None, length: int = 12) -> str:
    """The first ``length`` characters of a run or object id."""
    return _MISSING if not value else value[:length]


def pretty(value: Any) -> str:
    """A JSON-ready value as indented JSON text (escaped by the template like any text)."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


#: Filters every template can use.
FILTERS: dict[str, Callable[..., str]] = {
    "num": number,
    "pct": percent,
    "when": when,
    "dur": duration,
    "short": short_id,
    "pretty": pretty,
}
