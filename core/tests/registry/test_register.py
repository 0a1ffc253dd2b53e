"""Registering connectors at runtime, looking them up and building them."""

from __future__ import annotations

import pytest

from modelmesh.errors import (
    ConfigurationError,
    ConnectorNotFoundError,
    DuplicateConnectorError,
    InvalidConnectorIdError,
)
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.interfaces.discovery import HealthMonitor, RegistrySync
from modelmesh.interfaces.provider import ProviderConnector
from modelmesh.interfaces.storage import StorageConnector
from modelmesh.plugin_filter import PluginFilter
from modelmesh.registry import ConnectorRegistry


class Echo:
    """Echoes its options back."""

    def __init__(self, options):
        self.options = options


class Strict:
    def __init__(self, options):
        if "api_key" in options:
            raise TypeError(f"unexpected option api_key={options['api_key']}")
        raise ValueError("never built")


def test_registered_implementation_is_returned_by_its_short_id(registry):
    registry.register("acme.llm.v1", Echo, connector_type="provider")

    assert registry.get_connector("acme.llm.v1") is Echo


@pytest.mark.parametrize("form", ["acme.llm.v1", "provider.acme.llm.v1", "provider:acme.llm.v1"])
def test_full_and_qualified_ids_reach_the_same_connector(registry, form):
    registry.register("provider:acme.llm.v1", Echo)

    assert registry.get_connector(form) is Echo


def test_type_comes_from_the_full_id(registry):
    registry.register("storage.acme.kv.v1", Echo)

    [info] = registry.list_connectors()
    assert (info.connector_type, info.id) == (ConnectorType.STORAGE, "acme.kv.v1")


def test_invalid_id_is_refused(registry):
    with pytest.raises(InvalidConnectorIdError, match="lowercase"):
        registry.register("Acme.LLM.v1", Echo, connector_type="provider")


def test_type_keyword_contradicting_the_full_id_is_refused(registry):
    with pytest.raises(ConfigurationError, match="provider connector"):
        registry.register("provider.acme.llm.v1", Echo, connector_type="storage")


def test_duplicate_registration_names_both_origins(registry):
    registry.register("acme.llm.v1", Echo, connector_type="provider")

    with pytest.raises(DuplicateConnectorError) as caught:
        registry.register("acme.llm.v1", Strict, connector_type="provider")

    assert "test_register.Echo" in str(caught.value)
    assert "test_register.Strict" in str(caught.value)
    assert registry.get_connector("acme.llm.v1") is Echo


def test_same_short_id_may_exist_under_two_types(registry):
    registry.register("acme.file.v1", Echo, connector_type="storage")
    registry.register("acme.file.v1", Strict, connector_type="observability")

    assert registry.get_connector("acme.file.v1", connector_type="storage") is Echo
    assert registry.get_connector("observability:acme.file.v1") is Strict


def test_short_id_under_two_types_without_a_type_is_ambiguous(registry):
    registry.register("acme.file.v1", Echo, connector_type="storage")
    registry.register("acme.file.v1", Strict, connector_type="observability")

    with pytest.raises(ConfigurationError) as caught:
        registry.get_connector("acme.file.v1")

    assert "observability:acme.file.v1" in str(caught.value)
    assert "storage:acme.file.v1" in str(caught.value)


def test_unknown_connector_is_a_key_error_naming_id_and_type(registry):
    with pytest.raises(KeyError) as caught:
        registry.get_connector("acme.llm.v1", connector_type="provider")

    assert isinstance(caught.value, ConnectorNotFoundError)
    assert "'acme.llm.v1' (type provider)" in str(caught.value)


def test_unknown_connector_suggests_similar_ids(registry):
    registry.register("acme.llm.v1", Echo, connector_type="provider")

    with pytest.raises(ConnectorNotFoundError, match=r"similar IDs: acme\.llm\.v1"):
        registry.get_connector("acme.llm.v2", connector_type="provider")


