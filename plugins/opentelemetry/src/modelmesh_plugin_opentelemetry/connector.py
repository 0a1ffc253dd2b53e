"""An OpenTelemetry span per routed request and a child span per call it made.

The mesh hands the sink a request's record when the request is over, so every span is
built after the fact with the record's own start and end times. Routing events and
traces become short spans carrying one span event; statistics are not spans and are
not exported (metrics belong to the Prometheus sink). Text reaches a span only
redacted: error messages at ``log_level: full``, previews only when asked for.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.observability import (
    AggregateStats,
    AttemptRecord,
    LogLevel,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh.redaction import redact
from modelmesh_cdk.base.observability import BaseObservability, BaseObservabilityConfig

__all__ = ["OpentelemetryObservability", "OpentelemetryObservabilityConfig"]

_SCOPE = "modelmesh_plugin_opentelemetry"
_DEFAULT_SERVICE = "modelmesh"
_OTLP_MODULES = {
    "http/protobuf": "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "grpc": "opentelemetry.exporter.otlp.proto.grpc.trace_exporter",
}
# GenAI operation names of the capabilities that have one (by the capability's last part).
_OPERATIONS = {
    "chat-completion": "chat",
    "text-completion": "text_completion",
    "embeddings": "embeddings",
    "text-embeddings": "embeddings",
    "image-embeddings": "embeddings",
    "multimodal-embeddings": "embeddings",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_Attributes = dict[str, str | bool | int | float]


def _one_of(*choices: str) -> Any:
    def check(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {', '.join(choices)}, not {value!r}")

    return check


@attrs.frozen
class OpentelemetryObservabilityConfig(BaseObservabilityConfig):
    """The kit's options plus where spans go.

    ``tracer_provider`` is a provider configured in Python (exclusive with
    ``exporter``); without it, ``exporter: none`` uses the global provider and
    ``console`` or ``otlp`` make the sink build and own one named ``service_name``.
    """

    service_name: str | None = None
    tracer_provider: Any = attrs.field(default=None, repr=False)
    exporter: str = attrs.field(default="none", validator=_one_of("none", "console", "otlp"))
    otlp_endpoint: str | None = None
    otlp_protocol: str = attrs.field(default="http/protobuf", validator=_one_of(*_OTLP_MODULES))
    include_previews: bool = False


def _ns(when: datetime) -> int:
    """Nanoseconds since the epoch, exactly (a float timestamp would lose the last digits)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // timedelta(microseconds=1) * 1000


def _attribute(value: Any) -> str | bool | int | float:
    """A value OpenTelemetry accepts: scalars as they are, anything else as JSON text."""
    if isinstance(value, str | bool | int | float):
        return value
    return json.dumps(value, default=str, ensure_ascii=False)


def _metadata(prefix: str, metadata: Mapping[Any, Any]) -> _Attributes:
    return {
        f"{prefix}.{key}": _attribute(value)
        for key, value in redact(dict(metadata)).items()
        if value is not None
    }


def _operation(capability: str) -> str | None:
    return _OPERATIONS.get(capability.rsplit(".", 1)[-1])


