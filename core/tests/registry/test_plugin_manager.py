"""Each registry's own plugin manager, and the MODELMESH_TRACE_HOOKS trace."""

from __future__ import annotations

import io

import pytest

import modelmesh
from modelmesh.plugin_manager import build_plugin_manager


class ConfigPlugin:
    @modelmesh.hookimpl
    def modelmesh_configure(self, config):
        self.seen = config


class FailingPlugin:
    @modelmesh.hookimpl
    def modelmesh_configure(self, config):
        raise RuntimeError("broken")


def test_plugin_manager_knows_the_modelmesh_hooks():
    manager = build_plugin_manager(environ={})

    assert manager.project_name == "modelmesh"
    assert manager.hook.modelmesh_register_providers.has_spec()


def test_each_call_builds_an_independent_manager():
    first, second = build_plugin_manager(environ={}), build_plugin_manager(environ={})
    first.register(ConfigPlugin(), name="config")

    assert second.get_plugins() == set()


def test_hook_calls_are_not_traced_by_default():
    stream = io.StringIO()
    manager = build_plugin_manager(environ={}, trace_stream=stream)
    manager.register(ConfigPlugin(), name="config")

    manager.hook.modelmesh_configure(config={})

    assert stream.getvalue() == ""


def test_trace_names_hook_plugin_and_redacted_arguments():
    stream = io.StringIO()
    manager = build_plugin_manager(environ={"MODELMESH_TRACE_HOOKS": "1"}, trace_stream=stream)
    manager.register(ConfigPlugin(), name="provider:acme.llm.v1")

    manager.hook.modelmesh_configure(config={"api_key": "sk-live-123", "timeout": 30})

    trace = stream.getvalue()
    assert "modelmesh_configure" in trace
    assert "provider:acme.llm.v1" in trace
    assert "'timeout': 30" in trace
    assert "sk-live-123" not in trace


def test_trace_reports_a_failing_hook():
    stream = io.StringIO()
    manager = build_plugin_manager(environ={"MODELMESH_TRACE_HOOKS": "1"}, trace_stream=stream)
    manager.register(FailingPlugin(), name="failing")

    with pytest.raises(RuntimeError):
        manager.hook.modelmesh_configure(config={})

    assert "modelmesh_configure raised RuntimeError" in stream.getvalue()


def test_trace_goes_to_stderr_by_default(capsys):
    manager = build_plugin_manager(environ={"MODELMESH_TRACE_HOOKS": "1"})

    manager.hook.modelmesh_configure(config={})

    assert "[modelmesh hook] modelmesh_configure" in capsys.readouterr().err
