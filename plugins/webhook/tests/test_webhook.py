"""The webhook sink against a real receiver that answers, fails (500, 429 with
Retry-After), refuses connections and stalls: batching, retries on the injected clock,
drops counted with a full queue, channel calls that never wait, and a clean shutdown."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.observability import LogLevel, RequestLogEntry
from modelmesh_cdk.testing.suites.loopback import refusing_url
from modelmesh_plugin_webhook.connector import WebhookObservability

WHEN = datetime(2026, 1, 1, tzinfo=UTC)
SECRET = "sk-live-9a8b7c6d5e4f3a2b"


def entry(number: int) -> RequestLogEntry:
    return RequestLogEntry(WHEN, f"req-{number}", "a.m", "a", "chat", "generation.chat")


def sink_for(url: str, clock: ManualClock | None = None, **options: Any) -> WebhookObservability:
    return WebhookObservability({"url": url, **options}, clock=clock or ManualClock())


def ids(records: list[dict[str, Any]]) -> list[str]:
    return [record["request_id"] for record in records]


async def until(condition: Any, seconds: float = 5.0) -> None:
    """Wait for the sink's background task to make ``condition`` true."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def test_full_batches_go_at_once_and_the_rest_at_close(receiver: Any) -> None:
    sink = sink_for(receiver.url, batch_size=3, flush_interval=3600)

    async def scenario() -> None:
        for number in range(7):
            sink.log(entry(number))
        await until(lambda: len(receiver.posts) == 2)
        assert sink.queued == 1
        await sink.close()

    asyncio.run(scenario())
    assert [len(batch) for batch in receiver.batches] == [3, 3, 1]
    assert ids(receiver.records) == [f"req-{number}" for number in range(7)]
    assert (sink.sent, sink.failed, sink.dropped) == (7, 0, 0)


def test_a_partial_batch_goes_after_the_flush_interval(receiver: Any) -> None:
    sink = sink_for(receiver.url, batch_size=100, flush_interval=0.05)

    async def scenario() -> None:
        sink.log(entry(1))
        sink.log(entry(2))
        await until(lambda: len(receiver.posts) == 1)
        await sink.close()

    asyncio.run(scenario())
    assert [ids(batch) for batch in receiver.batches] == [["req-1", "req-2"]]


def test_a_batch_is_json_with_the_configured_headers(receiver: Any) -> None:
    sink = sink_for(receiver.url, headers={"Authorization": f"Bearer {SECRET}", "X-Team": "ml"})
    sink.log(entry(1))
    asyncio.run(sink.close())

    [(headers, body)] = receiver.posts
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert headers["X-Team"] == "ml"
    assert headers["Content-Type"] == "application/json"
    assert body == [entry(1).to_record(LogLevel.METADATA)]


def test_server_errors_are_retried_with_exponential_backoff(receiver: Any) -> None:
    receiver.script(500, 503)
    clock = ManualClock()
    sink = sink_for(receiver.url, clock)
    sink.log(entry(1))
    asyncio.run(sink.close())

    assert len(receiver.posts) == 3
    assert receiver.batches[0] == receiver.batches[2]
    first, second = clock.sleeps
    assert 1.0 <= first < 1.5
    assert 2.0 <= second < 2.5
    assert (sink.sent, sink.failed) == (1, 0)


def test_retry_after_is_honoured(receiver: Any) -> None:
    receiver.script((429, 7))
    clock = ManualClock()
    sink = sink_for(receiver.url, clock)
    sink.log(entry(1))
    asyncio.run(sink.close())

    assert clock.sleeps == [7.0]
    assert sink.sent == 1


