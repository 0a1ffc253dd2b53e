"""Durations: ``500ms``, ``1.5s``, ``30m``, ``1h``, ``7d`` or a number of seconds.

Stored as float seconds so that every consumer computes with one unit; written back
with the largest unit that divides evenly so a saved config reads like a written one.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import NewType

from modelmesh.config.issues import InvalidValue

Duration = NewType("Duration", float)
"""Seconds, as a float; the schema marks duration fields with this type."""

UNITS = ("ms", "s", "m", "h", "d")
_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_TEXT = re.compile(r"^\s*(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>[a-zA-Z]*)\s*$")
_EXPECTED = (
    "expected a duration: a number of seconds, or a number followed by one of "
    + ", ".join(UNITS)
    + " (for example 500ms, 1.5s, 30m, 1h, 7d)"
)


def parse_duration(value: str | int | float) -> float:
    """Return the duration in seconds; ValueError names what was wrong and the units."""
    if isinstance(value, bool):
        raise InvalidValue(_EXPECTED, value)
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise InvalidValue("expected a duration of zero or more seconds", value)
        return float(value)
    if not isinstance(value, str):
        raise InvalidValue(_EXPECTED, value)
    match = _TEXT.match(value)
    if match is None:
        if value.strip().startswith("-"):
            raise InvalidValue("expected a duration of zero or more seconds", value)
        raise InvalidValue(_EXPECTED, value)
    unit = match["unit"]
    if not unit:
        raise InvalidValue(_EXPECTED + "; a bare number in quotes has no unit", value)
    if unit not in UNITS:
        raise InvalidValue(f"unknown duration unit {unit!r}; " + _EXPECTED, value)
    number = float(match["number"])
    seconds = number / 1000 if unit == "ms" else number * _SECONDS[unit]
    if not math.isfinite(seconds):
        raise InvalidValue("the duration is too large", value)
    return seconds


def format_duration(seconds: float) -> str:
    """Write seconds with the largest unit that divides evenly: 300 -> '5m', 0.5 -> '500ms'.

    The result always parses back to exactly the same float.
    """
    if isinstance(seconds, bool) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"cannot format {seconds!r} as a duration")
    if seconds == 0:
        return "0s"
    if float(seconds).is_integer():
        whole = int(seconds)
        for unit, size in _SECONDS.items():
            if whole % size == 0:
                text = f"{whole // size}{unit}"
                if parse_duration(text) == seconds:
                    return text
    millis = round(seconds * 1000)
    text = f"{millis}ms"
    if parse_duration(text) == seconds:
        return text
    return f"{Decimal(repr(float(seconds))):f}s"
