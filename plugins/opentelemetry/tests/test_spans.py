"""Spans from real routed requests (a ModelMesh against fake upstreams) and from
hand-built records: the tree, the times, the attributes, the status and the redaction."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from modelmesh.clock import ManualClock
from modelmesh.errors import AllProvidersExhaustedError
from modelmesh.interfaces.observability import (
    AttemptRecord,
    EventType,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh.interfaces.provider import CompletionRequest
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.testing.fake_upstream import CHAT_PATH, FakeUpstream, error, ok
from modelmesh_plugin_opentelemetry.connector import OpentelemetryObservability

SECRET = "sk-live-9a8b7c6d5e4f3a2b"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ns(when: datetime) -> int:
    return (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1) * 1000


@pytest.fixture(scope="module")
def servers() -> Iterator[list[FakeUpstream]]:
    started = [FakeUpstream().start() for _ in range(2)]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def upstreams(servers: list[FakeUpstream]) -> Iterator[list[FakeUpstream]]:
    for server in servers:
        server.clear()
    yield servers
    for server in servers:
        server.clear()


def sink_for(captured: Any, **options: Any) -> OpentelemetryObservability:
    return OpentelemetryObservability({"tracer_provider": captured.provider, **options})


def route(
    upstreams: list[FakeUpstream], sink: OpentelemetryObservability, clock: ManualClock
) -> None:
    """One chat request through pool ``chat``: model a.m first, then b.m."""
    config = {
        "providers": {
            key: {"instance": OpenAICompatibleProvider({"base_url": up.url, "api_key": "test"})}
            for key, up in zip("ab", upstreams, strict=True)
        },
        "models": {
            f"{key}.m": {
                "provider": key,
                "capabilities": ["chat-completion"],
                "pricing": {"per_request": 0.25},
            }
            for key in "ab"
        },
        "pools": {
            "chat": {
                "capability": "chat-completion",
                "strategy": "priority-selection",
                "model_priority": ["a.m", "b.m"],
                "retry": {"max_attempts": 1},
            }
        },
        "observability": {"sinks": [{"instance": sink, "level": "full"}]},
    }

    async def scenario() -> None:
        async with ModelMesh(config, clock=clock) as mesh:
            request = CompletionRequest("chat", [{"role": "user", "content": "hi"}])
            await mesh.get_router().complete(request)

    asyncio.run(scenario())


def attempt_spans(captured: Any) -> list[Any]:
    """The spans of calls to providers, in the order the request made them."""
    calls = [span for span in captured.spans if span.kind is SpanKind.CLIENT]
    return sorted(calls, key=lambda span: span.attributes["modelmesh.attempt"])


def entry(**changes: Any) -> RequestLogEntry:
    fields: dict[str, Any] = {
        "timestamp": T0 + timedelta(milliseconds=500),
        "request_id": "req-1",
        "model_id": "b.m",
        "provider_id": "b",
        "pool_id": "chat",
        "capability": "generation.text-generation.chat-completion",
        "status_code": 200,
        "latency_ms": 500.0,
        "tokens_in": 12,
        "tokens_out": 34,
        "cost": 0.5,
        "attempts": 2,
        "prompt_preview": f"send Bearer {SECRET}",
        "response_preview": "the answer",
        "attempt_records": (
            AttemptRecord("a.m", "a", T0, 120.0, 503, f"rejected Bearer {SECRET}", "server"),
            AttemptRecord("b.m", "b", T0 + timedelta(milliseconds=200), 300.0, 200),
        ),
    }
    fields.update(changes)
    return RequestLogEntry(**fields)


def logged(captured: Any, record: RequestLogEntry, **options: Any) -> None:
    sink = sink_for(captured, **options)
    sink.log(record)
    asyncio.run(sink.close())


# --- real requests ------------------------------------------------------------------------


def test_a_failover_is_one_request_span_over_two_attempt_spans(upstreams, captured) -> None:
    upstreams[0].script(error(503), path=CHAT_PATH)
    upstreams[1].script(
        ok("from b", usage={"prompt_tokens": 7, "completion_tokens": 3}), path=CHAT_PATH
    )
    clock = ManualClock(T0)

    route(upstreams, sink_for(captured, log_level="full"), clock)

    [request] = captured.named("modelmesh.request")
    first, second = attempt_spans(captured)
    assert [first.parent.span_id, second.parent.span_id] == [request.context.span_id] * 2
    assert {first.context.trace_id, second.context.trace_id} == {request.context.trace_id}
    assert (first.name, second.name) == ("chat a.m", "chat b.m")
    assert (first.kind, request.kind) == (SpanKind.CLIENT, SpanKind.INTERNAL)

    assert first.status.status_code is StatusCode.ERROR
    assert first.status.description
    assert dict(first.attributes) == {
        "modelmesh.request.id": request.attributes["modelmesh.request.id"],
        "modelmesh.attempt": 1,
        "gen_ai.request.model": "a.m",
        "gen_ai.operation.name": "chat",
        "modelmesh.provider.id": "a",
        "modelmesh.pool.id": "chat",
        "http.response.status_code": 503,
        "error.type": "server",
    }
    assert second.status.status_code is StatusCode.UNSET
    assert second.attributes["http.response.status_code"] == 200
    assert "error.type" not in second.attributes

    assert request.status.status_code is StatusCode.UNSET
    attributes = dict(request.attributes)
    assert len(attributes.pop("modelmesh.request.id")) == 32
    assert attributes == {
        "modelmesh.capability": "generation.text-generation.chat-completion",
        "modelmesh.delivery_mode": "sync",
        "modelmesh.attempts": 2,
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "b.m",
        "modelmesh.provider.id": "b",
        "modelmesh.pool.id": "chat",
        "http.response.status_code": 200,
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": 3,
        "modelmesh.cost_usd": 0.25,
    }
    # The manual clock stood still: every span starts and ends at its time.
    assert {span.start_time for span in captured.spans} == {ns(T0)}
    assert {span.end_time for span in captured.spans} == {ns(T0)}


def test_a_request_every_model_failed_is_an_error_span(upstreams, captured) -> None:
    upstreams[0].script(error(503), path=CHAT_PATH)
    upstreams[1].script(error(500, f"upstream saw Bearer {SECRET}"), path=CHAT_PATH)
    clock = ManualClock(T0)

    with pytest.raises(AllProvidersExhaustedError):
        route(upstreams, sink_for(captured, log_level="full"), clock)

    [request] = captured.named("modelmesh.request")
    assert request.status.status_code is StatusCode.ERROR
    assert "all candidate models failed" in request.status.description
    assert request.attributes["error.type"] == "server"
    assert "gen_ai.request.model" not in request.attributes
    attempts = attempt_spans(captured)
    assert [span.status.status_code for span in attempts] == [StatusCode.ERROR] * 2
    assert SECRET not in str([span.to_json() for span in captured.spans])


# --- hand-built records: times, text and options ------------------------------------------


def test_spans_take_the_records_times(captured) -> None:
    logged(captured, entry())

    spans = {span.name: span for span in captured.spans}
    assert (spans["chat a.m"].start_time, spans["chat a.m"].end_time) == (
        ns(T0),
        ns(T0 + timedelta(milliseconds=120)),
    )
    assert (spans["chat b.m"].start_time, spans["chat b.m"].end_time) == (
        ns(T0 + timedelta(milliseconds=200)),
        ns(T0 + timedelta(milliseconds=500)),
    )
    request = spans["modelmesh.request"]
    assert (request.start_time, request.end_time) == (
        ns(T0),
        ns(T0 + timedelta(milliseconds=500)),
    )


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offsets=st.lists(
        st.tuples(st.integers(-5_000, 5_000), st.floats(0, 10_000, allow_nan=False)),
        min_size=1,
        max_size=5,
    ),
    latency=st.floats(0, 10_000, allow_nan=False),
)
def test_the_request_span_encloses_its_attempts(captured, offsets, latency) -> None:
    """Whatever the clocks said, each attempt lasts its latency inside the request span."""
    captured.exporter.clear()
    records = tuple(
        AttemptRecord("a.m", "a", T0 + timedelta(milliseconds=start), length)
        for start, length in offsets
    )
    logged(captured, entry(latency_ms=latency, attempt_records=records))

    [request] = captured.named("modelmesh.request")
    for span, record in zip(attempt_spans(captured), records, strict=True):
        assert span.end_time - span.start_time == round(record.latency_ms * 1_000_000)
        assert request.start_time <= span.start_time <= span.end_time <= request.end_time


def test_error_messages_are_redacted_and_only_at_full_level(captured) -> None:
    logged(captured, entry(model_id=None, error=f"failed: Bearer {SECRET}"), log_level="full")
    logged(captured, entry(model_id=None, error=f"failed: Bearer {SECRET}"))

    full, metadata = (
        {span.name: span for span in captured.spans[:3]},
        {span.name: span for span in captured.spans[3:]},
    )
    assert full["chat a.m"].status.description.startswith("rejected Bearer ")
    assert full["modelmesh.request"].status.description.startswith("failed: Bearer ")
    assert SECRET not in str([span.to_json() for span in captured.spans])
    assert metadata["chat a.m"].status.description == "server error (HTTP 503)"
    assert metadata["modelmesh.request"].status.description == (
        "request failed after 2 attempt(s) (HTTP 200)"
    )


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"log_level": "summary"}, None),
        ({"log_level": "metadata", "include_previews": True}, None),
        ({"log_level": "summary", "include_previews": True}, "the answer"),
    ],
)
def test_previews_only_when_asked_for_and_redacted(captured, options, expected) -> None:
    logged(captured, entry(), **options)

    [request] = captured.named("modelmesh.request")
    assert request.attributes.get("modelmesh.response_preview") == expected
    prompt = request.attributes.get("modelmesh.prompt_preview")
    if expected is None:
        assert prompt is None
    else:
        assert prompt.startswith("send Bearer ")
        assert SECRET not in prompt


def test_spans_are_children_of_the_span_current_when_the_mesh_calls(captured) -> None:
    sink = sink_for(captured)
    tracer = captured.provider.get_tracer("app")
    with tracer.start_as_current_span("handler") as handler:
        sink.log(entry())
        sink.emit(RoutingEvent(EventType.MODEL_ROTATED, T0, pool_id="chat"))
    asyncio.run(sink.close())

    parents = {span.name: span.parent for span in captured.spans if span.name != "handler"}
    assert parents["modelmesh.request"].span_id == handler.get_span_context().span_id
    assert parents["modelmesh.event"].span_id == handler.get_span_context().span_id


def test_events_are_short_spans_with_one_span_event(captured) -> None:
    sink = sink_for(captured, event_filter=["model_deactivated"])
    metadata = {"reason": "error_threshold", "api_key": SECRET, "counts": {"failures": 3}}
    sink.emit(RoutingEvent(EventType.MODEL_DEACTIVATED, T0, "a.m", "a", "chat", metadata))
    sink.emit(RoutingEvent(EventType.MODEL_ROTATED, T0, pool_id="chat"))
    asyncio.run(sink.close())

    [span] = captured.spans
    assert (span.name, span.start_time, span.end_time) == ("modelmesh.event", ns(T0), ns(T0))
    [event] = span.events
    assert (event.name, event.timestamp) == ("model_deactivated", ns(T0))
    assert dict(event.attributes) == dict(span.attributes)
    assert span.attributes["modelmesh.event.type"] == "model_deactivated"
    assert span.attributes["modelmesh.model.id"] == "a.m"
    assert span.attributes["modelmesh.event.metadata.reason"] == "error_threshold"
    assert span.attributes["modelmesh.event.metadata.counts"] == '{"failures": 3}'
    assert SECRET not in str(span.to_json())


def test_traces_at_or_above_min_severity_are_short_spans(captured) -> None:
    sink = sink_for(captured, min_severity="warning")
    sink.trace(TraceEntry(Severity.INFO, T0, "router", "routed"))
    sink.trace(TraceEntry(Severity.WARNING, T0, "pool.chat", "retrying", {"attempt": 2}))
    sink.trace(TraceEntry(Severity.ERROR, T0, "router", "exhausted", error=f"Bearer {SECRET}"))
    asyncio.run(sink.close())

    warning, failure = captured.named("modelmesh.trace")
    assert warning.attributes["modelmesh.trace.component"] == "pool.chat"
    assert warning.attributes["modelmesh.trace.metadata.attempt"] == 2
    assert warning.status.status_code is StatusCode.UNSET
    assert [event.name for event in warning.events] == ["warning"]
    assert failure.status.status_code is StatusCode.ERROR
    assert failure.status.description == "exhausted"
    assert SECRET not in failure.attributes["error.message"]


def test_statistics_are_not_exported(captured) -> None:
    from modelmesh.interfaces.observability import AggregateStats

    sink = sink_for(captured)
    sink.flush({"model.a.m": AggregateStats(requests_total=1)})
    asyncio.run(sink.close())

    assert captured.spans == []


def test_a_closed_sink_takes_no_more_records(captured) -> None:
    sink = sink_for(captured)
    asyncio.run(sink.close())
    sink.log(entry())
    sink.emit(RoutingEvent(EventType.MODEL_ROTATED, T0))
    sink.trace(TraceEntry(Severity.ERROR, T0, "router", "late"))

    assert captured.spans == []


def test_without_a_provider_the_global_one_is_used(captured, monkeypatch) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: captured.provider)

    sink = OpentelemetryObservability({})
    sink.log(entry())
    asyncio.run(sink.close())

    assert len(captured.named("modelmesh.request")) == 1
