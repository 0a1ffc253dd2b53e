"""What the metrics say after known request logs and events, read back through the
text exposition the proxy serves, parsed by prometheus-client's own parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.observability import (
    AggregateStats,
    AttemptRecord,
    EventType,
    MetricsExposition,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh_plugin_prometheus.connector import PrometheusObservability

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def samples(sink: PrometheusObservability) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition, keyed by name and labels."""
    content_type, body = sink.exposition()
    assert content_type.startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(sink: PrometheusObservability, name: str, **labels: str) -> float:
    return samples(sink).get((name, frozenset(labels.items())), 0.0)


def answered(model: str = "a.m", provider: str = "a", **fields: object) -> RequestLogEntry:
    attempt = AttemptRecord(model, provider, WHEN, latency_ms=120.0, status_code=200)
    defaults: dict[str, object] = {
        "status_code": 200,
        "latency_ms": 120.0,
        "tokens_in": 10,
        "tokens_out": 4,
        "cost": 0.002,
        "attempt_records": (attempt,),
    }
    return RequestLogEntry(
        WHEN, "req", model, provider, "chat", "generation.chat", **(defaults | fields)
    )


def failed_over() -> RequestLogEntry:
    """a.m failed with a 503, then b.m answered."""
    attempts = (
        AttemptRecord("a.m", "a", WHEN, 30.0, 503, "unavailable", "server_error"),
        AttemptRecord("b.m", "b", WHEN + timedelta(seconds=1), 200.0, 200),
    )
    return answered("b.m", "b", attempts=2, attempt_records=attempts, latency_ms=230.0)


def exhausted() -> RequestLogEntry:
    attempt = AttemptRecord("a.m", "a", WHEN, 30.0, 500, "boom", "server_error")
    return RequestLogEntry(
        WHEN,
        "req",
        None,
        None,
        "chat",
        "generation.chat",
        status_code=None,
        latency_ms=30.0,
        error="all candidate models failed",
        attempt_records=(attempt,),
    )


def test_requests_are_counted_by_model_provider_pool_and_outcome() -> None:
    sink = PrometheusObservability()
    sink.log(answered())
    sink.log(answered())
    sink.log(failed_over())
    sink.log(exhausted())

    scope_a = {"model": "a.m", "provider": "a", "pool": "chat"}
    scope_b = {"model": "b.m", "provider": "b", "pool": "chat"}
    assert value(sink, "modelmesh_requests_total", **scope_a, outcome="success") == 2
    assert value(sink, "modelmesh_requests_total", **scope_b, outcome="success") == 1
    none = {"model": "", "provider": "", "pool": "chat"}
    assert value(sink, "modelmesh_requests_total", **none, outcome="failure") == 1
    assert value(sink, "modelmesh_tokens_total", **scope_a, direction="in") == 20
    assert value(sink, "modelmesh_tokens_total", **scope_a, direction="out") == 8
    assert value(sink, "modelmesh_cost_usd_total", **scope_a) == pytest.approx(0.004)


def test_every_call_of_a_request_is_counted_once() -> None:
    sink = PrometheusObservability()
    sink.log(failed_over())
    sink.log(exhausted())

    failure = {"model": "a.m", "provider": "a", "outcome": "failure"}
    assert value(sink, "modelmesh_attempts_total", **failure, error_category="server_error") == 2
    success = {"model": "b.m", "provider": "b", "outcome": "success", "error_category": ""}
    assert value(sink, "modelmesh_attempts_total", **success) == 1
    count = "modelmesh_attempt_latency_seconds_count"
    assert value(sink, count, model="a.m", provider="a") == 2


def test_latency_lands_in_the_histogram_buckets_in_seconds() -> None:
    sink = PrometheusObservability({"latency_buckets": [0.1, 0.5, 1.0]})
    for latency_ms in (50.0, 300.0, 300.0, 2500.0):
        sink.log(answered(latency_ms=latency_ms))

    scope = {"model": "a.m", "provider": "a", "pool": "chat"}
    name = "modelmesh_request_latency_seconds"
    assert value(sink, f"{name}_bucket", **scope, le="0.1") == 1
    assert value(sink, f"{name}_bucket", **scope, le="0.5") == 3
    assert value(sink, f"{name}_bucket", **scope, le="1.0") == 3
    assert value(sink, f"{name}_bucket", **scope, le="+Inf") == 4
    assert value(sink, f"{name}_sum", **scope) == pytest.approx(3.15)


