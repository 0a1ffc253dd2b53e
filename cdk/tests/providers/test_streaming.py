"""stream(): chunks as frames arrive, and never a silent truncation."""

from __future__ import annotations

import time

import attrs
import pytest

from modelmesh.errors import (
    ProviderConnectionError,
    ProviderServerError,
    ProviderTimeoutError,
    RateLimitError,
    StreamInterruptedError,
)
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.testing.fake_upstream import error, reset, stall, stream

pytestmark = pytest.mark.anyio


async def collect(provider, request) -> list:
    return [chunk async for chunk in provider.stream(request)]


async def test_chunks_carry_the_content(provider, upstream, question):
    upstream.script(stream(("Hello", " world")))
    chunks = await collect(provider, question())
    assert "".join(chunk.content or "" for chunk in chunks) == "Hello world"


async def test_last_chunk_says_why_it_finished(provider, upstream, question):
    upstream.script(stream(("Hello",)))
    chunks = await collect(provider, question())
    assert chunks[-1].finish_reason == "stop"


async def test_request_is_sent_with_stream_true_and_nothing_added(provider, upstream, question):
    request = question(extra={"seed": 1})
    await collect(provider, request)
    assert upstream.requests[0].body == {**request.to_openai_payload(), "stream": True}


async def test_first_chunk_arrives_before_the_rest_is_sent(provider, upstream, question):
    gap = 0.15
    upstream.script(stream(("a", "b"), gap=gap))
    arrivals = [time.monotonic() async for _ in provider.stream(question())]
    assert arrivals[-1] - arrivals[0] >= gap * 0.8


async def test_cut_stream_raises_after_the_chunks_it_got(provider, upstream, question):
    upstream.script(stream(("a", "b", "c"), cut_after=1))
    received: list[str | None] = []

    async def consume() -> None:
        async for chunk in provider.stream(question()):
            received.append(chunk.content)

    with pytest.raises(StreamInterruptedError):
        await consume()
    assert received == ["a"]


async def test_malformed_frame_raises(provider, upstream, question):
    upstream.script(stream(("a", "b"), malformed_at=1))
    with pytest.raises(StreamInterruptedError, match="malformed"):
        await collect(provider, question())


async def test_stream_without_done_raises(provider, upstream, question):
    upstream.script(stream(("a", "b"), done=False))
    with pytest.raises(StreamInterruptedError, match="without its end marker"):
        await collect(provider, question())


class _NoEndFrame(OpenAICompatibleProvider):
    """An upstream whose streams simply end after the finishing chunk."""

    stream_ends_on_finish = True


class _EndsOnFirstFrame(OpenAICompatibleProvider):
    def _is_stream_end(self, data: str) -> bool:
        return True


class _CountsItsFrames(OpenAICompatibleProvider):
    """A format whose parser carries state from frame to frame."""

    def _stream_parser(self):
        seen = []

        def parse(data: str):
            chunk = self._parse_sse_chunk(data)
            seen.append(data)
            return attrs.evolve(chunk, id=str(len(seen)))

        return parse


def open_provider(cls, upstream):
    return cls({"base_url": upstream.url, "api_key": "sk-test"})


async def test_a_stream_without_end_frame_completes_after_a_finish_reason(upstream, question):
    provider = open_provider(_NoEndFrame, upstream)
    upstream.script(stream(("a", "b"), done=False))
    try:
        chunks = await collect(provider, question())
    finally:
        await provider.close()
    assert chunks[-1].finish_reason == "stop"


async def test_a_stream_without_end_frame_cut_before_its_finish_reason_is_interrupted(
    upstream, question
):
    provider = open_provider(_NoEndFrame, upstream)
    upstream.script(stream(("a", "b"), done=False, cut_after=2))
    try:
        with pytest.raises(StreamInterruptedError):
            await collect(provider, question())
    finally:
        await provider.close()


async def test_the_end_frame_is_whatever_the_provider_says_it_is(upstream, question):
    provider = open_provider(_EndsOnFirstFrame, upstream)
    upstream.script(stream(("a", "b")))
    try:
        chunks = await collect(provider, question())
    finally:
        await provider.close()
    assert chunks == []


async def test_each_stream_gets_a_fresh_parser(upstream, question):
    provider = open_provider(_CountsItsFrames, upstream)
    upstream.script(stream(("a", "b")), stream(("a", "b")))
    try:
        first = await collect(provider, question())
        second = await collect(provider, question())
    finally:
        await provider.close()
    assert [c.id for c in second] == [c.id for c in first] == ["1", "2", "3"]


async def test_stream_interruption_is_retryable(provider, upstream, question):
    upstream.script(stream(("a", "b"), done=False))
    with pytest.raises(StreamInterruptedError) as caught:
        await collect(provider, question())
    assert provider.classify_error(caught.value).retryable


async def test_stream_interruption_names_provider_and_model(provider, upstream, question):
    upstream.script(stream(("a", "b"), cut_after=1))
    with pytest.raises(StreamInterruptedError) as caught:
        await collect(provider, question())
    assert (caught.value.provider_id, caught.value.model_id) == ("acme", "fake-model")


async def test_status_error_before_the_first_frame_is_classified(provider, upstream, question):
    upstream.script(error(429, retry_after=3))
    with pytest.raises(RateLimitError) as caught:
        await collect(provider, question())
    assert caught.value.retry_after == 3.0


async def test_reset_before_the_first_frame_is_a_connection_error(provider, upstream, question):
    upstream.script(reset())
    with pytest.raises(ProviderConnectionError):
        await collect(provider, question())


async def test_no_first_chunk_within_the_timeout_is_a_timeout(upstream, question):
    upstream.script(stall())
    provider = OpenAICompatibleProvider({"base_url": upstream.url, "timeout": 0.2})
    try:
        with pytest.raises(ProviderTimeoutError):
            await collect(provider, question())
    finally:
        await provider.close()


async def test_stall_after_the_first_chunk_interrupts_the_stream(upstream, question):
    upstream.script(stream(("a", "b", "c"), stall_after=1))
    provider = OpenAICompatibleProvider({"base_url": upstream.url, "timeout": 0.2})
    try:
        with pytest.raises(StreamInterruptedError):
            await collect(provider, question())
    finally:
        await provider.close()


async def test_stream_over_its_total_deadline_is_interrupted(upstream, question):
    upstream.script(stream(("a", "b", "c", "d"), gap=0.1))
    provider = OpenAICompatibleProvider({"base_url": upstream.url, "stream_timeout": "150ms"})
    try:
        with pytest.raises(StreamInterruptedError, match="timed out"):
            await collect(provider, question())
    finally:
        await provider.close()


async def test_each_stream_makes_exactly_one_call(provider, upstream, question):
    upstream.script(error(503), error(503))
    with pytest.raises(ProviderServerError):
        await collect(provider, question())
    assert len(upstream.requests) == 1