class OpentelemetryObservability(BaseObservability):
    """Turns request logs into spans, events and traces into short spans.

    Channel methods never raise: a failure is counted in ``write_errors``. Spans start
    as children of the span current where the mesh calls the sink, so a request made
    inside an instrumented handler lands in that handler's trace.
    """

    config_class = OpentelemetryObservabilityConfig
    config: OpentelemetryObservabilityConfig

    def __init__(
        self, config: OpentelemetryObservabilityConfig | Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(config)
        self._owned: TracerProvider | None = None
        self._closed = False
        provider = self._provider()
        self._tracer = provider.get_tracer(_SCOPE)

    # --- where spans go ------------------------------------------------------------------

    def _provider(self) -> Any:
        config = self.config
        if config.tracer_provider is not None:
            if config.exporter != "none":
                raise ConfigurationError(
                    "invalid options for connector OpentelemetryObservability: "
                    f"exporter '{config.exporter}' and tracer_provider exclude each other; "
                    "add the exporter to your tracer provider, or leave tracer_provider out",
                    details={"connector": "OpentelemetryObservability", "option": "exporter"},
                )
            self._no_service_name("tracer_provider is given")
            return config.tracer_provider
        if config.exporter == "none":
            self._no_service_name("exporter is 'none' (the global tracer provider is used)")
            return trace.get_tracer_provider()
        service = config.service_name or _DEFAULT_SERVICE
        self._owned = TracerProvider(
            resource=Resource.create({"service.name": service}), shutdown_on_exit=False
        )
        self._owned.add_span_processor(BatchSpanProcessor(self._exporter()))
        return self._owned

    def _no_service_name(self, because: str) -> None:
        if self.config.service_name is not None:
            raise ConfigurationError(
                "invalid options for connector OpentelemetryObservability: service_name "
                f"names the provider the sink builds, and it builds none when {because}; "
                "set service.name on that provider's Resource instead",
                details={"connector": "OpentelemetryObservability", "option": "service_name"},
            )

    def _exporter(self) -> SpanExporter:
        if self.config.exporter == "console":
            return ConsoleSpanExporter(out=sys.stdout)
        module_name = _OTLP_MODULES[self.config.otlp_protocol]
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise ConfigurationError(
                "invalid options for connector OpentelemetryObservability: exporter 'otlp' "
                f"({self.config.otlp_protocol}) needs the OTLP exporter, which is not "
                "installed: pip install opentelemetry-exporter-otlp",
                details={"connector": "OpentelemetryObservability", "option": "exporter"},
            ) from None
        endpoint = self.config.otlp_endpoint
        options = {} if endpoint is None else {"endpoint": endpoint}
        exporter: SpanExporter = module.OTLPSpanExporter(**options)
        return exporter

    # --- channels ------------------------------------------------------------------------

    def log(self, entry: RequestLogEntry) -> None:
        if self._closed:
            return
        try:
            self._request_spans(entry)
        except Exception:
            self.write_errors += 1

    def emit(self, event: RoutingEvent) -> None:
        allowed = self.config.event_filter
        if self._closed or (allowed is not None and event.event_type not in allowed):
            return
        try:
            attributes: _Attributes = {"modelmesh.event.type": event.event_type.value}
            for key, value in (
                ("modelmesh.model.id", event.model_id),
                ("modelmesh.provider.id", event.provider_id),
                ("modelmesh.pool.id", event.pool_id),
            ):
                if value is not None:
                    attributes[key] = value
            attributes.update(_metadata("modelmesh.event.metadata", event.metadata))
            self._point_span("modelmesh.event", event.event_type.value, event.timestamp, attributes)
        except Exception:
            self.write_errors += 1

    def trace(self, entry: TraceEntry) -> None:
        if self._closed or entry.severity < self.config.min_severity:
            return
        try:
            attributes: _Attributes = {
                "modelmesh.trace.severity": entry.severity.value,
                "modelmesh.trace.component": redact(entry.component),
                "modelmesh.trace.message": redact(entry.message),
            }
            if entry.error is not None:
                attributes["error.message"] = redact(entry.error)
            attributes.update(_metadata("modelmesh.trace.metadata", entry.metadata))
            status = None
            if entry.severity >= Severity.ERROR:
                status = Status(StatusCode.ERROR, redact(entry.message))
            self._point_span(
                "modelmesh.trace", entry.severity.value, entry.timestamp, attributes, status
            )
        except Exception:
            self.write_errors += 1

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        """Statistics are aggregates, not spans: this sink does not export them."""

    async def close(self) -> None:
        """Stop taking records; shut down the provider the sink built (its exporter
        thread ends after a last export), or flush a provider given to it."""
        if self._closed:
            return
        self._closed = True
        if self._owned is not None:
            await asyncio.to_thread(self._owned.shutdown)
            return
        provider = self.config.tracer_provider or trace.get_tracer_provider()
        if hasattr(provider, "force_flush"):
            await asyncio.to_thread(provider.force_flush)

    # --- spans ---------------------------------------------------------------------------

    def _point_span(
        self,
        span_name: str,
        event_name: str,
        when: datetime,
        attributes: _Attributes,
        status: Status | None = None,
    ) -> None:
        """A zero-length span at ``when`` holding one span event; both carry ``attributes``
        (the span's are searchable, the event places the record on a timeline)."""
        at = _ns(when)
        span = self._tracer.start_span(span_name, attributes=attributes, start_time=at)
        span.add_event(event_name, attributes, timestamp=at)
        if status is not None:
            span.set_status(status)
        span.end(end_time=at)

    def _request_spans(self, entry: RequestLogEntry) -> None:
        end = _ns(entry.timestamp)
        start = end - round(entry.latency_ms * 1_000_000)
        attempts = [
            (record, _ns(record.started_at), round(record.latency_ms * 1_000_000))
            for record in entry.attempt_records
        ]
        # The request span encloses its attempts even if wall clock and monotonic differ.
        start = min([start, *(begin for _, begin, _ in attempts)])
        end = max([end, *(begin + length for _, begin, length in attempts)])
        failed = entry.model_id is None or entry.error is not None
        request = self._tracer.start_span(
            "modelmesh.request", attributes=self._request_attributes(entry), start_time=start
        )
        if failed:
            last = entry.attempt_records[-1] if entry.attempt_records else None
            category = last.error_category if last is not None else None
            request.set_attribute("error.type", category or "_OTHER")
            request.set_status(Status(StatusCode.ERROR, self._request_error(entry)))
        context = trace.set_span_in_context(request)
        operation = _operation(entry.capability)
        try:
            for number, (record, begin, length) in enumerate(attempts, start=1):
                self._attempt_span(entry, record, number, operation, context, begin, begin + length)
        finally:
            request.end(end_time=end)

    def _request_attributes(self, entry: RequestLogEntry) -> _Attributes:
        attributes: _Attributes = {
            "modelmesh.request.id": entry.request_id,
            "modelmesh.capability": entry.capability,
            "modelmesh.delivery_mode": entry.delivery_mode.value,
            "modelmesh.attempts": entry.attempts,
            "gen_ai.usage.input_tokens": entry.tokens_in,
            "gen_ai.usage.output_tokens": entry.tokens_out,
            "modelmesh.cost_usd": entry.cost,
        }
        optional = {
            "gen_ai.operation.name": _operation(entry.capability),
            "gen_ai.request.model": entry.model_id,
            "modelmesh.provider.id": entry.provider_id,
            "modelmesh.pool.id": entry.pool_id,
            "http.response.status_code": entry.status_code,
        }
        if self._previews():
            optional["modelmesh.prompt_preview"] = _redacted(entry.prompt_preview)
            optional["modelmesh.response_preview"] = _redacted(entry.response_preview)
        attributes.update({key: value for key, value in optional.items() if value is not None})
        return attributes

    def _attempt_span(
        self,
        entry: RequestLogEntry,
        record: AttemptRecord,
        number: int,
        operation: str | None,
        context: Any,
        start: int,
        end: int,
    ) -> None:
        attributes: _Attributes = {
            "modelmesh.request.id": entry.request_id,
            "modelmesh.attempt": number,
            "gen_ai.request.model": record.model_id,
            "modelmesh.provider.id": record.provider_id,
        }
        if operation is not None:
            attributes["gen_ai.operation.name"] = operation
        if entry.pool_id is not None:
            attributes["modelmesh.pool.id"] = entry.pool_id
        if record.status_code is not None:
            attributes["http.response.status_code"] = record.status_code
        failed = record.failed
        if failed:
            attributes["error.type"] = record.error_category or "_OTHER"
        span = self._tracer.start_span(
            f"{operation or entry.capability.rsplit('.', 1)[-1]} {record.model_id}",
            context=context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=start,
        )
        if failed:
            span.set_status(Status(StatusCode.ERROR, self._attempt_error(record)))
        span.end(end_time=end)

    # --- what text a span may carry ------------------------------------------------------

    def _previews(self) -> bool:
        return self.config.include_previews and self.config.log_level is not LogLevel.METADATA

    def _full(self) -> bool:
        return self.config.log_level is LogLevel.FULL

    def _request_error(self, entry: RequestLogEntry) -> str:
        if self._full() and entry.error is not None:
            return redact(entry.error)
        status = "" if entry.status_code is None else f" (HTTP {entry.status_code})"
        return f"request failed after {entry.attempts} attempt(s){status}"

    def _attempt_error(self, record: AttemptRecord) -> str:
        if self._full() and record.error is not None:
            return redact(record.error)
        status = "" if record.status_code is None else f" (HTTP {record.status_code})"
        return f"{record.error_category or 'call'} error{status}"


def _redacted(text: str | None) -> str | None:
    return None if text is None else redact(text)
