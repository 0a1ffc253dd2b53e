"""The fan-out from the mesh to its observability sinks.

The Observer sits on the request path, so everything that can be decided once is
decided at construction: which sinks take each channel (a sink that discards records,
like the default null sink, takes none), their filters, and which sinks share a
statistics period. A channel no sink takes costs one attribute test, and
callers can ask ``wants_logs`` or ``wants_trace`` before building a record at all.

Sinks are isolated: an exception from a sink is caught, counted in ``failures`` under
the sink's label and reported once per sink through ``modelmesh.log``; the caller and
the other sinks never see it. Redaction is always on: metadata, messages, errors and
previews are redacted before any sink receives them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from modelmesh.clock import Clock
from modelmesh.config.schema import Channel, SinkConfig
from modelmesh.errors import ConfigurationError
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
from modelmesh.log import get_logger
from modelmesh.observability.statistics import StatisticsAggregator
from modelmesh.redaction import redact

__all__ = ["Observer"]

_LOG = get_logger("modelmesh.observability")
_EVENT_NAMES = frozenset(event.value for event in EventType)


@attrs.define(eq=False)
class _Sink:
    """One configured sink: its unique label, its connector and its settings."""

    label: str
    connector: ObservabilityConnector
    config: SinkConfig
    events: frozenset[str] | None
    scope_prefixes: tuple[str, ...]


@attrs.define(eq=False)
class _StatisticsPeriod:
    """Sinks sharing one flush interval share one aggregation and one deadline."""

    interval: float
    due: float
    sinks: list[_Sink]
    aggregator: StatisticsAggregator


def _unique_labels(labels: Sequence[str]) -> list[str]:
    """The labels, a repeated one numbered from its second use (``instance#2``)."""
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return unique


def _event_filter(label: str, events: Sequence[str] | None) -> frozenset[str] | None:
    if events is None:
        return None
    names = frozenset(str(getattr(name, "value", name)) for name in events)
    if unknown := sorted(names - _EVENT_NAMES):
        raise ConfigurationError(
            f"observability sink {label}: unknown event type(s) {', '.join(unknown)} in "
            f"'events'; known: {', '.join(sorted(_EVENT_NAMES))}",
            details={"sink": label, "unknown": unknown},
        )
    return names


def _shaped(entry: RequestLogEntry, level: LogLevel, limit: int | None) -> RequestLogEntry:
    """The entry as a sink at ``level`` may see it: previews and error dropped above
    its level, redacted, then previews cut to ``limit`` characters."""

    def preview(text: str | None) -> str | None:
        if text is None or level is LogLevel.METADATA:
            return None
        text = redact(text)
        return text if limit is None else text[:limit]

    full = level is LogLevel.FULL
    error = redact(entry.error) if full and entry.error is not None else None
    changes: dict[str, Any] = {
        "prompt_preview": preview(entry.prompt_preview),
        "response_preview": preview(entry.response_preview),
        "error": error,
        # Each call's error text follows the request's: redacted at full, else dropped.
        "attempt_records": tuple(
            attempt
            if attempt.error is None
            else attrs.evolve(attempt, error=redact(attempt.error) if full else None)
            for attempt in entry.attempt_records
        ),
    }
    if all(getattr(entry, name) == value for name, value in changes.items()):
        return entry
    return attrs.evolve(entry, **changes)


class Observer:
    """Sends events, request logs, statistics and traces to the sinks that want them.

    ``sinks`` are ``(label, connector, config)``; the label names the sink in
    ``failures`` and in warnings (a repeated label is numbered: ``instance#2``).
    Statistics are kept per flush interval and sent to a sink when its interval has
    elapsed on ``clock`` (checked by ``maybe_flush``), on ``flush`` and at ``close``.
    The Observer is meant for one event loop: it takes no locks.
    """

    def __init__(
        self,
        sinks: Sequence[tuple[str, ObservabilityConnector, SinkConfig]],
        *,
        clock: Clock,
        reservoir_size: int | None = None,
    ) -> None:
        self._clock = clock
        labels = _unique_labels([label for label, _, _ in sinks])
        self._sinks = [
            _Sink(
                label=label,
                connector=connector,
                config=config,
                events=_event_filter(label, config.events),
                scope_prefixes=tuple(f"{scope.value}." for scope in config.scopes),
            )
            for label, (_, connector, config) in zip(labels, sinks, strict=True)
        ]
        self.failures: dict[str, int] = {sink.label: 0 for sink in self._sinks}
        self._warned: set[str] = set()
        self._closed = False
        self._build_channels(reservoir_size)

    def _build_channels(self, reservoir_size: int | None) -> None:
        def taking(channel: Channel) -> list[_Sink]:
            return [
                sink
                for sink in self._sinks
                if channel in sink.config.channels and not sink.connector.discards_records
            ]

        self._event_sinks = taking(Channel.EVENTS)
        self._trace_sinks = taking(Channel.TRACES)
        self._lowest_severity = min(
            (sink.config.min_severity for sink in self._trace_sinks), default=None
        )
        shapes: dict[tuple[LogLevel, int | None], list[_Sink]] = {}
        for sink in taking(Channel.LOGS):
            key = (sink.config.level, sink.config.max_payload_size)
            shapes.setdefault(key, []).append(sink)
        self._log_shapes = list(shapes.items())

        options = {} if reservoir_size is None else {"reservoir_size": reservoir_size}
        by_interval: dict[float, list[_Sink]] = {}
        for sink in taking(Channel.STATISTICS):
            by_interval.setdefault(float(sink.config.flush_interval), []).append(sink)
        now = self._clock.monotonic()
        self._periods = [
            _StatisticsPeriod(
                interval=interval,
                due=now + interval,
                sinks=members,
                aggregator=StatisticsAggregator(
                    {scope for sink in members for scope in sink.config.scopes}, **options
                ),
            )
            for interval, members in by_interval.items()
        ]
        self._next_due = min((period.due for period in self._periods), default=float("inf"))

    # --- what callers may skip -----------------------------------------------------------

    @property
    def connectors(self) -> tuple[ObservabilityConnector, ...]:
        """The sinks' connectors in configuration order, for capabilities some offer
        (the proxy serves a metrics exposition from them)."""
        return tuple(sink.connector for sink in self._sinks)

    @property
    def enabled(self) -> bool:
        """Whether there is any sink at all."""
        return bool(self._sinks)

    @property
    def wants_logs(self) -> bool:
        """Whether any sink takes request logs: build a RequestLogEntry only then."""
        return bool(self._log_shapes)

    @property
    def wants_statistics(self) -> bool:
        """Whether any sink takes statistics: count requests and standbys only then."""
        return bool(self._periods)

    def wants_trace(self, severity: Severity) -> bool:
        """Whether any sink takes traces of this severity."""
        return self._lowest_severity is not None and severity >= self._lowest_severity

    # --- channels ------------------------------------------------------------------------

    def event(
        self,
        event_type: EventType,
        *,
        model_id: str | None = None,
        provider_id: str | None = None,
        pool_id: str | None = None,
        **metadata: Any,
    ) -> None:
        """Tell the event sinks about a state change."""
        if not self._event_sinks:
            return
        event = RoutingEvent(
            event_type,
            self._clock.now(),
            model_id=model_id,
            provider_id=provider_id,
            pool_id=pool_id,
            metadata=redact(metadata),
        )
        name = event.event_type.value
        for sink in self._event_sinks:
            if sink.events is None or name in sink.events:
                self._call(sink, Channel.EVENTS, sink.connector.emit, event)

    def log(self, entry: RequestLogEntry) -> None:
        """Send one request's record to the log sinks, each at its level and payload size."""
        for (level, limit), members in self._log_shapes:
            shaped = _shaped(entry, level, limit)
            for sink in members:
                self._call(sink, Channel.LOGS, sink.connector.log, shaped)

    def trace(
        self,
        severity: Severity,
        component: str,
        message: str,
        *,
        error: str | None = None,
        **metadata: Any,
    ) -> None:
        """Send a diagnostic to the trace sinks whose minimum severity it reaches."""
        if not self.wants_trace(severity):
            return
        entry = TraceEntry(
            severity,
            self._clock.now(),
            component,
            redact(message),
            redact(metadata),
            None if error is None else redact(error),
        )
        for sink in self._trace_sinks:
            if entry.severity >= sink.config.min_severity:
                self._call(sink, Channel.TRACES, sink.connector.trace, entry)

    # --- statistics ----------------------------------------------------------------------

    def record_request(
        self,
        *,
        model_id: str | None,
        provider_id: str | None,
        pool_id: str | None,
        success: bool,
        latency_ms: float,
        tokens_in: int = 0,
        tokens_out: int = 0,
        cost: float = 0.0,
    ) -> None:
        """Count a finished request in the statistics of its model, provider and pool."""
        for period in self._periods:
            period.aggregator.record_request(
                model_id=model_id,
                provider_id=provider_id,
                pool_id=pool_id,
                success=success,
                latency_ms=latency_ms,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                cost=cost,
            )

    def record_standby(
        self, *, model_id: str | None, provider_id: str | None, pool_id: str | None
    ) -> None:
        """Count a model going to standby (``standby_events``)."""
        for period in self._periods:
            period.aggregator.record_standby(
                model_id=model_id, provider_id=provider_id, pool_id=pool_id
            )

    def record_recovery(
        self,
        *,
        model_id: str | None,
        provider_id: str | None,
        pool_id: str | None,
        downtime_s: float,
    ) -> None:
        """Add a recovered model's time in standby to ``downtime_total``."""
        for period in self._periods:
            period.aggregator.record_recovery(
                model_id=model_id, provider_id=provider_id, pool_id=pool_id, downtime_s=downtime_s
            )

    def record_rotation(self, *, pool_id: str | None, model_id: str | None) -> None:
        """Count a pool's rotation to ``model_id`` (``rotation_events``)."""
        for period in self._periods:
            period.aggregator.record_rotation(pool_id=pool_id, model_id=model_id)

    def record_quota_reset(self, *, model_id: str | None, provider_id: str | None) -> None:
        """Count a model's quota period starting again (``quota_resets``)."""
        for period in self._periods:
            period.aggregator.record_quota_reset(model_id=model_id, provider_id=provider_id)

    def maybe_flush(self) -> None:
        """Flush the statistics of every sink whose flush interval has elapsed."""
        now = self._clock.monotonic()
        if now < self._next_due:
            return
        for period in self._periods:
            if now >= period.due:
                self._flush_period(period, now)
        self._next_due = min((period.due for period in self._periods), default=float("inf"))

    def flush(self) -> None:
        """Flush every sink's statistics now; each flush interval starts again."""
        now = self._clock.monotonic()
        for period in self._periods:
            self._flush_period(period, now)
        self._next_due = min((period.due for period in self._periods), default=float("inf"))

    def _flush_period(self, period: _StatisticsPeriod, now: float) -> None:
        period.due = now + period.interval
        if not period.aggregator:
            return
        stats = period.aggregator.drain()
        for sink in period.sinks:
            wanted = _in_scopes(stats, sink.scope_prefixes)
            if wanted:
                self._call(sink, Channel.STATISTICS, sink.connector.flush, wanted)

    # --- shutdown ------------------------------------------------------------------------

    async def close(self) -> None:
        """Flush the statistics, then close every sink once; never raises.

        Later calls do nothing, and afterwards every channel is off.
        """
        if self._closed:
            return
        self._closed = True
        self.flush()
        closed: set[int] = set()
        for sink in self._sinks:
            if id(sink.connector) in closed:
                continue
            closed.add(id(sink.connector))
            try:
                await sink.connector.close()
            except Exception as error:
                self._failed(sink, "close", error)
        self._event_sinks = []
        self._trace_sinks = []
        self._lowest_severity = None
        self._log_shapes = []
        self._periods = []
        self._next_due = float("inf")

    # --- isolation -----------------------------------------------------------------------

    def _call(
        self, sink: _Sink, channel: Channel, method: Callable[[Any], None], record: Any
    ) -> None:
        try:
            method(record)
        except Exception as error:
            self._failed(sink, channel.value, error)

    def _failed(self, sink: _Sink, channel: str, error: Exception) -> None:
        self.failures[sink.label] += 1
        if sink.label in self._warned:
            return
        self._warned.add(sink.label)
        _LOG.warning(
            "observability sink failed; its later failures are only counted",
            sink=sink.label,
            channel=channel,
            error_type=type(error).__name__,
            error=str(error),
        )


def _in_scopes(
    stats: Mapping[str, AggregateStats], prefixes: tuple[str, ...]
) -> dict[str, AggregateStats]:
    return {key: value for key, value in stats.items() if key.startswith(prefixes)}
