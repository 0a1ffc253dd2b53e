"""Loads the ModelMesh connector kit (its fixtures and the standard-suite guard) and
captures what the sink exports: a tracer provider with an in-memory exporter."""

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytest_plugins = ["modelmesh_cdk.testing.plugin"]


class Captured:
    """A provider to give the sink, and the spans it finished (exported synchronously)."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(shutdown_on_exit=False)
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans if span.name == name]


@pytest.fixture
def captured() -> Iterator[Captured]:
    capture = Captured()
    yield capture
    capture.provider.shutdown()
