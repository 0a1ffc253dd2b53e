"""The JSON-log sink: a file by default or a standard stream, one object per line,
flushed as written, with clear errors for options that do not fit together."""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
from pathlib import Path

import pytest

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.observability import Severity
from modelmesh_cdk.testing.suites.observability import EVENT, LOG, STATS, TRACE
from modelmesh_plugin_json_log.connector import JsonLogObservability


def test_the_default_file_is_modelmesh_events_jsonl(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sink = JsonLogObservability()
    sink.emit(EVENT)
    asyncio.run(sink.close())
    written = (tmp_path / "modelmesh-events.jsonl").read_text(encoding="utf-8")
    (record,) = [json.loads(line) for line in written.splitlines()]
    assert record == EVENT.to_record()


def test_each_line_is_visible_before_close(tmp_path: Path):
    path = tmp_path / "events.jsonl"
    sink = JsonLogObservability({"path": str(path)})
    sink.trace(TRACE)
    seen = path.read_text(encoding="utf-8").splitlines()
    asyncio.run(sink.close())
    assert [json.loads(line)["type"] for line in seen] == ["trace"]


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_stream_gets_one_object_per_line(stream: str, capsys):
    sink = JsonLogObservability({"stream": stream, "log_level": "summary"})
    sink.emit(EVENT)
    sink.log(LOG)
    sink.flush(STATS)
    sink.trace(TRACE)
    asyncio.run(sink.close())
    written = getattr(capsys.readouterr(), "out" if stream == "stdout" else "err")
    assert [json.loads(line) for line in written.splitlines()] == [
        EVENT.to_record(),
        LOG.to_record(sink.config.log_level),
        STATS["model.vendor.model"].to_record("model.vendor.model"),
        TRACE.to_record(),
    ]


def test_lines_of_concurrent_threads_never_interleave():
    out = io.StringIO()
    sink = JsonLogObservability({"stream": "stdout"}, file=out)

    def write() -> None:
        for _ in range(200):
            sink.trace(TRACE)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asyncio.run(sink.close())
    assert [json.loads(line)["type"] for line in out.getvalue().splitlines()] == ["trace"] * 800


def test_the_file_path_spelling_is_accepted(tmp_path: Path):
    sink = JsonLogObservability({"file_path": str(tmp_path / "events.jsonl")})
    asyncio.run(sink.close())
    assert sink.config.path == str(tmp_path / "events.jsonl")


def test_the_options_the_mesh_passes_every_sink_are_taken(tmp_path: Path):
    sink = JsonLogObservability({"stream": "stderr", "min_severity": "debug", "log_level": "full"})
    asyncio.run(sink.close())
    assert sink.config.min_severity is Severity.DEBUG


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"path": "events.jsonl", "stream": "stdout"}, "either path"),
        ({"stream": "stdin"}, "stream: .*expected stderr or stdout"),
        ({"max_bytes": 10}, "max_bytes"),
    ],
)
def test_options_that_do_not_fit_are_refused_clearly(options: dict, message: str):
    with pytest.raises(ConfigurationError, match=message):
        JsonLogObservability(options)


def test_a_stream_sink_creates_no_file(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sink = JsonLogObservability({"stream": "stdout"})
    sink.trace(TRACE)
    asyncio.run(sink.close())
    assert os.listdir(tmp_path) == []
    assert capsys.readouterr().out


def test_a_record_after_close_is_counted_not_written():
    out = io.StringIO()
    sink = JsonLogObservability({"stream": "stdout"}, file=out)
    asyncio.run(sink.close())
    sink.trace(TRACE)
    assert (out.getvalue(), sink.write_errors) == ("", 1)
