"""Deadlines: they interrupt a call that outlives them and nothing else, never early,
and calls due together share one timer."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.deadline import deadline, grid_point


def test_a_call_past_the_deadline_is_cancelled_and_raises_timeout_error():
    cancelled = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def scenario() -> None:
        with deadline(0.01):
            await slow()

    with pytest.raises(TimeoutError, match=r"deadline of 0\.01s passed"):
        asyncio.run(scenario())
    assert cancelled == [True]


def test_a_call_within_the_deadline_is_not_cancelled_once_it_is_over():
    async def scenario() -> str:
        with deadline(0.01):
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)  # well past the deadline, outside it
        return "finished"

    assert asyncio.run(scenario()) == "finished"


def test_a_cancellation_from_outside_stays_a_cancellation():
    async def scenario() -> None:
        async def inner() -> None:
            with deadline(10):
                await asyncio.sleep(10)

        task = asyncio.create_task(inner())
        await asyncio.sleep(0)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())


def test_deadlines_nest_and_the_inner_one_reports_its_own_expiry():
    async def scenario() -> str:
        with deadline(10):
            try:
                with deadline(0.01):
                    await asyncio.sleep(10)
            except TimeoutError:
                return "inner expired; outer still running"
        return "not reached"

    assert asyncio.run(scenario()) == "inner expired; outer still running"


def test_an_error_in_the_body_passes_through_unchanged():
    async def scenario() -> None:
        with deadline(10):
            raise ValueError("from the body")

    with pytest.raises(ValueError, match="from the body"):
        asyncio.run(scenario())


@given(
    now=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    seconds=st.floats(min_value=0, max_value=1e5, allow_nan=False),
)
def test_a_deadline_fires_at_its_time_or_slightly_after_never_before(now, seconds):
    point = grid_point(now, seconds)
    late = point - (now + seconds)
    assert late >= 0
    # At most one grid step late: 1/64 of the length, within 1 ms to 62.5 ms.
    assert late <= min(max(seconds / 64, 2**-10), 2**-4) + 1e-9 * (now + seconds)


class CountingLoop(asyncio.SelectorEventLoop):
    """Counts the timers scheduled on it."""

    timers = 0

    def call_at(self, when, callback, *args, context=None):
        self.timers += 1
        return super().call_at(when, callback, *args, context=context)


def test_deadlines_due_together_share_one_timer():
    loop = CountingLoop()

    async def call() -> None:
        with deadline(30):
            await asyncio.sleep(0)

    async def scenario() -> None:
        before = loop.timers
        await asyncio.gather(*(call() for _ in range(200)))
        # 200 calls due within the same 62.5 ms step: one or two grid points, not 200.
        assert loop.timers - before <= 2

    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