def test_standby_and_rotation_events_are_counted() -> None:
    sink = PrometheusObservability()
    sink.emit(RoutingEvent(EventType.MODEL_DEACTIVATED, WHEN, "a.m", "a", "chat"))
    sink.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN, "b.m", "b", "chat"))
    sink.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN, "b.m", "b", "chat"))
    sink.emit(RoutingEvent(EventType.PROVIDER_DEACTIVATED, WHEN, provider_id="a"))

    scope = {"model": "a.m", "provider": "a", "pool": "chat"}
    assert value(sink, "modelmesh_standby_events_total", **scope) == 1
    assert value(sink, "modelmesh_rotation_events_total", pool="chat", model="b.m") == 2
    provider_down = {"event_type": "provider_deactivated", "model": "", "provider": "a"}
    assert value(sink, "modelmesh_events_total", **provider_down, pool="") == 1


def test_event_filter_limits_the_events_counted() -> None:
    sink = PrometheusObservability({"event_filter": ["model_rotated"]})
    sink.emit(RoutingEvent(EventType.MODEL_DEACTIVATED, WHEN, "a.m", "a", "chat"))
    sink.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN, "b.m", "b", "chat"))

    names = {name for name, _ in samples(sink)}
    assert "modelmesh_standby_events_total" not in names
    assert value(sink, "modelmesh_rotation_events_total", pool="chat", model="b.m") == 1


def test_statistics_and_traces_add_no_metric() -> None:
    sink = PrometheusObservability()
    before = samples(sink)
    sink.flush({"model.a.m": AggregateStats(requests_total=5)})
    sink.trace(TraceEntry(Severity.ERROR, WHEN, "router", "model rotated"))

    assert samples(sink) == before


def test_each_sink_has_a_registry_of_its_own() -> None:
    first, second = PrometheusObservability(), PrometheusObservability()
    first.log(answered())

    scope = {"model": "a.m", "provider": "a", "pool": "chat", "outcome": "success"}
    assert value(first, "modelmesh_requests_total", **scope) == 1
    assert value(second, "modelmesh_requests_total", **scope) == 0


def test_namespace_prefixes_every_metric() -> None:
    sink = PrometheusObservability({"namespace": "gateway"})
    sink.log(answered())

    names = {name for name, _ in samples(sink)}
    assert names
    assert all(name.startswith("gateway_") for name in names)


def test_an_empty_namespace_leaves_names_bare() -> None:
    sink = PrometheusObservability({"namespace": ""})
    sink.log(answered())

    assert "requests_total" in {name for name, _ in samples(sink)}


def test_the_sink_offers_an_exposition_to_the_proxy() -> None:
    assert isinstance(PrometheusObservability(), MetricsExposition)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"namespace": "9lives"}, "namespace"),
        ({"namespace": "with-dash"}, "namespace"),
        ({"latency_buckets": [1.0, 0.5]}, "latency_buckets"),
        ({"latency_buckets": []}, "latency_buckets"),
        ({"namespce": "x"}, "namespace"),
    ],
)
def test_bad_options_are_refused_naming_the_option(options: dict, named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        PrometheusObservability(options)


def test_secrets_in_errors_never_reach_the_exposition() -> None:
    secret = "sk-live-9a8b7c6d5e4f3a2b"
    sink = PrometheusObservability()
    attempt = AttemptRecord("a.m", "a", WHEN, 1.0, 401, f"Bearer {secret}", "authentication")
    sink.log(answered(error=f"rejected {secret}", attempt_records=(attempt,)))

    assert secret.encode() not in sink.exposition()[1]


@given(
    st.lists(
        st.tuples(st.sampled_from(["a.m", "b.m", None]), st.integers(0, 1000), st.booleans()),
        max_size=30,
    )
)
def test_counters_add_up_to_the_requests_logged(logged: list) -> None:
    sink = PrometheusObservability()
    for model, tokens, ok in logged:
        if model is None:
            sink.log(exhausted())
        else:
            sink.log(answered(model, tokens_in=tokens, status_code=200 if ok else 500))

    every = samples(sink)
    total = sum(v for (name, _), v in every.items() if name == "modelmesh_requests_total")
    tokens_in = sum(
        v
        for (name, labels), v in every.items()
        if name == "modelmesh_tokens_total" and ("direction", "in") in labels
    )
    assert total == len(logged)
    assert tokens_in == sum(tokens for model, tokens, _ in logged if model is not None)