def test_a_batch_refused_after_the_retries_is_counted_as_failed(
    receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script(500, 500, 500)
    clock = ManualClock()
    sink = sink_for(receiver.url, clock, retry_count=2, headers={"X-Api-Key": SECRET})
    sink.log(entry(1))
    sink.log(entry(2))
    with caplog.at_level(logging.WARNING, logger="modelmesh"):
        asyncio.run(sink.close())

    assert len(receiver.posts) == 3
    assert len(clock.sleeps) == 2
    assert (sink.sent, sink.failed, sink.dropped) == (0, 2, 0)
    assert "could not deliver" in caplog.text
    assert SECRET not in caplog.text
    assert "secret-path-token" not in caplog.text


def test_a_client_error_is_not_retried(receiver: Any) -> None:
    receiver.script(400)
    clock = ManualClock()
    sink = sink_for(receiver.url, clock)
    sink.log(entry(1))
    asyncio.run(sink.close())

    assert len(receiver.posts) == 1
    assert clock.sleeps == []
    assert sink.failed == 1


def test_a_refused_connection_is_retried_then_counted() -> None:
    clock = ManualClock()
    sink = sink_for(refusing_url(), clock, retry_count=1)
    sink.log(entry(1))
    asyncio.run(sink.close())

    assert len(clock.sleeps) == 1
    assert (sink.sent, sink.failed) == (0, 1)


def test_a_full_queue_drops_the_oldest_record(receiver: Any) -> None:
    sink = sink_for(receiver.url, queue_size=5)
    for number in range(8):  # no loop runs: the records wait in the queue
        sink.log(entry(number))
    assert (sink.queued, sink.dropped) == (5, 3)
    asyncio.run(sink.close())

    assert ids(receiver.records) == [f"req-{number}" for number in range(3, 8)]


def test_a_stalled_webhook_never_holds_up_the_caller(receiver: Any) -> None:
    receiver.script("stall")
    sink = sink_for(receiver.url, batch_size=1, queue_size=10, close_timeout=0.2)

    async def scenario() -> None:
        sink.log(entry(0))
        await until(lambda: receiver.open == 1)  # the sender waits on the webhook
        loop = asyncio.get_running_loop()
        ready = len(loop._ready)  # type: ignore[attr-defined]
        for number in range(1, 101):
            sink.log(entry(number))  # plain calls: nothing to await, nothing scheduled
        assert len(loop._ready) <= ready + 1  # type: ignore[attr-defined]
        assert (sink.queued, sink.dropped) == (10, 90)
        await sink.close()
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(scenario())
    assert ids(receiver.records) == ["req-0"]
    assert (sink.sent, sink.failed, sink.dropped) == (0, 0, 100)


def test_close_stops_the_task_and_later_records_are_dropped(receiver: Any) -> None:
    sink = sink_for(receiver.url)

    async def scenario() -> asyncio.Task[None]:
        sink.log(entry(1))
        task = sink._task
        assert task is not None
        await sink.close()
        await sink.close()
        return task

    task = asyncio.run(scenario())
    assert task.done()
    assert not task.cancelled()
    sink.log(entry(2))
    assert (sink.sent, sink.dropped, sink.queued) == (1, 1, 0)


def test_secrets_never_show_in_reprs(receiver: Any) -> None:
    sink = sink_for(receiver.url, headers={"Authorization": f"Bearer {SECRET}"})

    for text in (repr(sink), repr(sink.config)):
        assert SECRET not in text
        assert "secret-path-token" not in text
    assert "'Authorization': '***'" in repr(sink.config)
    asyncio.run(sink.close())


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({}, "url"),
        ({"url": "ftp://example.com"}, "url"),
        ({"url": "https://example.com", "batch_size": 0}, "batch_size"),
        ({"url": "https://example.com", "queue_size": -1}, "queue_size"),
        ({"url": "https://example.com", "retry_count": -1}, "retry_count"),
        ({"url": "https://example.com", "timeout": "soon"}, "timeout"),
        ({"url": "https://example.com", "batchsize": 5}, "batch_size"),
    ],
)
def test_bad_options_are_refused_naming_the_option(options: dict, named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        WebhookObservability(options)


def test_durations_accept_units() -> None:
    sink = WebhookObservability(
        {"url": "https://example.com", "timeout": "500ms", "flush_interval": "2s"}
    )
    assert (sink.config.timeout, sink.config.flush_interval) == (0.5, 2.0)
