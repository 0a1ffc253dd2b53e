"""The console sink: one readable line per record, coloured by kind, severity and
outcome, on the chosen stream, never a secret and never an exception."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.config import load_config
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.observability import (
    AggregateStats,
    EventType,
    RequestLogEntry,
    RoutingEvent,
    Severity,
    TraceEntry,
)
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.suites.observability import EVENT, ODD_METADATA, SINK_SECRET, WHEN
from modelmesh_plugin_console.connector import ConsoleObservability

RED, GREEN, YELLOW, MAGENTA = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[35m"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def lines(options: dict | None = None, *, out: io.StringIO | None = None, feed) -> list[str]:
    out = out if out is not None else io.StringIO()
    sink = ConsoleObservability(
        {"log_level": "full", "min_severity": "debug", **(options or {})}, file=out
    )
    feed(sink)
    asyncio.run(sink.close())
    assert sink.write_errors == 0
    return out.getvalue().splitlines()


def request(status: int | None, error: str | None = None) -> RequestLogEntry:
    return RequestLogEntry(
        WHEN,
        "req-7",
        "openai.gpt-4o",
        "openai",
        "chat",
        "chat",
        status_code=status,
        latency_ms=412.5,
        tokens_in=54,
        error=error,
    )


def test_each_kind_reads_as_one_line():
    written = lines(
        {"use_color": False},
        feed=lambda sink: (
            sink.emit(EVENT),
            sink.log(request(200)),
            sink.flush({"pool.chat": AggregateStats(requests_total=12, requests_failed=1)}),
            sink.trace(TraceEntry(Severity.WARNING, WHEN, "router", "retrying", {"attempt": 2})),
        ),
    )
    assert written == [
        "[ModelMesh] 2026-01-01T00:00:00+00:00 EVENT model_deactivated model=vendor.model "
        "pool=chat",
        "[ModelMesh] 2026-01-01T00:00:00+00:00 REQUEST req-7 200 412.5ms model=openai.gpt-4o "
        "provider=openai pool=chat capability=chat delivery_mode=sync tokens_in=54 "
        "tokens_out=0 cost=0.0 attempts=1",
        "[ModelMesh] STATS pool.chat requests_total=12 requests_failed=1",
        "[ModelMesh] 2026-01-01T00:00:00+00:00 WARNING router: retrying attempt=2",
    ]


@pytest.mark.parametrize(
    ("feed", "color"),
    [
        (lambda s: s.emit(RoutingEvent(EventType.MODEL_DEACTIVATED, WHEN)), RED),
        (lambda s: s.emit(RoutingEvent(EventType.PROVIDER_RECOVERED, WHEN)), GREEN),
        (lambda s: s.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN)), YELLOW),
        (lambda s: s.trace(TraceEntry(Severity.ERROR, WHEN, "pool.chat", "down")), RED),
        (lambda s: s.trace(TraceEntry(Severity.WARNING, WHEN, "router", "retry")), YELLOW),
        (lambda s: s.log(request(200)), GREEN),
        (lambda s: s.log(request(503)), RED),
        (lambda s: s.log(request(None)), RED),
        (lambda s: s.log(request(200, error="stream cut")), RED),
        (lambda s: s.flush({"model.m": AggregateStats(requests_total=1)}), MAGENTA),
    ],
)
def test_the_colour_follows_kind_severity_and_outcome(feed, color: str):
    (line,) = lines({"use_color": True}, feed=feed)
    assert f"{color}" in line


def test_a_terminal_is_coloured_and_a_pipe_is_not():
    on_terminal = lines(out=Terminal(), feed=lambda s: s.emit(EVENT))
    on_pipe = lines(feed=lambda s: s.emit(EVENT))
    assert ("\x1b[" in on_terminal[0], "\x1b[" in on_pipe[0]) == (True, False)


def test_no_color_keeps_a_terminal_plain(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in lines(out=Terminal(), feed=lambda s: s.emit(EVENT))[0]


def test_use_color_false_keeps_a_terminal_plain():
    assert (
        "\x1b[" not in lines({"use_color": False}, out=Terminal(), feed=lambda s: s.emit(EVENT))[0]
    )


def test_the_prefix_can_be_changed_or_left_out():
    (custom,) = lines({"prefix": "[gw]"}, feed=lambda s: s.emit(EVENT))
    (bare,) = lines({"prefix": ""}, feed=lambda s: s.emit(EVENT))
    assert (custom.split()[0], bare.split()[0]) == ("[gw]", "2026-01-01T00:00:00+00:00")


@pytest.mark.parametrize(("stream", "other"), [("stdout", "err"), ("stderr", "out")])
def test_the_chosen_stream_gets_the_lines(stream: str, other: str, capsys):
    sink = ConsoleObservability({"stream": stream})
    sink.emit(EVENT)
    asyncio.run(sink.close())
    captured = capsys.readouterr()
    mine = captured.out if stream == "stdout" else captured.err
    assert ("model_deactivated" in mine, getattr(captured, other)) == (True, "")


texts = st.text(max_size=30)


@given(message=texts, component=texts, metadata=st.dictionaries(texts, texts, max_size=3))
def test_any_record_stays_on_one_line(message: str, component: str, metadata: dict):
    written = lines(
        {"use_color": True},
        feed=lambda s: s.trace(TraceEntry(Severity.INFO, WHEN, component, message, metadata)),
    )
    assert len(written) == 1
    assert len(written[0].splitlines()) == 1


def test_odd_metadata_is_written_escaped_on_one_line():
    (line,) = lines(
        feed=lambda s: s.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN, metadata=ODD_METADATA))
    )
    assert 'text="line\\nbreak\\u0000 and ünïcödé ✓"' in line
    assert "object=<opaque>" in line


def test_secrets_never_reach_the_console():
    secret_metadata = {
        "api_key": SINK_SECRET,
        "headers": {"Authorization": f"Bearer {SINK_SECRET}"},
    }
    written = lines(
        feed=lambda s: (
            s.emit(RoutingEvent(EventType.MODEL_ROTATED, WHEN, metadata=secret_metadata)),
            s.trace(
                TraceEntry(
                    Severity.ERROR, WHEN, "provider", f"Bearer {SINK_SECRET}", secret_metadata
                )
            ),
            s.log(request(401, error=f"rejected Bearer {SINK_SECRET}")),
        )
    )
    assert len(written) == 3
    assert SINK_SECRET not in "\n".join(written)


def test_lines_of_concurrent_threads_never_interleave():
    out = io.StringIO()
    sink = ConsoleObservability({"use_color": True}, file=out)

    def write() -> None:
        for _ in range(200):
            sink.emit(EVENT)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    written = out.getvalue().splitlines()
    assert len(written) == 800
    assert len(set(written)) == 1


def test_a_broken_stream_is_counted_not_raised():
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("the terminal went away")

    sink = ConsoleObservability(file=Broken())
    sink.emit(EVENT)
    sink.trace(TraceEntry(Severity.CRITICAL, WHEN, "mesh", "down"))
    assert sink.write_errors == 2


@pytest.mark.parametrize(
    ("options", "named"), [({"stream": "stdin"}, "stream"), ({"colour": True}, "colour")]
)
def test_a_bad_option_is_refused_by_name(options: dict, named: str):
    with pytest.raises(ConfigurationError, match=named):
        ConsoleObservability(options)


def test_a_variant_a_section_without_a_connector_prints_to_the_console(tmp_path: Path, capsys):
    config = tmp_path / "modelmesh.yaml"
    config.write_text(
        "observability:\n  tracing: {min_severity: debug, stream: stdout, use_color: false}\n",
        encoding="utf-8",
    )
    (sink,) = load_config(config, resolve_secrets=False).observability.sinks
    assert sink.connector == "modelmesh.console.v1"

    async def run() -> None:
        mesh = ModelMesh()
        await mesh.initialize(config)
        mesh.get_router().observer.trace(Severity.DEBUG, "mesh", "hello from the mesh")
        await mesh.shutdown()

    asyncio.run(run())
    assert "DEBUG mesh: hello from the mesh" in capsys.readouterr().out