def test_unknown_first_party_connector_says_what_to_install(registry):
    with pytest.raises(ConnectorNotFoundError) as caught:
        registry.get_connector("anthropic.claude.v1", connector_type="provider")

    assert "pip install modelmesh-plugin-anthropic" in str(caught.value)
    assert caught.value.install_hint == "pip install modelmesh-plugin-anthropic"


def test_create_passes_a_copy_of_the_options(registry):
    registry.register("acme.llm.v1", Echo, connector_type="provider")
    options = {"base_url": "http://127.0.0.1:9"}

    built = registry.create("acme.llm.v1", options)

    assert built.options == options
    assert built.options is not options


def test_create_without_options_passes_an_empty_dict(registry):
    registry.register("acme.llm.v1", Echo, connector_type="provider")

    assert registry.create("acme.llm.v1").options == {}


def test_create_wraps_constructor_errors_without_echoing_values(registry):
    registry.register("acme.llm.v1", Strict, connector_type="provider")

    with pytest.raises(ConfigurationError) as caught:
        registry.create("acme.llm.v1", {"api_key": "sk-very-secret"})

    message = str(caught.value)
    assert "provider:acme.llm.v1" in message
    assert "api_key" in message
    assert "sk-very-secret" not in message
    assert isinstance(caught.value.__cause__, TypeError)


def test_runtime_connector_is_listed_with_its_docstring(registry):
    registry.register("acme.llm.v1", Echo, connector_type="provider")

    [info] = registry.list_connectors()

    assert info.source == "runtime"
    assert info.description == "Echoes its options back."
    assert info.version == "0"
    assert info.module == __name__


def test_list_accepts_a_type_or_its_string_value(registry):
    registry.register("acme.llm.v1", Echo, connector_type="provider")
    registry.register("acme.kv.v1", Echo, connector_type="storage")

    assert [i.id for i in registry.list_connectors("storage")] == ["acme.kv.v1"]
    assert [i.id for i in registry.list_connectors(ConnectorType.PROVIDER)] == ["acme.llm.v1"]


def test_runtime_registration_has_no_plugin(registry):
    registry.register("acme.llm.v1", Echo, connector_type="provider")

    assert registry.plugin_for("acme.llm.v1") is None


def test_two_registries_do_not_share_connectors():
    first = ConnectorRegistry(plugin_filter=PluginFilter(), load_entry_points=False)
    second = ConnectorRegistry(plugin_filter=PluginFilter(), load_entry_points=False)
    first.register("acme.llm.v1", Echo, connector_type="provider")

    assert second.list_connectors() == []
    assert first.plugin_manager is not second.plugin_manager


# --- type inference from the interface ABCs -----------------------------------------


def test_type_is_inferred_from_a_subclassed_interface(registry):
    provider = type("MyProvider", (ProviderConnector,), {})

    registry.register("acme.llm.v1", provider)

    assert registry.get_connector("provider:acme.llm.v1") is provider


def test_type_is_inferred_from_an_instance(registry):
    storage_class = type("MyStorage", (StorageConnector,), {})
    storage_class.__abstractmethods__ = frozenset()  # an instance, without writing 7 methods
    storage = storage_class()

    registry.register("acme.kv.v1", storage)

    assert registry.get_connector("storage:acme.kv.v1") is storage


@pytest.mark.parametrize("half", [HealthMonitor, RegistrySync])
def test_a_connector_doing_one_discovery_job_is_a_discovery_connector(registry, half):
    monitor = type("OneJob", (half,), {})

    registry.register("acme.monitor.v1", monitor)

    assert registry.get_connector("discovery:acme.monitor.v1") is monitor


def test_implementation_of_two_interfaces_needs_a_type(registry):
    both = type("Both", (ProviderConnector, StorageConnector), {})

    with pytest.raises(ConfigurationError, match="several connector interfaces"):
        registry.register("acme.both.v1", both)


def test_implementation_of_no_interface_needs_a_type(registry):
    with pytest.raises(ConfigurationError, match="connector_type="):
        registry.register("acme.llm.v1", Echo)
    registry.register("acme.llm.v1", Echo, connector_type="provider")
