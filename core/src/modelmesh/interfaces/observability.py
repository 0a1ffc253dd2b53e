"""Observability connectors: where events, request logs, statistics and traces go.

The four channels are synchronous and called on the request path, so a connector must
not block: it buffers or hands the record to a background writer. Each record type
renders itself as the JSON-ready dict of the documented record format (one JSON object
per line, keyed by ``"type"``), with secrets redacted, so every sink writes the same
thing.
"""

from __future__ import annotations

import abc
import enum
import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs

from modelmesh.interfaces.provider import DeliveryMode
from modelmesh.redaction import redact

_non_negative = attrs.validators.ge(0)


def _redacted_repr(value: Any) -> str:
    return repr(redact(value))


def _optional_redacted(value: str | None) -> str | None:
    return None if value is None else redact(value)


class EventType(enum.Enum):
    """State changes worth telling the outside world about."""

    MODEL_ACTIVATED = "model_activated"
    MODEL_DEACTIVATED = "model_deactivated"
    MODEL_ROTATED = "model_rotated"
    PROVIDER_HEALTH_CHANGED = "provider_health_changed"
    PROVIDER_DEACTIVATED = "provider_deactivated"
    PROVIDER_RECOVERED = "provider_recovered"
    POOL_MEMBERSHIP_CHANGED = "pool_membership_changed"
    DISCOVERY_MODELS_UPDATED = "discovery_models_updated"


class LogLevel(enum.Enum):
    """How much of a request a log record carries; each level adds to the one before."""

    METADATA = "metadata"
    SUMMARY = "summary"
    FULL = "full"


@functools.total_ordering
class Severity(enum.Enum):
    """Trace severity, ordered debug < info < warning < error < critical."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return _SEVERITY_RANK[self] < _SEVERITY_RANK[other]


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(Severity)}


@attrs.frozen
class RoutingEvent:
    """A state change of a model, provider or pool."""

    event_type: EventType = attrs.field(converter=EventType)
    timestamp: datetime
    model_id: str | None = None
    provider_id: str | None = None
    pool_id: str | None = None
    metadata: Mapping[str, Any] = attrs.field(factory=dict, repr=_redacted_repr)

    def to_record(self) -> dict[str, Any]:
        return {
            "type": "event",
            "event_type": self.event_type.value,
            "timestamp": self.timestamp.isoformat(),
            "model_id": self.model_id,
            "provider_id": self.provider_id,
            "pool_id": self.pool_id,
            "metadata": redact(self.metadata),
        }


@attrs.frozen
class AttemptRecord:
    """One call a routed request made: to which model, when, for how long, and how it
    ended: ``error_category`` is set for a call that failed and None for the one that
    answered; ``error`` is its text, which a sink below ``full`` level does not get.
    ``started_at`` is the mesh clock's time; a tracing sink turns each record into a
    span under the request's."""

    model_id: str
    provider_id: str
    started_at: datetime
    latency_ms: float = attrs.field(default=0.0, validator=_non_negative)
    status_code: int | None = None
    error: str | None = None
    error_category: str | None = None

    @property
    def failed(self) -> bool:
        return self.error_category is not None

    def to_record(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "provider_id": self.provider_id,
            "started_at": self.started_at.isoformat(),
            "latency_ms": self.latency_ms,
            "status_code": self.status_code,
            "error": _optional_redacted(self.error),
            "error_category": self.error_category,
        }


@attrs.frozen
class RequestLogEntry:
    """One routed request, as the request log keeps it.

    ``model_id`` is None when no model was chosen; ``status_code`` is None when no
    HTTP status came back (timeout, connection refused). Latency is in milliseconds,
    cost in USD; previews are already truncated to the configured payload size.
    """

    timestamp: datetime
    request_id: str
    model_id: str | None
    provider_id: str | None
    pool_id: str | None
    capability: str
    delivery_mode: DeliveryMode = attrs.field(default=DeliveryMode.SYNC, converter=DeliveryMode)
    status_code: int | None = None
    latency_ms: float = attrs.field(default=0.0, validator=_non_negative)
    tokens_in: int = attrs.field(default=0, validator=_non_negative)
    tokens_out: int = attrs.field(default=0, validator=_non_negative)
    cost: float = attrs.field(default=0.0, validator=_non_negative)
    attempts: int = attrs.field(default=1, validator=_non_negative)
    error: str | None = None
    prompt_preview: str | None = attrs.field(default=None, repr=False)
    response_preview: str | None = attrs.field(default=None, repr=False)
    attempt_records: tuple[AttemptRecord, ...] = attrs.field(
        default=(), converter=tuple, repr=False
    )
    """Every call the request made, in order; the last answered when it succeeded."""

    def to_record(self, level: LogLevel = LogLevel.FULL) -> dict[str, Any]:
        """The ``log`` record at ``level``: metadata, then usage and previews, then errors."""
        record: dict[str, Any] = {
            "type": "log",
            "timestamp": self.timestamp.isoformat(),
            "request_id": self.request_id,
            "model_id": self.model_id,
            "provider_id": self.provider_id,
            "pool_id": self.pool_id,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
        }
        if level is LogLevel.METADATA:
            return record
        record.update(
            capability=self.capability,
            delivery_mode=self.delivery_mode.value,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cost=self.cost,
            attempts=self.attempts,
            prompt_preview=_optional_redacted(self.prompt_preview),
            response_preview=_optional_redacted(self.response_preview),
        )
        if level is LogLevel.FULL:
            record["error"] = _optional_redacted(self.error)
            record["attempt_records"] = [attempt.to_record() for attempt in self.attempt_records]
        return record


