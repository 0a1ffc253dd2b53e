"""Where spans go when the sink builds its own provider (console, OTLP), and the
options that cannot go together."""

import asyncio
import json
import sys
import threading
import types
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from modelmesh.config import load_config
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.interfaces.observability import RequestLogEntry
from modelmesh.registry import ConnectorRegistry
from modelmesh_plugin_opentelemetry.connector import OpentelemetryObservability

ENTRY = RequestLogEntry(
    datetime(2026, 3, 1, tzinfo=UTC), "req-1", "a.m", "a", "chat", "chat-completion"
)
HTTP_MODULE = "opentelemetry.exporter.otlp.proto.http.trace_exporter"
GRPC_MODULE = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"


def exporter_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name.startswith("Otel")}


def test_console_from_yaml_prints_spans_and_stops_its_thread(tmp_path: Path, capsys) -> None:
    path = tmp_path / "modelmesh.yaml"
    path.write_text(
        "observability:\n"
        "  connector: modelmesh.opentelemetry.v1\n"
        "  exporter: console\n"
        "  service_name: checkout-api\n",
        encoding="utf-8",
    )
    (sink_config,) = load_config(path, resolve_secrets=False).observability.sinks
    before = exporter_threads()
    sink = ConnectorRegistry().create(
        sink_config.connector, sink_config.options, connector_type=ConnectorType.OBSERVABILITY
    )
    assert exporter_threads() - before, "the batch exporter runs a thread"

    sink.log(ENTRY)
    asyncio.run(sink.close())

    assert exporter_threads() == before
    span = json.loads(capsys.readouterr().out)
    assert span["name"] == "modelmesh.request"
    assert span["attributes"]["gen_ai.request.model"] == "a.m"
    assert span["resource"]["attributes"]["service.name"] == "checkout-api"


class FakeOtlpExporter(SpanExporter):
    """Stands in for the OTLP exporter package, which is not a dependency."""

    built: list["FakeOtlpExporter"] = []

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.spans: list[ReadableSpan] = []
        self.built.append(self)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


@pytest.mark.parametrize(
    ("options", "module"),
    [
        ({}, HTTP_MODULE),
        ({"otlp_endpoint": "http://collector:4318/v1/traces"}, HTTP_MODULE),
        ({"otlp_protocol": "grpc", "otlp_endpoint": "collector:4317"}, GRPC_MODULE),
    ],
)
def test_otlp_uses_the_installed_exporter_of_the_protocol(monkeypatch, options, module) -> None:
    fake = types.ModuleType(module)
    fake.OTLPSpanExporter = FakeOtlpExporter  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module, fake)
    FakeOtlpExporter.built.clear()

    sink = OpentelemetryObservability({"exporter": "otlp", **options})
    sink.log(ENTRY)
    asyncio.run(sink.close())

    [exporter] = FakeOtlpExporter.built
    expected = {"endpoint": options["otlp_endpoint"]} if "otlp_endpoint" in options else {}
    assert exporter.options == expected
    [span] = exporter.spans
    assert span.name == "modelmesh.request"
    assert span.resource.attributes["service.name"] == "modelmesh"


def test_otlp_without_the_exporter_package_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, HTTP_MODULE, None)

    with pytest.raises(ConfigurationError, match="pip install opentelemetry-exporter-otlp"):
        OpentelemetryObservability({"exporter": "otlp"})


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"exporter": "zipkin"}, "exporter"),
        ({"otlp_protocol": "thrift"}, "otlp_protocol"),
        ({"tracer_provider": object(), "exporter": "console"}, "tracer_provider"),
        ({"service_name": "api"}, "service_name"),
        ({"service_name": "api", "tracer_provider": object()}, "service_name"),
        ({"include_preview": True}, "include_previews"),
        ({"redact_secrets": False}, "redact"),
    ],
)
def test_bad_options_fail_naming_the_option(options, named) -> None:
    with pytest.raises(ConfigurationError, match=named):
        OpentelemetryObservability(options)


def test_a_given_provider_is_flushed_not_shut_down_at_close(captured) -> None:
    flushed: list[bool] = []
    captured.provider.force_flush = lambda *args: flushed.append(True) or True

    sink = OpentelemetryObservability({"tracer_provider": captured.provider})
    asyncio.run(sink.close())
    asyncio.run(sink.close())

    assert flushed == [True]
    tracer = captured.provider.get_tracer("after")
    tracer.start_span("still open").end()
    assert [span.name for span in captured.spans] == ["still open"]
