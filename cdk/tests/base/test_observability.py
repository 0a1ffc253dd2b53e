"""The observability base class and sinks: one redacted JSON line per record, filters,
levels, colours, file rotation, and sinks that never break the caller."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.observability import (
    AggregateStats,
    EventType,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh_cdk.base.observability import (
    BaseObservability,
    ConsoleObservability,
    FileObservability,
    NullObservability,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
API_KEY = "sk-live-abcdef1234567890"


class Recording(BaseObservability):
    def __init__(self, config=None) -> None:
        super().__init__(config)
        self.lines: list[str] = []

    def _write(self, line: str) -> None:
        self.lines.append(line)

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]


class Broken(BaseObservability):
    def _write(self, line: str) -> None:
        raise OSError("disk full")


def event(event_type: EventType = EventType.MODEL_ROTATED, **metadata: object) -> RoutingEvent:
    return RoutingEvent(event_type, NOW, model_id="m", provider_id="p", metadata=metadata)


def log_entry() -> RequestLogEntry:
    return RequestLogEntry(
        timestamp=NOW,
        request_id="r1",
        model_id="m",
        provider_id="p",
        pool_id="chat",
        capability="chat",
        status_code=500,
        tokens_in=10,
        error="upstream failed",
    )


def trace(severity: Severity = Severity.INFO, message: str = "routed") -> TraceEntry:
    return TraceEntry(severity, NOW, "router", message)


def test_each_channel_writes_one_line_typed_by_its_channel():
    sink = Recording({"min_severity": "debug"})
    sink.emit(event())
    sink.log(log_entry())
    sink.flush({"model.m": AggregateStats(requests_total=1)})
    sink.trace(trace())
    assert [record["type"] for record in sink.records] == ["event", "log", "stats", "trace"]


texts = st.text(max_size=40)


@given(message=texts, component=texts, metadata=st.dictionaries(texts, texts, max_size=3))
def test_every_record_is_exactly_one_valid_json_line(message, component, metadata):
    sink = Recording({"min_severity": "debug"})
    sink.trace(TraceEntry(Severity.INFO, NOW, component, message, metadata))
    (line,) = sink.lines
    assert len(line.splitlines()) == 1
    assert json.loads(line)["type"] == "trace"


def test_the_event_filter_keeps_only_listed_types():
    sink = Recording({"event_filter": ["model_deactivated"]})
    sink.emit(event(EventType.MODEL_ROTATED))
    sink.emit(event(EventType.MODEL_DEACTIVATED))
    assert [r["event_type"] for r in sink.records] == ["model_deactivated"]


def test_traces_below_the_minimum_severity_are_dropped():
    sink = Recording({"min_severity": "warning"})
    sink.trace(trace(Severity.INFO))
    sink.trace(trace(Severity.ERROR))
    assert [r["severity"] for r in sink.records] == ["error"]


def test_info_is_the_default_minimum_severity():
    sink = Recording()
    sink.trace(trace(Severity.DEBUG))
    assert sink.lines == []


def test_the_metadata_log_level_leaves_out_usage_and_errors():
    sink = Recording()
    sink.log(log_entry())
    assert "tokens_in" not in sink.records[0]


def test_the_summary_log_level_adds_usage_but_not_errors():
    sink = Recording({"log_level": "summary"})
    sink.log(log_entry())
    assert (sink.records[0]["tokens_in"], "error" in sink.records[0]) == (10, False)


def test_the_full_log_level_adds_the_error():
    sink = Recording({"log_level": "full"})
    sink.log(log_entry())
    assert sink.records[0]["error"] == "upstream failed"


def test_statistics_outside_the_scopes_are_dropped():
    sink = Recording({"scopes": ["pool"]})
    sink.flush({"model.m": AggregateStats(), "pool.chat": AggregateStats()})
    assert [r["scope_id"] for r in sink.records] == ["pool.chat"]


def test_an_api_key_in_event_metadata_is_redacted():
    sink = Recording()
    sink.emit(event(api_key=API_KEY, headers={"Authorization": f"Bearer {API_KEY}"}))
    assert API_KEY not in sink.lines[0]


def test_a_record_written_by_a_subclass_is_redacted_too():
    sink = Recording()
    sink._write_record({"type": "event", "provider": {"api_key": API_KEY}})
    assert API_KEY not in sink.lines[0]


def test_redaction_cannot_be_switched_off():
    with pytest.raises(ConfigurationError, match="redact"):
        Recording({"redact_secrets": False})


def test_a_failing_write_does_not_reach_the_caller():
    sink = Broken()
    sink.emit(event())
    sink.trace(trace(Severity.ERROR))
    assert sink.write_errors == 2


def test_the_null_sink_accepts_everything():
    sink = NullObservability()
    sink.emit(event())
    sink.log(log_entry())
    sink.flush({"model.m": AggregateStats()})
    sink.trace(trace(Severity.CRITICAL))
    assert asyncio.run(sink.close()) is None


# Console


def test_the_console_prefixes_each_line():
    out = io.StringIO()
    ConsoleObservability({"use_color": False}, file=out).emit(event())
    prefix, _, body = out.getvalue().partition(" ")
    assert (prefix, json.loads(body)["type"]) == ("[ModelMesh]", "event")


def test_the_console_colours_an_error_trace_red():
    out = io.StringIO()
    ConsoleObservability({"use_color": True}, file=out).trace(trace(Severity.ERROR))
    assert "\033[31m" in out.getvalue()


def test_the_console_colours_a_deactivation_red():
    out = io.StringIO()
    ConsoleObservability({"use_color": True}, file=out).emit(event(EventType.MODEL_DEACTIVATED))
    assert "\033[31m" in out.getvalue()


def test_the_console_does_not_colour_a_stream_that_is_not_a_terminal():
    out = io.StringIO()
    ConsoleObservability(file=out).trace(trace(Severity.ERROR))
    assert "\033[" not in out.getvalue()


def test_the_console_writes_to_stderr_by_default(capsys):
    ConsoleObservability().trace(trace())
    assert "[ModelMesh]" in capsys.readouterr().err


def test_the_console_can_write_to_stdout(capsys):
    ConsoleObservability({"stream": "stdout"}).trace(trace())
    assert "[ModelMesh]" in capsys.readouterr().out


# File


def test_the_file_sink_writes_json_lines(tmp_path: Path):
    path = tmp_path / "mesh.log"
    sink = FileObservability({"file_path": str(path)})
    sink.emit(event())
    sink.trace(trace())
    asyncio.run(sink.close())
    assert [json.loads(line)["type"] for line in path.read_text().splitlines()] == [
        "event",
        "trace",
    ]


def test_the_file_sink_appends_to_an_existing_file(tmp_path: Path):
    path = tmp_path / "mesh.log"
    path.write_text('{"type": "old"}\n')
    sink = FileObservability({"file_path": str(path)})
    sink.trace(trace())
    asyncio.run(sink.close())
    assert len(path.read_text().splitlines()) == 2


def test_the_file_sink_starts_afresh_without_append(tmp_path: Path):
    path = tmp_path / "mesh.log"
    path.write_text('{"type": "old"}\n')
    sink = FileObservability({"file_path": str(path), "append": False})
    sink.trace(trace())
    asyncio.run(sink.close())
    assert len(path.read_text().splitlines()) == 1


def test_flush_each_line_makes_a_line_visible_at_once(tmp_path: Path):
    path = tmp_path / "mesh.log"
    sink = FileObservability({"file_path": str(path), "flush_each_line": True})
    sink.trace(trace())
    visible = path.read_text().count("\n")
    asyncio.run(sink.close())
    assert visible == 1


def test_a_sink_that_never_writes_creates_no_file(tmp_path: Path):
    FileObservability({"file_path": str(tmp_path / "mesh.log")})
    assert list(tmp_path.iterdir()) == []


def test_the_file_rotates_before_it_would_pass_the_size_limit(tmp_path: Path):
    path = tmp_path / "mesh.log"
    line_size = len(Recording()._render(trace().to_record())) + 1
    sink = FileObservability({"file_path": str(path), "max_file_size_bytes": 2 * line_size})
    for _ in range(5):
        sink.trace(trace())
    asyncio.run(sink.close())
    sizes = [p.stat().st_size for p in (path, Path(f"{path}.1"), Path(f"{path}.2"))]
    assert sizes == [line_size, 2 * line_size, 2 * line_size]


def test_rotation_keeps_at_most_backup_count_files(tmp_path: Path):
    path = tmp_path / "mesh.log"
    sink = FileObservability({"file_path": str(path), "max_file_size_bytes": 1, "backup_count": 2})
    for _ in range(6):
        sink.trace(trace())
    asyncio.run(sink.close())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mesh.log", "mesh.log.1", "mesh.log.2"]


def test_the_newest_backup_is_the_first(tmp_path: Path):
    path = tmp_path / "mesh.log"
    sink = FileObservability({"file_path": str(path), "max_file_size_bytes": 1})
    for message in ("first", "second", "third"):
        sink.trace(trace(message=message))
    asyncio.run(sink.close())
    assert json.loads(Path(f"{path}.1").read_text())["message"] == "second"


def test_an_unwritable_file_is_counted_not_raised(tmp_path: Path):
    (tmp_path / "dir").mkdir()
    sink = FileObservability({"file_path": str(tmp_path / "dir")})
    sink.trace(trace())
    assert sink.write_errors == 1