@attrs.frozen
class AggregateStats:
    """Aggregated metrics of one model, provider or pool since the last flush.

    Latencies are in milliseconds, ``downtime_total`` in seconds, costs in USD.
    """

    requests_total: int = attrs.field(default=0, validator=_non_negative)
    requests_success: int = attrs.field(default=0, validator=_non_negative)
    requests_failed: int = attrs.field(default=0, validator=_non_negative)
    tokens_in: int = attrs.field(default=0, validator=_non_negative)
    tokens_out: int = attrs.field(default=0, validator=_non_negative)
    cost_total: float = attrs.field(default=0.0, validator=_non_negative)
    latency_avg: float = attrs.field(default=0.0, validator=_non_negative)
    latency_p95: float = attrs.field(default=0.0, validator=_non_negative)
    downtime_total: float = attrs.field(default=0.0, validator=_non_negative)
    standby_events: int = attrs.field(default=0, validator=_non_negative)
    quota_resets: int = attrs.field(default=0, validator=_non_negative)
    rotation_events: int = attrs.field(default=0, validator=_non_negative)

    def to_record(self, scope_id: str) -> dict[str, Any]:
        """The ``stats`` record of the scope (``model.<id>``, ``pool.<id>`` ...)."""
        return {"type": "stats", "scope_id": scope_id, **attrs.asdict(self)}


@attrs.frozen
class TraceEntry:
    """A diagnostic message from one component (``router``, ``pool.<id>``, ``mesh`` ...)."""

    severity: Severity = attrs.field(converter=Severity)
    timestamp: datetime
    component: str
    message: str
    metadata: Mapping[str, Any] = attrs.field(factory=dict, repr=_redacted_repr)
    error: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "type": "trace",
            "severity": self.severity.value,
            "timestamp": self.timestamp.isoformat(),
            "component": self.component,
            "message": redact(self.message),
            "metadata": redact(self.metadata),
            "error": _optional_redacted(self.error),
        }


class ObservabilityConnector(abc.ABC):
    """A sink for the four channels. Every method must return quickly: buffer or hand off.

    The mesh isolates sinks from each other and from requests, but a slow sink still
    slows the request that called it.
    """

    discards_records: ClassVar[bool] = False
    """True for a sink that keeps nothing (the null sink): the mesh then sends it no
    record at all, so the default configuration costs the request path nothing."""

    @abc.abstractmethod
    def emit(self, event: RoutingEvent) -> None:
        """Record a state-change event. Must not block: buffer or hand off."""

    @abc.abstractmethod
    def log(self, entry: RequestLogEntry) -> None:
        """Record one request at the sink's log level. Must not block: buffer or hand off."""

    @abc.abstractmethod
    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        """Record statistics keyed by scope ID. Must not block: buffer or hand off."""

    @abc.abstractmethod
    def trace(self, entry: TraceEntry) -> None:
        """Record a diagnostic at or above the sink's minimum severity. Must not block."""

    async def close(self) -> None:  # noqa: B027 - a deliberate no-op default
        """Write out what is buffered and release files or connections; called at shutdown."""


@runtime_checkable
class MetricsExposition(Protocol):
    """An optional capability of a sink whose metrics are pulled, not pushed.

    A sink that keeps metrics for a scraper (Prometheus) implements ``exposition``; the
    proxy serves the first configured sink that has it at ``GET /metrics``, and answers
    404 when none does. It is called off the request path, at each scrape, and must be
    safe to call while the channels are being fed.
    """

    def exposition(self) -> tuple[str, bytes]:
        """The content type and body of the current metrics in a text exposition format."""
