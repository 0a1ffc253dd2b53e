"""The callback sink: records reach the callables given from Python or named in YAML,
per channel or all together; a failing callable is counted, never raised."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from modelmesh.config import load_config
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.interfaces.observability import RoutingEvent, Severity
from modelmesh.mesh import ModelMesh
from modelmesh.registry import ConnectorRegistry
from modelmesh_cdk.testing.suites.observability import (
    EVENT,
    LOG,
    SINK_SECRET,
    STATS,
    TRACE,
    WHEN,
)
from modelmesh_plugin_callback.connector import CallbackObservability


def feed_all(sink: CallbackObservability) -> None:
    sink.emit(EVENT)
    sink.log(LOG)
    sink.flush(STATS)
    sink.trace(TRACE)


def test_one_callback_receives_every_record_as_the_record_format():
    received: list[dict[str, Any]] = []
    sink = CallbackObservability({"callback": received.append, "log_level": "summary"})
    feed_all(sink)
    asyncio.run(sink.close())
    assert received == [
        EVENT.to_record(),
        LOG.to_record(sink.config.log_level),
        STATS["model.vendor.model"].to_record("model.vendor.model"),
        TRACE.to_record(),
    ]


def test_a_channel_callable_takes_its_channel_and_callback_the_rest():
    everything: list[str] = []
    traces: list[str] = []
    sink = CallbackObservability(
        {
            "callback": lambda record: everything.append(record["type"]),
            "on_trace": lambda record: traces.append(record["message"]),
        }
    )
    feed_all(sink)
    assert (everything, traces) == (["event", "log", "stats"], ["model rotated"])


def test_channels_without_a_callable_are_not_delivered():
    events: list[str] = []
    sink = CallbackObservability({"on_event": lambda record: events.append(record["event_type"])})
    feed_all(sink)
    assert (events, sink.write_errors) == (["model_deactivated"], 0)


def test_a_failing_callable_is_counted_and_the_others_still_run():
    logs: list[dict[str, Any]] = []

    def broken(record: dict[str, Any]) -> None:
        raise RuntimeError("subscriber bug")

    sink = CallbackObservability({"callback": broken, "on_log": logs.append})
    feed_all(sink)
    feed_all(sink)
    assert sink.callback_errors == {"event": 2, "log": 0, "stats": 2, "trace": 2}
    assert sink.write_errors == 6
    assert str(sink.last_error) == "subscriber bug"
    assert len(logs) == 2


def test_secrets_never_reach_the_callable():
    received: list[dict[str, Any]] = []
    sink = CallbackObservability({"callback": received.append, "log_level": "full"})
    sink.emit(RoutingEvent("model_rotated", WHEN, metadata={"api_key": SINK_SECRET}))
    assert SINK_SECRET not in repr(received)
    assert received[0]["metadata"] == {"api_key": "***"}


@pytest.fixture
def target_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable module with a ``receive`` function keeping what it is given."""
    name = f"callback_target_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(
        "received = []\n\n\ndef receive(record):\n    received.append(record)\n\n\n"
        "class Holder:\n    @staticmethod\n    def receive(record):\n"
        "        received.append(record)\n\n\n"
        "async def later(record):\n    pass\n\n\nnot_callable = 3\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_a_function_named_in_yaml_is_imported_and_called(tmp_path: Path, target_module: str):
    config = tmp_path / "modelmesh.yaml"
    config.write_text(
        "observability:\n"
        "  connector: modelmesh.callback.v1\n"
        f"  on_trace: {target_module}:receive\n"
        f"  on_event: {target_module}:Holder.receive\n"
        "  min_severity: debug\n",
        encoding="utf-8",
    )

    async def run() -> None:
        mesh = ModelMesh()
        await mesh.initialize(config)
        mesh.get_router().observer.trace(Severity.DEBUG, "mesh", "to the callable")
        await mesh.shutdown()

    asyncio.run(run())
    module = __import__(target_module)
    assert [record["message"] for record in module.received] == ["to the callable"]


def test_a_callable_from_a_python_configuration_is_used():
    received: list[dict[str, Any]] = []
    config = load_config(
        {"observability": {"connector": "modelmesh.callback.v1", "on_stats": received.append}},
        resolve_secrets=False,
    )
    (entry,) = config.observability.sinks
    sink = ConnectorRegistry().create(
        entry.connector, entry.options, connector_type=ConnectorType.OBSERVABILITY
    )
    sink.flush(STATS)
    assert [record["scope_id"] for record in received] == ["model.vendor.model"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no_colon_here", "on_log: 'no_colon_here' is not 'package.module:function'"),
        ("no_such_module_xyz:receive", "on_log: cannot import module 'no_such_module_xyz'"),
        ("{module}:missing", "on_log: module '{module}' has no 'missing'"),
        ("{module}:not_callable", "on_log: expected a callable, got a int"),
        ("{module}:later", "on_log: an async function"),
    ],
)
def test_a_callable_that_cannot_be_used_is_refused_at_construction(
    target_module: str, value: str, message: str
):
    with pytest.raises(ConfigurationError) as caught:
        CallbackObservability({"on_log": value.format(module=target_module)})
    assert message.format(module=target_module) in str(caught.value)


def test_a_sink_with_no_callable_is_refused():
    with pytest.raises(ConfigurationError, match="give callback"):
        CallbackObservability({"log_level": "full"})


def test_the_options_the_mesh_passes_every_sink_are_taken():
    sink = CallbackObservability(
        {"callback": print, "log_level": "full", "min_severity": "warning"}
    )
    assert sink.config.min_severity is Severity.WARNING
