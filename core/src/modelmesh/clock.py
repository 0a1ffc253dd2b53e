"""Time, injected.

Every timing decision in ModelMesh (cooldowns, backoff, windows, TTLs, quota resets)
reads a Clock instead of the time module, so tests drive time forward without
sleeping and two meshes can run on different clocks.
"""

from __future__ import annotations

import asyncio
import functools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What ModelMesh needs to know about time."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences mean anything."""
        ...

    def now(self) -> datetime:
        """The current time as a timezone-aware UTC datetime (calendars, quota resets)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on this clock."""
        ...


class SystemClock:
    """The real clock. Its readings are the time module's own functions, bound with no
    Python frame between: routing reads the clock several times per request."""

    monotonic = staticmethod(time.monotonic)
    now = staticmethod(functools.partial(datetime.now, UTC))

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"


SYSTEM_CLOCK: Clock = SystemClock()


class ManualClock:
    """A clock that moves only when told to: for tests, and for simulations.

    ``sleep`` advances the clock by the requested time and returns at once (after
    yielding to the event loop), so code that backs off for 30 seconds runs in
    microseconds while still seeing 30 seconds pass; every sleep is recorded in
    ``sleeps``.
    """

    def __init__(self, start: datetime | None = None, *, monotonic_start: float = 1000.0) -> None:
        self._wall = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._wall.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._monotonic = monotonic_start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self._monotonic

    def now(self) -> datetime:
        return self._wall

    def advance(self, seconds: float) -> None:
        """Move time forward; negative steps are refused because time never goes back."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back (asked to advance {seconds}s)")
        self._monotonic += seconds
        self._wall += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        """Jump the wall clock forward to ``when`` (monotonic time follows)."""
        self.advance((when - self._wall).total_seconds())

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        self.advance(seconds)
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"ManualClock(now={self._wall.isoformat()})"
