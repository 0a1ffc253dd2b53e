"""The standard tests every observability sink passes.

The mesh calls sinks on the request path, so a sink must never raise, whatever the
record holds; and what it writes leaves the process, so no secret may reach it. When
the author says how to read the output back, the suite also checks that every channel
writes its record.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from modelmesh.interfaces.observability import (
    AggregateStats,
    EventType,
    ObservabilityConnector,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh_cdk.testing.suites.guard import StandardSuite

SINK_SECRET = "sk-live-9a8b7c6d5e4f3a2b"
WHEN = datetime(2026, 1, 1, tzinfo=UTC)
SinkFactory = Callable[[], ObservabilityConnector]


class _Opaque:
    """A metadata value no serialiser knows."""

    def __repr__(self) -> str:
        return "<opaque>"


EVENT = RoutingEvent(EventType.MODEL_DEACTIVATED, WHEN, model_id="vendor.model", pool_id="chat")
LOG = RequestLogEntry(WHEN, "req-1", "vendor.model", "openai", "chat", "generation.chat")
STATS = {"model.vendor.model": AggregateStats(requests_total=3, requests_success=2)}
TRACE = TraceEntry(Severity.ERROR, WHEN, "router", "model rotated")
ODD_METADATA: dict[str, Any] = {
    "object": _Opaque(),
    "bytes": b"\x00\xff",
    "set": {1, 2},
    "nested": {"deeper": [{"when": WHEN, "nan": float("nan")}]},
    "text": "line\nbreak\x00 and ünïcödé ✓",
    7: "a non-string key",
}


class ObservabilityTests(StandardSuite, standard=True):
    """Subclass with ``connector_class``, ``connector_options`` and, if the output can be
    read back, ``read_records``."""

    # What the author declares

    @property
    def connector_class(self) -> type[ObservabilityConnector]:
        raise NotImplementedError("set connector_class to the observability sink under test")

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        """Options for a sink writing into ``workdir`` (a new empty directory)."""
        return {}

    def read_records(self, workdir: Path) -> list[dict[str, Any]] | None:
        """The records the closed sink wrote, parsed; None when they cannot be read
        back, and then the suite only checks that nothing raises."""
        return None

    @pytest.fixture
    def sink_factory(self, tmp_path: Path) -> SinkFactory:
        return lambda: self.connector_class(self.connector_options(tmp_path))  # type: ignore[call-arg]

    # Helpers

    def feed(self, sink_factory: SinkFactory, use: Callable[[Any], None]) -> None:
        """Build a sink, let ``use`` call it, close it."""
        sink = sink_factory()
        try:
            use(sink)
        finally:
            asyncio.run(sink.close())

    def written(
        self, sink_factory: SinkFactory, tmp_path: Path, use: Callable[[Any], None]
    ) -> list[dict[str, Any]]:
        """Records written by a sink that ``use`` fed and that was then closed."""
        self.feed(sink_factory, use)
        records = self.read_records(tmp_path)
        if records is None:
            pytest.skip("the suite has no read_records for this sink")
        return records

    # Standard tests: never raise

    def test_emit_does_not_raise(self, sink_factory: SinkFactory) -> None:
        self.feed(sink_factory, lambda sink: sink.emit(EVENT))

    def test_log_does_not_raise(self, sink_factory: SinkFactory) -> None:
        self.feed(sink_factory, lambda sink: sink.log(LOG))

    def test_flush_does_not_raise(self, sink_factory: SinkFactory) -> None:
        self.feed(sink_factory, lambda sink: sink.flush(STATS))

    def test_trace_does_not_raise(self, sink_factory: SinkFactory) -> None:
        self.feed(sink_factory, lambda sink: sink.trace(TRACE))

    def test_odd_records_do_not_raise(self, sink_factory: SinkFactory) -> None:
        def feed(sink: ObservabilityConnector) -> None:
            sink.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN, metadata=ODD_METADATA))
            sink.trace(TraceEntry(Severity.CRITICAL, WHEN, "", "\x00\n" * 3, ODD_METADATA, "\n"))
            sink.log(RequestLogEntry(WHEN, "", None, None, None, "", prompt_preview="\x00"))
            sink.flush({"": AggregateStats()})

        self.feed(sink_factory, feed)

    def test_close_is_idempotent(self, sink_factory: SinkFactory) -> None:
        async def use_and_close_twice() -> None:
            sink = sink_factory()
            sink.trace(TRACE)
            await sink.close()
            await sink.close()

        asyncio.run(use_and_close_twice())

    # Standard tests: output, when it can be read back

    def test_each_channel_writes_its_record(
        self, sink_factory: SinkFactory, tmp_path: Path
    ) -> None:
        def feed(sink: ObservabilityConnector) -> None:
            sink.emit(EVENT)
            sink.log(LOG)
            sink.flush(STATS)
            sink.trace(TRACE)

        records = self.written(sink_factory, tmp_path, feed)
        assert sorted(record.get("type") for record in records) == sorted(
            ["event", "log", "stats", "trace"]
        )

    def test_odd_records_stay_one_record_each(
        self, sink_factory: SinkFactory, tmp_path: Path
    ) -> None:
        def feed(sink: ObservabilityConnector) -> None:
            sink.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN, metadata=ODD_METADATA))
            sink.trace(TraceEntry(Severity.CRITICAL, WHEN, "a\nb", "line\nbreak", ODD_METADATA))

        records = self.written(sink_factory, tmp_path, feed)
        assert [record.get("type") for record in records] == ["event", "trace"]

    def test_secrets_never_reach_the_output(
        self, sink_factory: SinkFactory, tmp_path: Path
    ) -> None:
        secret_metadata = {
            "api_key": SINK_SECRET,
            "headers": {"Authorization": f"Bearer {SINK_SECRET}"},
        }

        def feed(sink: ObservabilityConnector) -> None:
            sink.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN, metadata=secret_metadata))
            sink.trace(
                TraceEntry(
                    Severity.ERROR,
                    WHEN,
                    "provider",
                    f"sent Bearer {SINK_SECRET}",
                    secret_metadata,
                    f"401 for Bearer {SINK_SECRET}",
                )
            )
            sink.log(
                RequestLogEntry(
                    WHEN,
                    "req-2",
                    None,
                    None,
                    None,
                    "generation.chat",
                    error=f"rejected Bearer {SINK_SECRET}",
                )
            )

        records = self.written(sink_factory, tmp_path, feed)
        assert records
        assert SINK_SECRET not in json.dumps(records, default=str)


__all__ = ["SINK_SECRET", "ObservabilityTests"]
