"""The plugins allow/deny filter and its MODELMESH_LOAD_PLUGINS override."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.plugin_filter import PluginFilter

PROVIDER = ConnectorType.PROVIDER
STORAGE = ConnectorType.STORAGE

segment = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
connector_ids = st.builds(lambda a, b, v: f"{a}.{b}.v{v}", segment, segment, st.integers(1, 9))


def test_no_allow_list_allows_everything():
    assert PluginFilter().allows(PROVIDER, "acme.llm.v1")


def test_allow_list_admits_only_its_entries():
    plugins = PluginFilter(allow=["acme.llm.v1"])

    assert plugins.allows(PROVIDER, "acme.llm.v1")
    assert not plugins.allows(PROVIDER, "other.llm.v1")


def test_qualified_entry_matches_only_its_type():
    plugins = PluginFilter(allow=["storage:acme.file.v1"])

    assert plugins.allows(STORAGE, "acme.file.v1")
    assert not plugins.allows(ConnectorType.OBSERVABILITY, "acme.file.v1")


def test_full_id_entry_matches_only_its_type():
    plugins = PluginFilter(deny=["provider.acme.llm.v1"])

    assert not plugins.allows(PROVIDER, "acme.llm.v1")
    assert plugins.allows(STORAGE, "acme.llm.v1")


def test_glob_matches_short_ids():
    plugins = PluginFilter(allow=["modelmesh.*"])

    assert plugins.allows(STORAGE, "modelmesh.sqlite.v1")
    assert not plugins.allows(PROVIDER, "openai.llm.v1")


def test_glob_matches_qualified_names():
    plugins = PluginFilter(deny=["provider:*"])

    assert not plugins.allows(PROVIDER, "openai.llm.v1")
    assert plugins.allows(STORAGE, "modelmesh.sqlite.v1")


def test_entries_are_case_insensitive():
    assert PluginFilter(allow=["Acme.LLM.v1"]).allows(PROVIDER, "acme.llm.v1")


@given(connector_ids)
def test_deny_wins_over_allow(connector_id):
    assert not PluginFilter(allow=[connector_id], deny=[connector_id]).allows(
        PROVIDER, connector_id
    )


def test_refusal_names_the_deny_entry_and_the_source():
    plugins = PluginFilter(deny=["acme.*"], source="plugins.deny in mesh.yaml")

    assert plugins.refusal(PROVIDER, "acme.llm.v1") == (
        "it matches the deny entry 'acme.*' of plugins.deny in mesh.yaml"
    )


def test_invalid_entry_is_a_configuration_error_naming_the_source():
    with pytest.raises(ConfigurationError, match="MODELMESH_LOAD_PLUGINS"):
        PluginFilter.from_settings(environ={"MODELMESH_LOAD_PLUGINS": "not an id"})


def test_a_bare_string_is_not_taken_for_a_list():
    with pytest.raises(ConfigurationError, match="lists of connector IDs"):
        PluginFilter(allow="acme.llm.v1")


def test_settings_are_used_when_the_variable_is_unset():
    plugins = PluginFilter.from_settings(allow=["acme.*"], deny=["acme.bad.v1"], environ={})

    assert plugins.allows(PROVIDER, "acme.llm.v1")
    assert not plugins.allows(PROVIDER, "acme.bad.v1")


def test_environment_variable_replaces_allow_and_deny():
    plugins = PluginFilter.from_settings(
        allow=["acme.*"],
        deny=["other.llm.v1"],
        environ={"MODELMESH_LOAD_PLUGINS": " other.llm.v1 , modelmesh.* "},
    )

    assert plugins.source == "MODELMESH_LOAD_PLUGINS"
    assert plugins.allows(PROVIDER, "other.llm.v1")
    assert plugins.allows(STORAGE, "modelmesh.sqlite.v1")
    assert not plugins.allows(PROVIDER, "acme.llm.v1")


def test_empty_environment_variable_allows_no_installed_plugin():
    plugins = PluginFilter.from_settings(allow=["acme.*"], environ={"MODELMESH_LOAD_PLUGINS": ""})

    assert not plugins.allows(PROVIDER, "acme.llm.v1")
    assert plugins.refusal(PROVIDER, "acme.llm.v1") == (
        "MODELMESH_LOAD_PLUGINS allows no installed plugin"
    )


def test_process_environment_is_read_by_default(monkeypatch):
    monkeypatch.setenv("MODELMESH_LOAD_PLUGINS", "acme.llm.v1")

    assert PluginFilter.from_settings().allow == ("acme.llm.v1",)
