"""Routed streams end to end: chunks arrive as the upstream sends them, failover happens
only before the first chunk, and a stream cut after it ends with an error, never with a
silently shorter answer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import NoActiveModelError, StreamInterruptedError
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import (
    FakeUpstream,
    error,
    reset,
    stream,
)

from .conftest import run, started
from .meshes import calls, chat, mesh_yaml


async def contents(mesh: ModelMesh) -> tuple[str, list[str]]:
    """The model that streamed, and the text of every chunk that carried any."""
    routed = await mesh.get_router().stream(chat())
    return routed.model_id, [chunk.content async for chunk in routed if chunk.content]


def test_chunks_arrive_in_order(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    a.script(stream(["One", " two", " three", " four"]))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        assert await contents(mesh) == ("a.m", ["One", " two", " three", " four"])
        assert mesh.pool_status("chat")["chat"]["current_model"] == "a.m"
        record = mesh.state.models["a.m"]
        assert (record.total_requests, record.total_failures) == (1, 0)
        await mesh.shutdown()

    run(scenario())
    assert calls(a) == 1
    assert a.requests[0].body["stream"] is True
    assert a.requests[0].body["model"] == "m"


def test_the_first_chunk_is_handed_over_before_the_upstream_is_done(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    """The upstream sends one chunk and then nothing more: the caller has that chunk
    all the same, so chunks are passed on as they come, not after the whole answer."""
    upstreams[0].script(stream(["early", " late"], stall_after=1))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        routed = await mesh.get_router().stream(chat())
        first = await anext(routed)
        assert (routed.model_id, first.content) == ("a.m", "early")
        await routed.aclose()
        await mesh.shutdown()

    run(scenario())


def test_stream_with_usage_counts_the_reported_tokens(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    upstreams[0].script(stream(["a", " b"]))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        await contents(mesh)
        # The fake counts words: 1 in the prompt ("hi"), 2 in the answer.
        assert mesh.state.models["a.m"].total_tokens == 3
        await mesh.shutdown()

    run(scenario())


# --- failover before the first chunk -----------------------------------------------------------


def test_an_error_before_the_first_chunk_fails_over(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(503))
    b.script(stream(["from", " b"]))

    async def scenario() -> None:
        mesh = await started(a_b("retry: {max_attempts: 1}"), clock)
        assert await contents(mesh) == ("b.m", ["from", " b"])
        assert mesh.state.models["a.m"].failure_count == 1
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)


@pytest.mark.parametrize(
    "before_first_chunk",
    [stream(["lost"], cut_after=0), reset()],
    ids=["cut-before-first-chunk", "connection-reset"],
)
def test_a_cut_before_the_first_chunk_fails_over(
    before_first_chunk: object,
    upstreams: list[FakeUpstream],
    a_b: Callable[..., Path],
    clock: ManualClock,
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(before_first_chunk)  # type: ignore[arg-type]
    b.script(stream(["whole", " answer"]))

    async def scenario() -> None:
        mesh = await started(a_b("retry: {max_attempts: 1}"), clock)
        assert await contents(mesh) == ("b.m", ["whole", " answer"])
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)


def test_a_failed_stream_is_retried_on_the_same_model_before_the_first_chunk(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(429, retry_after=1), stream(["second", " try"]))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        routed = await mesh.get_router().stream(chat())
        assert (routed.model_id, routed.attempts) == ("a.m", 2)
        assert [c.content async for c in routed if c.content] == ["second", " try"]
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (2, 0)
    assert clock.sleeps == [1.0]


# --- after the first chunk: no failover, no silent truncation -----------------------------------


def test_a_cut_after_the_first_chunk_ends_the_stream_with_an_error(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(stream(["One", " two", " three", " four"], cut_after=2))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        routed = await mesh.get_router().stream(chat())
        received = [(await anext(routed)).content, (await anext(routed)).content]
        assert received == ["One", " two"]
        with pytest.raises(StreamInterruptedError):
            await anext(routed)
        # The stream is over: iterating again gives nothing more.
        assert [chunk async for chunk in routed] == []
        record = mesh.state.models["a.m"]
        assert (record.total_failures, record.failure_count) == (1, 1)
        await mesh.shutdown()

    run(scenario())
    # Part of the answer reached the caller: b is not asked to start over.
    assert (calls(a), calls(b)) == (1, 0)


def test_a_stream_without_its_end_marker_is_not_a_complete_answer(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    """The connection closes cleanly but the finish frame and [DONE] never came."""
    upstreams[0].script(stream(["One", " two"], cut_after=1))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        routed = await mesh.get_router().stream(chat())
        with pytest.raises(StreamInterruptedError):
            _ = [chunk async for chunk in routed]
        await mesh.shutdown()

    run(scenario())


# --- delivery modes ----------------------------------------------------------------------------


def test_a_model_that_does_not_stream_is_skipped_for_streams_only(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]

    async def scenario() -> None:
        mesh = await started(a_b(models={"a": "delivery: {streaming: false}"}), clock)
        assert (await contents(mesh))[0] == "b.m"
        routed = await mesh.get_router().complete(chat())
        assert routed.model_id == "b.m"  # stick-until-failure keeps b once chosen
        assert mesh.explain("chat").candidates[0].kept
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (0, 2)


def test_a_synchronous_request_still_reaches_a_model_that_does_not_stream(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]

    async def scenario() -> None:
        mesh = await started(a_b(models={"a": "delivery: {streaming: false}"}), clock)
        assert (await mesh.get_router().complete(chat())).model_id == "a.m"
        assert (await contents(mesh))[0] == "b.m"
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)


def test_no_active_model_when_none_streams(
    upstreams: list[FakeUpstream], write_config: Callable[[str], Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    path = write_config(mesh_yaml([a.url], models={"a": "delivery: {streaming: false}"}))

    async def scenario() -> None:
        mesh = await started(path, clock)
        with pytest.raises(NoActiveModelError):
            await mesh.get_router().stream(chat())
        await mesh.shutdown()

    run(scenario())
    assert a.requests == []
