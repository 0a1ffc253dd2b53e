"""Observability: record types, their JSON records, severity order, the sink interface."""

from __future__ import annotations

import asyncio
import inspect
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.interfaces.observability import (
    AggregateStats,
    EventType,
    LogLevel,
    ObservabilityConnector,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh.interfaces.provider import DeliveryMode

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ENTRY = RequestLogEntry(
    NOW,
    "req-1",
    "openai.gpt-4o",
    "openai",
    "chat",
    "generation.text-generation.chat-completion",
    delivery_mode="stream",
    status_code=200,
    latency_ms=120.5,
    tokens_in=10,
    tokens_out=20,
    cost=0.002,
    attempts=2,
    error="first attempt timed out",
    prompt_preview="hello",
    response_preview="hi there",
)


class ListSink(ObservabilityConnector):
    def __init__(self) -> None:
        self.records: list[dict] = []

    def emit(self, event):
        self.records.append(event.to_record())

    def log(self, entry):
        self.records.append(entry.to_record(LogLevel.SUMMARY))

    def flush(self, stats):
        self.records.extend(s.to_record(scope) for scope, s in stats.items())

    def trace(self, entry):
        self.records.append(entry.to_record())


def test_severity_orders_debug_info_warning_error_critical():
    assert Severity.DEBUG < Severity.INFO < Severity.WARNING < Severity.ERROR < Severity.CRITICAL


@given(st.lists(st.sampled_from(list(Severity))))
def test_sorting_severities_follows_their_declaration_order(severities):
    order = list(Severity)

    assert sorted(severities) == sorted(severities, key=order.index)


def test_a_minimum_severity_from_config_filters_by_comparison():
    minimum = Severity("info")
    entry = TraceEntry(Severity.WARNING, NOW, "router", "retrying")

    assert entry.severity >= minimum


def test_severity_does_not_compare_with_strings():
    with pytest.raises(TypeError):
        _ = Severity.INFO < "warning"  # type: ignore[operator]


def test_event_types_are_the_documented_set():
    assert {e.value for e in EventType} == {
        "model_activated",
        "model_deactivated",
        "model_rotated",
        "provider_health_changed",
        "provider_deactivated",
        "provider_recovered",
        "pool_membership_changed",
        "discovery_models_updated",
    }


def test_an_event_record_is_typed_event_with_its_ids():
    event = RoutingEvent("model_deactivated", NOW, "openai.gpt-4o", "openai", "chat", {"n": 3})

    assert event.to_record() == {
        "type": "event",
        "event_type": "model_deactivated",
        "timestamp": "2026-01-01T12:00:00+00:00",
        "model_id": "openai.gpt-4o",
        "provider_id": "openai",
        "pool_id": "chat",
        "metadata": {"n": 3},
    }


def test_a_trace_record_is_typed_trace():
    entry = TraceEntry("warning", NOW, "pool.chat", "failure 2/3", {"model": "m"}, "HTTP 503")

    assert entry.to_record() == {
        "type": "trace",
        "severity": "warning",
        "timestamp": "2026-01-01T12:00:00+00:00",
        "component": "pool.chat",
        "message": "failure 2/3",
        "metadata": {"model": "m"},
        "error": "HTTP 503",
    }


def test_a_log_record_at_metadata_level_carries_identity_status_and_latency_only():
    assert ENTRY.to_record(LogLevel.METADATA) == {
        "type": "log",
        "timestamp": "2026-01-01T12:00:00+00:00",
        "request_id": "req-1",
        "model_id": "openai.gpt-4o",
        "provider_id": "openai",
        "pool_id": "chat",
        "status_code": 200,
        "latency_ms": 120.5,
    }


def test_a_log_record_at_summary_level_adds_usage_cost_and_previews_but_no_error():
    record = ENTRY.to_record(LogLevel.SUMMARY)

    assert record["tokens_in"] == 10
    assert record["delivery_mode"] == "stream"
    assert record["prompt_preview"] == "hello"
    assert "error" not in record


def test_a_log_record_at_full_level_adds_the_error():
    assert ENTRY.to_record(LogLevel.FULL)["error"] == "first attempt timed out"


def test_a_log_entry_accepts_a_delivery_mode_by_name():
    assert ENTRY.delivery_mode is DeliveryMode.STREAM


def test_records_redact_secrets_in_metadata_and_text():
    event = RoutingEvent(
        EventType.PROVIDER_DEACTIVATED, NOW, metadata={"api_key": "sk-live-123", "status": 401}
    )
    trace = TraceEntry(Severity.ERROR, NOW, "provider", "sent Bearer sk-live-123", error=None)

    assert event.to_record()["metadata"] == {"api_key": "***", "status": 401}
    assert "sk-live-123" not in trace.to_record()["message"]


def test_record_reprs_hide_secrets_in_metadata():
    event = RoutingEvent(EventType.MODEL_ROTATED, NOW, metadata={"api_key": "sk-live-123"})

    assert "sk-live-123" not in repr(event)


def test_a_stats_record_carries_the_scope_and_every_documented_metric():
    record = AggregateStats(requests_total=3, requests_success=2, requests_failed=1).to_record(
        "model.openai.gpt-4o"
    )

    assert record == {
        "type": "stats",
        "scope_id": "model.openai.gpt-4o",
        "requests_total": 3,
        "requests_success": 2,
        "requests_failed": 1,
        "tokens_in": 0,
        "tokens_out": 0,
        "cost_total": 0.0,
        "latency_avg": 0.0,
        "latency_p95": 0.0,
        "downtime_total": 0.0,
        "standby_events": 0,
        "quota_resets": 0,
        "rotation_events": 0,
    }


def test_every_record_is_json_serialisable():
    records = [
        RoutingEvent(EventType.MODEL_ACTIVATED, NOW).to_record(),
        ENTRY.to_record(),
        AggregateStats().to_record("pool.chat"),
        TraceEntry(Severity.INFO, NOW, "mesh", "Initialized").to_record(),
    ]

    assert [json.loads(json.dumps(r))["type"] for r in records] == [
        "event",
        "log",
        "stats",
        "trace",
    ]


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="tokens_in"):
        AggregateStats(tokens_in=-1)


def test_a_sink_must_implement_all_four_channels():
    assert ObservabilityConnector.__abstractmethods__ == {"emit", "log", "flush", "trace"}
    with pytest.raises(TypeError, match="abstract"):
        ObservabilityConnector()  # type: ignore[abstract]


@pytest.mark.parametrize("method", ["emit", "log", "flush", "trace"])
def test_the_four_channels_are_sync(method):
    assert not inspect.iscoroutinefunction(getattr(ObservabilityConnector, method))


def test_a_minimal_sink_receives_each_kind_of_record():
    sink = ListSink()
    sink.emit(RoutingEvent(EventType.MODEL_ROTATED, NOW))
    sink.log(ENTRY)
    sink.flush({"pool.chat": AggregateStats()})
    sink.trace(TraceEntry(Severity.DEBUG, NOW, "router", "resolved"))

    assert [r["type"] for r in sink.records] == ["event", "log", "stats", "trace"]


def test_close_is_an_async_no_op_by_default():
    assert inspect.iscoroutinefunction(ObservabilityConnector.close)
    assert asyncio.run(ListSink().close()) is None
