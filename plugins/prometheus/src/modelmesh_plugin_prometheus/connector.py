"""Prometheus counters and histograms per model, provider and pool.

The sink turns request logs and events into prometheus-client metrics held in a
registry of its own, so several meshes (or tests) in one process never share or clash
over a metric. Nothing is pushed: a scraper reads ``exposition()``, which the proxy
serves at ``GET /metrics``. Statistics and traces are not turned into metrics: the
counters already hold what the statistics summarise, and Prometheus computes rates and
percentiles itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from modelmesh.interfaces.observability import (
    AggregateStats,
    EventType,
    RequestLogEntry,
    RoutingEvent,
    TraceEntry,
)
from modelmesh_cdk.base.observability import BaseObservability, BaseObservabilityConfig

_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:")
_NAME_REST = _NAME_START | frozenset("0123456789")
# Seconds: LLM calls run from tens of milliseconds to minutes.
DEFAULT_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_SCOPE = ("model", "provider", "pool")


def _metric_prefix(instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if value and not (value[0] in _NAME_START and set(value) <= _NAME_REST):
        raise ValueError(
            f"namespace {value!r} is no Prometheus metric name prefix: use letters, digits, "
            "'_' and ':', not starting with a digit (or an empty string for none)"
        )


def _buckets(instance: Any, attribute: attrs.Attribute[tuple[float, ...]], value: Any) -> None:
    if not value or any(b <= 0 for b in value) or list(value) != sorted(set(value)):
        raise ValueError("latency_buckets must be increasing positive numbers of seconds")


@attrs.frozen
class PrometheusObservabilityConfig(BaseObservabilityConfig):
    """``namespace`` prefixes every metric name; ``latency_buckets`` are the upper
    bounds, in seconds, of the latency histograms."""

    namespace: str = attrs.field(default="modelmesh", validator=_metric_prefix)
    latency_buckets: tuple[float, ...] = attrs.field(default=DEFAULT_BUCKETS, validator=_buckets)


class PrometheusObservability(BaseObservability):
    """Counts requests, calls, tokens, cost and state changes per model, provider and
    pool in its own ``CollectorRegistry`` (``self.registry``).

    A request that found no model is counted with empty ``model``, ``provider`` (and
    ``pool``, when none was resolved) labels. ``event_filter`` limits the events
    counted; the other base options are accepted and change nothing here.
    """

    config_class = PrometheusObservabilityConfig
    config: PrometheusObservabilityConfig

    def __init__(
        self, config: PrometheusObservabilityConfig | Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(config)
        self.registry = CollectorRegistry(auto_describe=True)
        ns, buckets, into = self.config.namespace, self.config.latency_buckets, self.registry
        self._requests = Counter(
            "requests",
            "Routed requests by outcome (success: an answer came back)",
            [*_SCOPE, "outcome"],
            namespace=ns,
            registry=into,
        )
        self._latency = Histogram(
            "request_latency_seconds",
            "Time from routing a request to its answer or final failure",
            _SCOPE,
            namespace=ns,
            buckets=buckets,
            registry=into,
        )
        self._attempts = Counter(
            "attempts",
            "Calls to a model made while routing requests, by outcome",
            ["model", "provider", "outcome", "error_category"],
            namespace=ns,
            registry=into,
        )
        self._attempt_latency = Histogram(
            "attempt_latency_seconds",
            "Time one call to a model took",
            ["model", "provider"],
            namespace=ns,
            buckets=buckets,
            registry=into,
        )
        self._tokens = Counter(
            "tokens",
            "Tokens of answered requests, by direction (in: prompt, out: completion)",
            [*_SCOPE, "direction"],
            namespace=ns,
            registry=into,
        )
        self._cost = Counter(
            "cost_usd", "Cost of answered requests in USD", _SCOPE, namespace=ns, registry=into
        )
        self._events = Counter(
            "events",
            "State changes by event type",
            ["event_type", *_SCOPE],
            namespace=ns,
            registry=into,
        )
        self._standby = Counter(
            "standby_events",
            "Models put on standby (model_deactivated events)",
            _SCOPE,
            namespace=ns,
            registry=into,
        )
        self._rotations = Counter(
            "rotation_events",
            "Pools rotating to another model (model_rotated events)",
            ["pool", "model"],
            namespace=ns,
            registry=into,
        )

    def exposition(self) -> tuple[str, bytes]:
        """The registry in Prometheus' text format, for the proxy's ``GET /metrics``."""
        return CONTENT_TYPE_LATEST, generate_latest(self.registry)

    def log(self, entry: RequestLogEntry) -> None:
        scope = (entry.model_id or "", entry.provider_id or "", entry.pool_id or "")
        succeeded = entry.model_id is not None and entry.error is None and _ok(entry.status_code)
        self._requests.labels(*scope, "success" if succeeded else "failure").inc()
        self._latency.labels(*scope).observe(entry.latency_ms / 1000.0)
        if entry.tokens_in:
            self._tokens.labels(*scope, "in").inc(entry.tokens_in)
        if entry.tokens_out:
            self._tokens.labels(*scope, "out").inc(entry.tokens_out)
        if entry.cost:
            self._cost.labels(*scope).inc(entry.cost)
        for attempt in entry.attempt_records:
            outcome = "failure" if attempt.failed else "success"
            category = attempt.error_category or ""
            self._attempts.labels(attempt.model_id, attempt.provider_id, outcome, category).inc()
            self._attempt_latency.labels(attempt.model_id, attempt.provider_id).observe(
                attempt.latency_ms / 1000.0
            )

    def emit(self, event: RoutingEvent) -> None:
        allowed = self.config.event_filter
        if allowed is not None and event.event_type not in allowed:
            return
        scope = (event.model_id or "", event.provider_id or "", event.pool_id or "")
        self._events.labels(event.event_type.value, *scope).inc()
        if event.event_type is EventType.MODEL_DEACTIVATED:
            self._standby.labels(*scope).inc()
        elif event.event_type is EventType.MODEL_ROTATED:
            self._rotations.labels(scope[2], scope[0]).inc()

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        """Statistics summarise what the counters already hold: nothing to add."""

    def trace(self, entry: TraceEntry) -> None:
        """Diagnostics are messages, not measurements: nothing to count."""


def _ok(status_code: int | None) -> bool:
    # A request log's status is the answering call's; None with no error is a success
    # reported without an HTTP status (an in-process provider).
    return status_code is None or 200 <= status_code < 300
