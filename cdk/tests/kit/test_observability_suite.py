"""A minimal sink written against the core interface passes the observability suite."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh.interfaces.observability import (
    AggregateStats,
    ObservabilityConnector,
    RequestLogEntry,
    RoutingEvent,
    TraceEntry,
)
from modelmesh_cdk.testing.suites import ObservabilityTests


class JsonLinesSink(ObservabilityConnector):
    def __init__(self, options: Mapping[str, Any]) -> None:
        self._path = Path(options["path"])

    def _write(self, record: Mapping[str, Any]) -> None:
        with self._path.open("a") as file:
            file.write(json.dumps(record, default=repr) + "\n")

    def emit(self, event: RoutingEvent) -> None:
        self._write(event.to_record())

    def log(self, entry: RequestLogEntry) -> None:
        self._write(entry.to_record())

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        for scope_id, scope_stats in stats.items():
            self._write(scope_stats.to_record(scope_id))

    def trace(self, entry: TraceEntry) -> None:
        self._write(entry.to_record())


class TestJsonLinesSink(ObservabilityTests):
    connector_class = JsonLinesSink

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"path": workdir / "records.jsonl"}

    def read_records(self, workdir: Path) -> list[dict[str, Any]]:
        lines = (workdir / "records.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]
