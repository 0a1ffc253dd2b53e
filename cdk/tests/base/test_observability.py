"""The observability base class and sinks: one redacted JSON line per record, filters,
levels, colours, file rotation, and sinks that never break the caller."""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
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
    LineFile,
    LineFileSettings,
    NullObservability,
    Tone,
    plain_record,
    tone_of,
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


def test_the_file_sink_takes_its_short_option_names(tmp_path: Path):
    path = tmp_path / "mesh.log"
    sink = FileObservability({"path": str(path), "max_bytes": 10, "backups": 1})
    asyncio.run(sink.close())
    assert (sink.config.path, sink.config.max_bytes, sink.config.backups) == (str(path), 10, 1)


def test_an_option_given_under_both_its_names_is_refused(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="'file_path' and 'path'"):
        FileObservability({"path": str(tmp_path / "a"), "file_path": str(tmp_path / "b")})


def test_a_full_existing_file_is_rotated_before_the_first_line(tmp_path: Path):
    path = tmp_path / "mesh.log"
    path.write_text("x" * 100 + "\n")
    sink = FileObservability({"path": str(path), "max_bytes": 50})
    sink.trace(trace())
    asyncio.run(sink.close())
    assert (Path(f"{path}.1").read_text(), json.loads(path.read_text())["type"]) == (
        "x" * 100 + "\n",
        "trace",
    )


def test_a_line_larger_than_the_limit_is_written_whole(tmp_path: Path):
    path = tmp_path / "mesh.log"
    sink = FileObservability({"path": str(path), "max_bytes": 5})
    sink.trace(trace(message="m" * 200))
    asyncio.run(sink.close())
    assert json.loads(path.read_text())["message"] == "m" * 200


def test_two_sinks_on_one_file_share_its_rotation(tmp_path: Path):
    path = tmp_path / "mesh.log"
    options = {"path": str(path), "max_bytes": 400, "backups": 50}
    first, second = FileObservability(options), FileObservability(options)
    for index in range(20):
        (first if index % 2 else second).trace(trace(message=str(index)))
    asyncio.run(first.close())
    second.trace(trace(message="after the first closed"))
    asyncio.run(second.close())
    files = list(tmp_path.iterdir())
    messages = {json.loads(line)["message"] for p in files for line in p.read_text().splitlines()}
    assert len(files) > 2
    assert all(p.stat().st_size <= 400 for p in files)
    assert messages == {*map(str, range(20)), "after the first closed"}


def test_two_sinks_on_one_file_with_other_options_are_refused(tmp_path: Path):
    path = str(tmp_path / "mesh.log")
    first = FileObservability({"path": path, "max_bytes": 100})
    try:
        with pytest.raises(ConfigurationError, match="same options"):
            FileObservability({"path": path, "max_bytes": 200})
    finally:
        asyncio.run(first.close())


def test_concurrent_writers_lose_and_split_no_line_across_rotations(tmp_path: Path):
    path = tmp_path / "mesh.log"
    options = {"path": str(path), "max_bytes": 2000, "backups": 1000}
    sinks = [FileObservability(options) for _ in range(4)]
    per_thread = 200

    def write(sink: FileObservability, worker: int) -> None:
        for index in range(per_thread):
            sink.trace(trace(message=f"{worker}-{index}"))

    threads = [threading.Thread(target=write, args=(s, i)) for i, s in enumerate(sinks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for sink in sinks:
        asyncio.run(sink.close())
    files = list(tmp_path.iterdir())
    messages = [json.loads(line)["message"] for p in files for line in p.read_text().splitlines()]
    assert len(files) > 10
    assert all(p.stat().st_size <= 2000 for p in files)
    assert sorted(messages) == sorted(f"{w}-{i}" for w in range(4) for i in range(per_thread))
    assert sum(sink.write_errors for sink in sinks) == 0


@given(sizes=st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=30))
def test_rotation_keeps_every_line_under_the_limit_unless_it_is_alone(tmp_path_factory, sizes):
    directory = tmp_path_factory.mktemp("rotation")
    path = directory / "mesh.log"
    limit = 150
    file = LineFile.acquire(LineFileSettings(str(path), max_bytes=limit, backups=len(sizes)))
    for index, size in enumerate(sizes):
        file.write_line(f"{index}:" + "x" * size)
    file.release()
    written = []
    oldest_first = sorted(directory.iterdir(), key=lambda p: -int(p.name[len("mesh.log.") :] or 0))
    for backup in oldest_first:
        lines = backup.read_text().splitlines()
        assert backup.stat().st_size <= limit or len(lines) == 1
        written += lines
    assert written == [f"{index}:" + "x" * size for index, size in enumerate(sizes)]


def test_a_failed_rotation_keeps_the_line(tmp_path: Path, monkeypatch):
    path = tmp_path / "mesh.log"
    file = LineFile.acquire(LineFileSettings(str(path), max_bytes=10))
    file.write_line("first line")

    def refuse(*args: object) -> None:
        raise PermissionError("renaming refused")

    monkeypatch.setattr(os, "replace", refuse)
    file.write_line("second line")
    file.release()
    assert (path.read_text().splitlines(), file.rotation_errors) == (
        ["first line", "second line"],
        1,
    )


def test_a_record_after_close_is_counted_not_raised(tmp_path: Path):
    sink = FileObservability({"path": str(tmp_path / "mesh.log")})
    asyncio.run(sink.close())
    sink.trace(trace())
    assert sink.write_errors == 1


def test_the_plain_record_is_redacted_json_data():
    record = plain_record(event(api_key=API_KEY, when=NOW, items={1, 2}).to_record())
    assert API_KEY not in json.dumps(record)
    assert record["metadata"]["when"] == str(NOW)
    assert record["metadata"]["items"] == "{1, 2}"


def test_an_object_whose_text_holds_a_token_is_redacted():
    class Leaky:
        def __str__(self) -> str:
            return f"Bearer {API_KEY}"

    assert API_KEY not in json.dumps(plain_record(event(thing=Leaky()).to_record()))


@pytest.mark.parametrize(
    ("record", "tone"),
    [
        (event(EventType.MODEL_ACTIVATED).to_record(), Tone.SUCCESS),
        (event(EventType.PROVIDER_DEACTIVATED).to_record(), Tone.FAILURE),
        (event(EventType.MODEL_ROTATED).to_record(), Tone.WARNING),
        (event(EventType.POOL_MEMBERSHIP_CHANGED).to_record(), Tone.NOTICE),
        (trace(Severity.DEBUG).to_record(), Tone.DEBUG),
        (trace(Severity.CRITICAL).to_record(), Tone.CRITICAL),
        (AggregateStats().to_record("pool.chat"), Tone.STATS),
        ({"type": "log", "status_code": 200}, Tone.SUCCESS),
        ({"type": "log", "status_code": 200, "error": "late failure"}, Tone.FAILURE),
        ({"type": "log", "status_code": 503}, Tone.FAILURE),
        ({"type": "log", "status_code": None}, Tone.FAILURE),
    ],
)
def test_the_tone_follows_kind_severity_and_outcome(record, tone):
    assert tone_of(record) is tone


def test_no_color_in_the_environment_keeps_a_terminal_plain(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Terminal()
    monkeypatch.setenv("NO_COLOR", "1")
    ConsoleObservability(file=out).trace(trace(Severity.ERROR))
    monkeypatch.delenv("NO_COLOR")
    ConsoleObservability(file=out).trace(trace(Severity.ERROR))
    first, second = out.getvalue().splitlines()
    assert ("\033[" in first, "\033[31m" in second) == (False, True)
