"""TimeoutMixin: deadlines for one call and for a stream's first chunk and whole life."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from modelmesh.errors import ProviderTimeoutError
from modelmesh_cdk.mixins.timeout import RequestTimeoutError, TimeoutMixin

pytestmark = pytest.mark.anyio

SHORT = 0.02


class Timed(TimeoutMixin):
    pass


async def never() -> None:
    await asyncio.Event().wait()


async def items(*values: int, then_hang: bool = False) -> AsyncIterator[int]:
    for value in values:
        yield value
    if then_hang:
        await never()


async def answer() -> int:
    return 42


async def test_a_call_within_its_deadline_returns_its_result():
    assert await Timed().with_timeout(answer(), timeout=1) == 42


async def test_a_call_past_its_deadline_raises_a_provider_timeout():
    with pytest.raises(ProviderTimeoutError):
        await Timed().with_timeout(never(), timeout=SHORT)


async def test_the_timeout_error_names_the_operation_and_limit():
    with pytest.raises(RequestTimeoutError, match=r"catalogue timed out after 0\.02s"):
        await Timed().with_timeout(never(), timeout=SHORT, operation="catalogue")


async def test_the_configured_default_applies():
    timed = Timed()
    timed.configure_timeout(default=SHORT)
    with pytest.raises(RequestTimeoutError) as caught:
        await timed.with_timeout(never())
    assert caught.value.timeout == SHORT


def test_defaults():
    timed = Timed()
    assert (
        timed._timeout_default,
        timed._timeout_streaming,
        timed._timeout_streaming_total,
        timed._timeout_connect,
    ) == (30.0, 60.0, 300.0, 10.0)


def test_a_deadline_must_be_positive():
    with pytest.raises(ValueError, match="streaming"):
        Timed().configure_timeout(streaming=0)


async def test_a_stream_within_its_deadlines_yields_everything():
    wrapped = Timed().with_stream_timeout(items(1, 2, 3), first_chunk_timeout=1, total_timeout=1)
    assert [item async for item in wrapped] == [1, 2, 3]


async def test_no_first_chunk_in_time_raises():
    wrapped = Timed().with_stream_timeout(items(then_hang=True), first_chunk_timeout=SHORT)
    with pytest.raises(RequestTimeoutError, match="first chunk"):
        await anext(wrapped)


async def test_a_stream_past_its_total_deadline_raises_after_its_items():
    wrapped = Timed().with_stream_timeout(
        items(1, then_hang=True), first_chunk_timeout=1, total_timeout=SHORT
    )
    assert await anext(wrapped) == 1
    with pytest.raises(RequestTimeoutError, match="stream timed out"):
        await anext(wrapped)


async def test_the_source_is_closed_on_timeout():
    closed = []

    async def source() -> AsyncIterator[int]:
        try:
            await never()
            yield 1
        finally:
            closed.append(True)

    wrapped = Timed().with_stream_timeout(source(), first_chunk_timeout=SHORT)
    with pytest.raises(RequestTimeoutError):
        await anext(wrapped)
    assert closed == [True]
