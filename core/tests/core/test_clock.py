"""The injectable clock: tests move time; nothing sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.clock import SYSTEM_CLOCK, ManualClock


def test_manual_time_moves_only_when_advanced():
    clock = ManualClock()
    before = (clock.monotonic(), clock.now())

    clock.advance(30)

    assert clock.monotonic() == before[0] + 30
    assert clock.now() == before[1] + timedelta(seconds=30)


def test_sleeping_on_a_manual_clock_advances_it_and_records_the_sleep():
    clock = ManualClock()
    start = clock.monotonic()

    asyncio.run(clock.sleep(12.5))

    assert clock.monotonic() == start + 12.5
    assert clock.sleeps == [12.5]


def test_a_manual_clock_cannot_go_back():
    with pytest.raises(ValueError, match="cannot go back"):
        ManualClock().advance(-1)


def test_a_manual_clock_needs_an_aware_start():
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))


def test_setting_the_wall_clock_moves_monotonic_time_too():
    clock = ManualClock(datetime(2026, 3, 31, 23, 59, tzinfo=UTC))
    start = clock.monotonic()

    clock.set(datetime(2026, 4, 1, 0, 0, tzinfo=UTC))

    assert clock.monotonic() - start == 60


@given(steps=st.lists(st.floats(0, 1e6, allow_nan=False), max_size=20))
def test_manual_monotonic_time_never_decreases(steps):
    clock = ManualClock()
    seen = [clock.monotonic()]
    for step in steps:
        clock.advance(step)
        seen.append(clock.monotonic())

    assert seen == sorted(seen)


def test_the_system_clock_gives_aware_utc_times():
    assert SYSTEM_CLOCK.now().tzinfo is UTC
