"""The Observer sends each channel to the sinks that want it, filtered, redacted and
isolated: a failing sink never reaches the caller or the other sinks."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh.config.schema import Channel, SinkConfig, StatisticsScope
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.observability import (
    AggregateStats,
    AttemptRecord,
    EventType,
    LogLevel,
    ObservabilityConnector,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh.log import configure_logging
from modelmesh.observability import Observer

SECRET = "sk-live-0123456789abcdef"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


class Recorder(ObservabilityConnector):
    """Keeps what it receives."""

    def __init__(self) -> None:
        self.events: list[RoutingEvent] = []
        self.logs: list[RequestLogEntry] = []
        self.flushes: list[dict[str, AggregateStats]] = []
        self.traces: list[TraceEntry] = []
        self.closed = 0

    def emit(self, event: RoutingEvent) -> None:
        self.events.append(event)

    def log(self, entry: RequestLogEntry) -> None:
        self.logs.append(entry)

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        self.flushes.append(dict(stats))

    def trace(self, entry: TraceEntry) -> None:
        self.traces.append(entry)

    async def close(self) -> None:
        self.closed += 1


class Broken(Recorder):
    """Raises from every channel and from close."""

    def emit(self, event: RoutingEvent) -> None:
        raise RuntimeError("emit failed")

    def log(self, entry: RequestLogEntry) -> None:
        raise RuntimeError("log failed")

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        raise RuntimeError("flush failed")

    def trace(self, entry: TraceEntry) -> None:
        raise RuntimeError("trace failed")

    async def close(self) -> None:
        self.closed += 1
        raise OSError("close failed")


def sink(**settings: Any) -> SinkConfig:
    return SinkConfig(connector="test.recorder.v1", **settings)


def observer(*sinks: tuple[ObservabilityConnector, SinkConfig], clock=None) -> Observer:
    return Observer(
        [(f"sink{index}", connector, config) for index, (connector, config) in enumerate(sinks)],
        clock=clock or ManualClock(),
    )


def entry(**changes: Any) -> RequestLogEntry:
    fields: dict[str, Any] = {
        "timestamp": WHEN,
        "request_id": "req-1",
        "model_id": "m",
        "provider_id": "p",
        "pool_id": "chat",
        "capability": "generation.chat",
    }
    return RequestLogEntry(**(fields | changes))


def request(observer: Observer, **changes: Any) -> None:
    fields: dict[str, Any] = {
        "model_id": "m",
        "provider_id": "p",
        "pool_id": "chat",
        "success": True,
        "latency_ms": 10.0,
    }
    observer.record_request(**(fields | changes))


def use_every_channel(observer: Observer) -> None:
    observer.event(EventType.MODEL_ROTATED, pool_id="chat")
    observer.log(entry())
    observer.trace(Severity.ERROR, "router", "exhausted")
    request(observer)
    observer.flush()


# --- fan-out -------------------------------------------------------------------------


def test_every_channel_reaches_a_sink_that_takes_all_four():
    recorder = Recorder()
    mesh = observer((recorder, sink()))

    use_every_channel(mesh)

    assert len(recorder.events) == len(recorder.logs) == len(recorder.traces) == 1
    assert list(recorder.flushes[0]) == ["model.m", "provider.p", "pool.chat"]


def test_a_sink_receives_only_its_channels():
    logs_only, rest = Recorder(), Recorder()
    mesh = observer(
        (logs_only, sink(channels=(Channel.LOGS,))),
        (rest, sink(channels=(Channel.EVENTS, Channel.STATISTICS, Channel.TRACES))),
    )

    use_every_channel(mesh)

    assert (len(logs_only.logs), logs_only.events, logs_only.traces, logs_only.flushes) == (
        1,
        [],
        [],
        [],
    )
    assert rest.logs == []
    assert len(rest.events) == len(rest.traces) == len(rest.flushes) == 1


def test_records_carry_the_clock_time():
    clock = ManualClock(WHEN)
    recorder = Recorder()
    mesh = observer((recorder, sink(min_severity=Severity.DEBUG)), clock=clock)
    clock.advance(90)

    mesh.event(EventType.MODEL_ACTIVATED, model_id="m")
    mesh.trace(Severity.DEBUG, "mesh", "setup")

    assert recorder.events[0].timestamp == recorder.traces[0].timestamp == clock.now()


def test_without_sinks_nothing_is_wanted_and_every_call_is_harmless():
    mesh = Observer([], clock=ManualClock())

    use_every_channel(mesh)
    mesh.maybe_flush()
    asyncio.run(mesh.close())

    assert (mesh.enabled, mesh.wants_logs, mesh.wants_trace(Severity.CRITICAL)) == (
        False,
        False,
        False,
    )


class Discarding(Recorder):
    discards_records = True


def test_connectors_lists_every_sink_in_configuration_order():
    first, second = Recorder(), Discarding()

    assert observer((first, sink()), (second, sink())).connectors == (first, second)


def test_a_sink_that_discards_records_is_sent_none_but_is_still_closed():
    discarding, recorder = Discarding(), Recorder()
    mesh = observer((discarding, sink()), (recorder, sink(channels=("events",))))

    use_every_channel(mesh)
    asyncio.run(mesh.close())

    assert (discarding.events, discarding.logs, discarding.traces, discarding.flushes) == (
        [],
        [],
        [],
        [],
    )
    assert (len(recorder.events), mesh.wants_logs, discarding.closed) == (1, False, 1)


def test_wants_says_which_records_are_worth_building():
    mesh = observer(
        (Recorder(), sink(channels=(Channel.TRACES,), min_severity=Severity.WARNING)),
        (Recorder(), sink(channels=(Channel.TRACES,), min_severity=Severity.ERROR)),
    )

    assert mesh.enabled
    assert not mesh.wants_logs
    assert not mesh.wants_statistics
    assert observer((Recorder(), sink(channels=(Channel.STATISTICS,)))).wants_statistics
    assert [mesh.wants_trace(severity) for severity in Severity] == [
        False,
        False,
        True,
        True,
        True,
    ]


# --- filters -------------------------------------------------------------------------


def test_the_events_filter_keeps_the_named_event_types():
    recorder = Recorder()
    mesh = observer((recorder, sink(events=("model_deactivated", "provider_deactivated"))))

    for event_type in EventType:
        mesh.event(event_type)

    assert [event.event_type for event in recorder.events] == [
        EventType.MODEL_DEACTIVATED,
        EventType.PROVIDER_DEACTIVATED,
    ]


def test_an_unknown_event_type_in_a_filter_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match=r"model\.deactivated"):
        observer((Recorder(), sink(events=("model.deactivated",))))


def test_each_sink_gets_the_traces_at_or_above_its_minimum_severity():
    verbose, quiet = Recorder(), Recorder()
    mesh = observer(
        (verbose, sink(min_severity=Severity.DEBUG)),
        (quiet, sink(min_severity=Severity.ERROR)),
    )

    for severity in Severity:
        mesh.trace(severity, "router", severity.value)

    assert [t.severity for t in verbose.traces] == list(Severity)
    assert [t.severity for t in quiet.traces] == [Severity.ERROR, Severity.CRITICAL]


def test_the_info_default_drops_debug_traces():
    recorder = Recorder()
    mesh = observer((recorder, sink()))

    mesh.trace(Severity.DEBUG, "router", "resolving")

    assert recorder.traces == []


def test_statistics_scopes_choose_the_scope_ids_a_sink_receives():
    pools, models = Recorder(), Recorder()
    mesh = observer(
        (pools, sink(scopes=(StatisticsScope.POOL,))),
        (models, sink(scopes=(StatisticsScope.MODEL, StatisticsScope.PROVIDER))),
    )

    request(mesh, model_id="pool.lookalike")
    mesh.flush()

    assert list(pools.flushes[0]) == ["pool.chat"]
    assert list(models.flushes[0]) == ["model.pool.lookalike", "provider.p"]


@pytest.mark.parametrize(
    ("level", "previews", "error"),
    [
        (LogLevel.METADATA, (None, None), None),
        (LogLevel.SUMMARY, ("Write a", "Once up"), None),
        (LogLevel.FULL, ("Write a", "Once up"), "timeout"),
    ],
)
def test_a_log_sink_gets_no_more_than_its_level_and_payload_size(level, previews, error):
    recorder = Recorder()
    mesh = observer((recorder, sink(level=level, max_payload_size=7)))

    mesh.log(
        entry(
            prompt_preview="Write a poem",
            response_preview="Once upon a time",
            error="timeout",
        )
    )

    (logged,) = recorder.logs
    assert (logged.prompt_preview, logged.response_preview, logged.error) == (*previews, error)
    assert logged.to_record(LogLevel.FULL)["prompt_preview"] == previews[0]


@pytest.mark.parametrize(("level", "shown"), [(LogLevel.SUMMARY, None), (LogLevel.FULL, "503")])
def test_each_calls_error_follows_the_requests_level_and_is_redacted(level, shown):
    recorder = Recorder()
    mesh = observer((recorder, sink(level=level)))
    failed = AttemptRecord("m", "p", WHEN, 5.0, 503, f"503 for Bearer {SECRET}", "server")
    answered = AttemptRecord("m2", "p", WHEN, 7.0, 200)

    mesh.log(entry(attempt_records=(failed, answered)))

    first, second = recorder.logs[0].attempt_records
    assert (first.status_code, first.error_category, second) == (503, "server", answered)
    if shown is None:
        assert first.error is None
    else:
        assert shown in first.error
        assert SECRET not in first.error


def test_sinks_at_different_levels_each_get_their_own_shape():
    brief, full = Recorder(), Recorder()
    mesh = observer((brief, sink()), (full, sink(level=LogLevel.FULL)))
    original = entry(prompt_preview="hello", error="boom")

    mesh.log(original)

    assert brief.logs[0].prompt_preview is None
    assert full.logs[0] is original


# --- redaction -----------------------------------------------------------------------


def test_secrets_in_metadata_messages_errors_and_previews_never_reach_a_sink():
    recorder = Recorder()
    mesh = observer((recorder, sink(level=LogLevel.FULL)))

    mesh.event(EventType.MODEL_ROTATED, api_key=SECRET, headers={"Authorization": SECRET})
    mesh.trace(
        Severity.ERROR,
        "provider",
        f"sent Bearer {SECRET}",
        error=f"401 for Bearer {SECRET}",
        token=SECRET,
    )
    mesh.log(entry(prompt_preview=f"use Bearer {SECRET}", error=f"Bearer {SECRET} refused"))

    received = [*recorder.events, *recorder.traces, *recorder.logs]
    assert len(received) == 3
    assert SECRET not in str([attrs.asdict(record) for record in received])


# --- isolation -----------------------------------------------------------------------


def test_a_raising_sink_neither_stops_the_others_nor_reaches_the_caller():
    before, after = Recorder(), Recorder()
    mesh = observer((before, sink()), (Broken(), sink()), (after, sink()))

    use_every_channel(mesh)

    for recorder in (before, after):
        assert len(recorder.events) == len(recorder.logs) == len(recorder.traces) == 1
        assert len(recorder.flushes) == 1
    assert mesh.failures == {"sink0": 0, "sink1": 4, "sink2": 0}


def test_a_failing_sink_is_reported_once_then_counted():
    stream = io.StringIO()
    configure_logging("WARNING", stream=stream)
    mesh = observer((Broken(), sink()))

    for _ in range(3):
        mesh.event(EventType.MODEL_ROTATED)

    output = stream.getvalue()
    assert output.count("observability sink failed") == 1
    assert "sink0" in output
    assert "RuntimeError" in output
    assert mesh.failures["sink0"] == 3


def test_repeated_labels_are_numbered_so_each_sink_is_counted_apart():
    mesh = Observer(
        [("instance", Broken(), sink()), ("instance", Recorder(), sink())], clock=ManualClock()
    )

    mesh.event(EventType.MODEL_ROTATED)

    assert mesh.failures == {"instance": 1, "instance#2": 0}


# --- statistics periods --------------------------------------------------------------


def test_statistics_flush_when_the_sinks_interval_has_elapsed():
    clock = ManualClock()
    recorder = Recorder()
    mesh = observer((recorder, sink(flush_interval=60.0)), clock=clock)

    request(mesh)
    clock.advance(59)
    mesh.maybe_flush()
    assert recorder.flushes == []

    clock.advance(1)
    mesh.maybe_flush()
    assert recorder.flushes[0]["model.m"].requests_total == 1

    request(mesh)
    request(mesh, success=False)
    clock.advance(60)
    mesh.maybe_flush()
    assert recorder.flushes[1]["model.m"].requests_total == 2
    assert recorder.flushes[1]["model.m"].requests_failed == 1


def test_each_sink_flushes_on_its_own_interval_with_its_own_period():
    clock = ManualClock()
    fast, slow = Recorder(), Recorder()
    mesh = observer(
        (fast, sink(flush_interval=10.0)), (slow, sink(flush_interval=30.0)), clock=clock
    )

    for _ in range(3):
        request(mesh)
        clock.advance(10)
        mesh.maybe_flush()

    assert [f["model.m"].requests_total for f in fast.flushes] == [1, 1, 1]
    assert [f["model.m"].requests_total for f in slow.flushes] == [3]


def test_a_quiet_period_flushes_nothing():
    clock = ManualClock()
    recorder = Recorder()
    mesh = observer((recorder, sink(flush_interval=5.0)), clock=clock)

    clock.advance(5)
    mesh.maybe_flush()

    assert recorder.flushes == []


def test_flush_sends_now_and_restarts_the_interval():
    clock = ManualClock()
    recorder = Recorder()
    mesh = observer((recorder, sink(flush_interval=60.0)), clock=clock)
    request(mesh)
    clock.advance(30)

    mesh.flush()
    request(mesh)
    clock.advance(59)
    mesh.maybe_flush()

    assert len(recorder.flushes) == 1


@settings(max_examples=50)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 100, allow_nan=False)), max_size=30))
def test_flushed_statistics_add_up_to_every_recorded_request(steps):
    clock = ManualClock()
    recorder = Recorder()
    mesh = observer(
        (recorder, sink(flush_interval=25.0, scopes=(StatisticsScope.MODEL,))), clock=clock
    )

    for success, wait in steps:
        request(mesh, success=success)
        clock.advance(wait)
        mesh.maybe_flush()
    asyncio.run(mesh.close())

    flushed = [stats["model.m"] for stats in recorder.flushes]
    assert sum(s.requests_total for s in flushed) == len(steps)
    assert sum(s.requests_success for s in flushed) == sum(success for success, _ in steps)


# --- close ---------------------------------------------------------------------------


def test_close_flushes_then_closes_every_sink_once():
    recorder, shared = Recorder(), Recorder()
    mesh = observer((recorder, sink()), (shared, sink()), (shared, sink()))
    request(mesh)

    asyncio.run(mesh.close())
    asyncio.run(mesh.close())

    assert len(recorder.flushes) == 1
    assert (recorder.closed, shared.closed) == (1, 1)


def test_close_never_raises_and_still_closes_the_other_sinks():
    broken, recorder = Broken(), Recorder()
    mesh = observer((broken, sink()), (recorder, sink()))
    request(mesh)

    asyncio.run(mesh.close())

    assert (broken.closed, recorder.closed) == (1, 1)
    assert mesh.failures["sink0"] == 2


def test_after_close_every_channel_is_off():
    recorder = Recorder()
    mesh = observer((recorder, sink()))
    asyncio.run(mesh.close())

    use_every_channel(mesh)

    assert (recorder.events, recorder.logs, recorder.traces, recorder.flushes) == ([], [], [], [])
    assert not mesh.wants_logs
