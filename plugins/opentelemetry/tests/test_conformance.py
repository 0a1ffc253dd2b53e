"""OpentelemetryObservability passes ModelMesh's standard observability tests; the
exported spans are read back as records, attributes, span events and status included."""

from pathlib import Path
from typing import Any

import pytest

from modelmesh_cdk.testing.suites import ObservabilityTests
from modelmesh_plugin_opentelemetry.connector import OpentelemetryObservability

_RECORD_TYPES = {"modelmesh.event": "event", "modelmesh.trace": "trace"}


class TestOpentelemetryObservability(ObservabilityTests):
    connector_class = OpentelemetryObservability

    @pytest.fixture(autouse=True)
    def _capture(self, captured: Any) -> None:
        self.captured = captured

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"tracer_provider": self.captured.provider, "log_level": "full"}

    def read_records(self, workdir: Path) -> list[dict[str, Any]]:
        return [
            {
                "type": _RECORD_TYPES.get(span.name, "log"),
                "name": span.name,
                "attributes": dict(span.attributes or {}),
                "events": [(event.name, dict(event.attributes or {})) for event in span.events],
                "status": span.status.description,
            }
            for span in sorted(self.captured.spans, key=lambda span: span.start_time or 0)
        ]

    @pytest.mark.xfail(
        reason="statistics are aggregates, not spans: this sink exports no stats record "
        "(the Prometheus sink exports metrics)",
        strict=True,
    )
    def test_each_channel_writes_its_record(self, sink_factory, tmp_path) -> None:
        super().test_each_channel_writes_its_record(sink_factory, tmp_path)
