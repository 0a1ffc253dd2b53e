"""The request deadline: it interrupts a call that outlives it and nothing else."""

from __future__ import annotations

import asyncio

import pytest

from modelmesh.routing.deadline import deadline


def test_a_call_past_the_deadline_is_cancelled_and_raises_timeout_error():
    cancelled = []

    async def slow() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def scenario() -> None:
        async with deadline(0.01):
            await slow()

    with pytest.raises(TimeoutError, match=r"deadline of 0\.01s passed"):
        asyncio.run(scenario())
    assert cancelled == [True]


def test_a_call_within_the_deadline_is_not_cancelled_once_it_is_over():
    async def scenario() -> str:
        async with deadline(0.01):
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)  # well past the deadline, outside it
        return "finished"

    assert asyncio.run(scenario()) == "finished"


def test_a_cancellation_from_outside_stays_a_cancellation():
    async def scenario() -> None:
        async def inner() -> None:
            async with deadline(10):
                await asyncio.sleep(10)

        task = asyncio.create_task(inner())
        await asyncio.sleep(0)
        task.cancel()
        await task

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(scenario())


def test_deadlines_nest_and_the_inner_one_reports_its_own_expiry():
    async def scenario() -> str:
        async with deadline(10):
            try:
                async with deadline(0.01):
                    await asyncio.sleep(10)
            except TimeoutError:
                return "inner expired; outer still running"
        return "not reached"

    assert asyncio.run(scenario()) == "inner expired; outer still running"


def test_an_error_in_the_body_passes_through_unchanged():
    async def scenario() -> None:
        async with deadline(10):
            raise ValueError("from the body")

    with pytest.raises(ValueError, match="from the body"):
        asyncio.run(scenario())
