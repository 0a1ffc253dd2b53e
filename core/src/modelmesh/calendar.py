"""The UTC calendar: quota and budget periods, and cron-scheduled maintenance windows.

Quota, token and budget counters reset at the start of the UTC day or month, never on a
rolling window, so two instances (or a restarted one) agree on which period a request
belongs to. Times here are timezone-aware UTC datetimes; callers pass the clock's
reading instead of this module reading one.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, timedelta

__all__ = ["CronSchedule", "MaintenanceWindow", "Period", "next_period_start", "period_key"]


class Period(enum.StrEnum):
    """A calendar period that counters reset on."""

    DAILY = "daily"
    MONTHLY = "monthly"


def period_start(when: datetime, period: Period) -> datetime:
    """Midnight UTC opening the day or month that ``when`` falls in."""
    when = when.astimezone(UTC)
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if period is Period.DAILY else day.replace(day=1)


def next_period_start(when: datetime, period: Period) -> datetime:
    """Midnight UTC opening the period after the one ``when`` falls in."""
    start = period_start(when, period)
    if period is Period.DAILY:
        return start + timedelta(days=1)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def period_key(when: datetime, period: Period) -> str:
    """A stable name of the period (``2026-11-23`` or ``2026-11``), stored with counters."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d" if period is Period.DAILY else "%Y-%m")


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES = {
    3: {name: number for number, name in enumerate(_MONTHS, 1)},
    4: {name: number for number, name in enumerate(_WEEKDAYS)},
}
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_PART = re.compile(r"^(\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/([0-9]+))?$")


class CronSchedule:
    """A five-field cron expression (minute hour day-of-month month day-of-week).

    Numbers, ``*``, ranges, steps, lists and three-letter month and day names are
    understood; day-of-week 7 is Sunday, as 0 is. When both day fields are restricted
    a day matches either, as in cron. The non-standard ``L``, ``W``, ``#`` and ``?``
    are refused with ValueError rather than misread.
    """

    def __init__(self, expression: str) -> None:
        fields = expression.lower().split()
        if len(fields) != 5:
            raise ValueError(
                f"cron expression {expression!r} needs 5 fields "
                "(minute hour day-of-month month day-of-week)"
            )
        self.expression = expression
        sets = [_parse_field(text, index) for index, text in enumerate(fields)]
        self._minutes, self._hours, self._days, self._months, weekdays = sets
        self._weekdays = {day % 7 for day in weekdays}
        self._any_day = fields[2] == "*"
        self._any_weekday = fields[4] == "*"

    def matches(self, when: datetime) -> bool:
        """True when the minute holding ``when`` (UTC) is one the expression names."""
        when = when.astimezone(UTC)
        if (
            when.minute not in self._minutes
            or when.hour not in self._hours
            or when.month not in self._months
        ):
            return False
        day_ok = when.day in self._days
        weekday_ok = (when.isoweekday() % 7) in self._weekdays
        if self._any_day or self._any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def __repr__(self) -> str:
        return f"CronSchedule({self.expression!r})"


def _parse_field(text: str, index: int) -> set[int]:
    low, high = _BOUNDS[index]
    values: set[int] = set()
    for part in text.split(","):
        match = _PART.match(part)
        if match is None:
            raise ValueError(
                f"cron {_FIELD_NAMES[index]} field {text!r}: {part!r} is not a number, "
                "range, step or name (L, W, # and ? are not supported)"
            )
        span, step_text = match.groups()
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"cron {_FIELD_NAMES[index]} field {text!r}: a step must be >= 1")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first, last = (_value(v, index) for v in span.split("-"))
        else:
            first = _value(span, index)
            last = high if step_text else first
        if not low <= first <= last <= high:
            raise ValueError(
                f"cron {_FIELD_NAMES[index]} field {text!r}: {part!r} is outside {low}-{high}"
            )
        values.update(range(first, last + 1, step))
    return values


def _value(text: str, index: int) -> int:
    if text.isdigit():
        return int(text)
    names = _NAMES.get(index, {})
    if text in names:
        return names[text]
    raise ValueError(f"cron {_FIELD_NAMES[index]} field: {text!r} is not a number or name")


class MaintenanceWindow:
    """Windows that open at each minute a cron expression names and last ``duration``.

    ``"0 2 * * sun"`` with one hour is 02:00-03:00 UTC every Sunday. The answer for a
    minute is kept, because routing asks on every request.
    """

    def __init__(self, expression: str, duration: float) -> None:
        if duration <= 0:
            raise ValueError("a maintenance window needs a duration of more than 0 seconds")
        self.schedule = CronSchedule(expression)
        self.duration = timedelta(seconds=duration)
        self._cached: tuple[datetime, datetime | None] | None = None

    def window_end(self, now: datetime) -> datetime | None:
        """When the window holding ``now`` closes, or None outside every window."""
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        if self._cached is not None and self._cached[0] == minute:
            end = self._cached[1]
        else:
            end = self._latest_end(minute)
            self._cached = (minute, end)
        return end if end is not None and end > now else None

    def _latest_end(self, minute: datetime) -> datetime | None:
        """The end of the latest window opening within ``duration`` before ``minute``."""
        step = timedelta(minutes=1)
        opening = minute
        while minute - opening < self.duration:
            if self.schedule.matches(opening):
                return opening + self.duration
            opening -= step
        return None
