"""Installed plugins: listed from metadata alone, imported one at a time when asked for."""

from __future__ import annotations

import shutil
import sys

import pytest

from modelmesh import entry_points
from modelmesh.errors import (
    ConnectorNotFoundError,
    DuplicateConnectorError,
    ModelMeshError,
    PluginLoadError,
)
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.plugin_filter import PluginFilter
from modelmesh.registry import ConnectorRegistry

EXPLODING = "raise RuntimeError('this module must not be imported')\n"


def make_registry(**kwargs) -> ConnectorRegistry:
    kwargs.setdefault("plugin_filter", PluginFilter())
    return ConnectorRegistry(**kwargs)


def mine(site, infos):
    return [i for i in infos if i.id.startswith(site.prefix)]


def install_provider(site, name, ids=None, **kwargs):
    """A distribution whose module registers ``ids`` (default: the one it declares)."""
    connector_id = site.connector_id(name)
    module = site.provider_module(name, ids if ids is not None else [connector_id])
    site.add_distribution(
        f"plugin-{name}", {"modelmesh.provider": {connector_id: module}}, **kwargs
    )
    return connector_id, module


def test_listing_reads_metadata_and_imports_no_plugin_module(site):
    for name in ("alpha", "beta"):
        module = site.write_module(name, EXPLODING)
        site.add_distribution(
            f"plugin-{name}",
            {"modelmesh.provider": {site.connector_id(name): module}},
            version="2.5.1",
            summary=f"The {name} connector",
        )

    infos = mine(site, make_registry().list_connectors())

    assert [(i.id, i.version, i.description) for i in infos] == [
        (site.connector_id("alpha"), "2.5.1", "The alpha connector"),
        (site.connector_id("beta"), "2.5.1", "The beta connector"),
    ]
    assert infos[0].distribution == "plugin-alpha"
    assert infos[0].module == site.module_name("alpha")
    assert infos[0].source == "entry-point"
    assert not [m for m in sys.modules if m.startswith(f"mm_{site.prefix}")]


def test_listing_is_sorted_by_type_then_id(site):
    module = site.write_module("multi", EXPLODING)
    site.add_distribution(
        "plugin-multi",
        {
            "modelmesh.storage": {site.connector_id("a"): module},
            "modelmesh.provider": {site.connector_id("b"): module, site.connector_id("a"): module},
        },
    )

    infos = mine(site, make_registry().list_connectors())

    assert [(i.connector_type.value, i.id) for i in infos] == [
        ("provider", site.connector_id("a")),
        ("provider", site.connector_id("b")),
        ("storage", site.connector_id("a")),
    ]


def test_get_connector_imports_only_the_requested_plugin(site):
    wanted, wanted_module = install_provider(site, "wanted")
    _, other_module = install_provider(site, "other")

    implementation = make_registry().get_connector(wanted)

    assert implementation.__module__ == wanted_module
    assert wanted_module in sys.modules
    assert other_module not in sys.modules


def test_loaded_plugin_is_registered_under_its_qualified_name(site):
    connector_id, module = install_provider(site, "named")
    registry = make_registry()

    registry.get_connector(connector_id)

    assert registry.plugin_manager.get_plugin(f"provider:{connector_id}") is sys.modules[module]
    assert registry.plugin_for(connector_id) is sys.modules[module]


def test_loading_is_idempotent(site):
    connector_id, module = install_provider(site, "once")
    registry = make_registry()

    first = registry.get_connector(connector_id)
    second = registry.get_connector(connector_id)

    assert first is second
    assert sys.modules[module].CALLS == ["providers"]
    assert len(registry.plugin_manager.get_plugins()) == 1


def test_one_module_serving_many_ids_is_registered_once(site):
    ids = [site.connector_id("one"), site.connector_id("two")]
    module = site.provider_module("shared", ids)
    site.add_distribution("plugin-shared", {"modelmesh.provider": dict.fromkeys(ids, module)})
    registry = make_registry()

    registry.get_connector(ids[0])
    registry.get_connector(ids[1])

    assert registry.plugin_manager.get_plugins() == {sys.modules[module]}
    assert sys.modules[module].CALLS == ["providers"]


def test_two_registries_load_plugins_independently(site):
    connector_id, _ = install_provider(site, "independent")
    first, second = make_registry(), make_registry()

    first.get_connector(connector_id)

    assert len(first.plugin_manager.get_plugins()) == 1
    assert second.plugin_manager.get_plugins() == set()
    assert second.get_connector(connector_id) is first.get_connector(connector_id)


def test_only_the_requested_type_hook_of_the_plugin_runs(site):
    connector_id = site.connector_id("typed")
    module = site.write_module(
        "typed",
        f"""
        import modelmesh

        @modelmesh.hookimpl
        def modelmesh_register_providers(register):
            register({connector_id!r}, dict)

        @modelmesh.hookimpl
        def modelmesh_register_storage(register):
            raise AssertionError("the storage hook must not run")
        """,
    )
    site.add_distribution("plugin-typed", {"modelmesh.provider": {connector_id: module}})

    assert make_registry().get_connector(connector_id) is dict


def test_entry_point_may_name_an_object_in_the_module(site):
    connector_id = site.connector_id("object")
    module = site.write_module(
        "object",
        f"""
        import modelmesh

        class Plugin:
            @modelmesh.hookimpl
            def modelmesh_register_providers(self, register):
                register({connector_id!r}, list)

        plugin = Plugin()
        """,
    )
    site.add_distribution(
        "plugin-object", {"modelmesh.provider": {connector_id: f"{module}:plugin"}}
    )

    assert make_registry().get_connector(connector_id) is list


def test_installed_connector_is_listed_with_its_runtime_info_once_loaded(site):
    connector_id, _ = install_provider(site, "loaded", version="3.0")
    registry = make_registry()
    registry.get_connector(connector_id)

    [info] = mine(site, registry.list_connectors())

    assert (info.version, info.distribution, info.source) == ("3.0", "plugin-loaded", "entry-point")


def test_runtime_registration_takes_the_version_of_an_installed_distribution(site):
    install_provider(site, "versioned", version="4.2")
    implementation = make_registry().get_connector(site.connector_id("versioned"))
    registry = make_registry()

    registry.register(site.connector_id("runtime"), implementation, connector_type="provider")

    info = next(i for i in registry.list_connectors() if i.id == site.connector_id("runtime"))
    assert (info.source, info.version, info.distribution) == ("runtime", "4.2", "plugin-versioned")


def test_broken_plugin_module_names_its_distribution_and_module(site):
    connector_id = site.connector_id("broken")
    module = site.write_module("broken", "import mm_no_such_dependency_anywhere\n")
    site.add_distribution(
        "plugin-broken", {"modelmesh.provider": {connector_id: module}}, version="0.3"
    )

    with pytest.raises(PluginLoadError) as caught:
        make_registry().get_connector(connector_id)

    message = str(caught.value)
    assert "plugin-broken 0.3" in message
    assert module in message
    assert "mm_no_such_dependency_anywhere" in message
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_failing_registration_hook_names_its_distribution(site):
    connector_id = site.connector_id("failing")
    module = site.write_module(
        "failing",
        """
        import modelmesh

        @modelmesh.hookimpl
        def modelmesh_register_providers(register):
            raise RuntimeError("cannot register today")
        """,
    )
    site.add_distribution("plugin-failing", {"modelmesh.provider": {connector_id: module}})
    registry = make_registry()

    with pytest.raises(PluginLoadError, match=r"plugin-failing 1\.0.*cannot register today"):
        registry.get_connector(connector_id)
    assert registry.plugin_manager.get_plugins() == set()


def test_misspelled_hook_is_reported_with_its_distribution(site):
    connector_id = site.connector_id("typo")
    module = site.write_module(
        "typo",
        """
        import modelmesh

        @modelmesh.hookimpl
        def modelmesh_register_provider(register):
            pass
        """,
    )
    site.add_distribution("plugin-typo", {"modelmesh.provider": {connector_id: module}})

    with pytest.raises(PluginLoadError, match=r"plugin-typo.*modelmesh_register_provider\b"):
        make_registry().get_connector(connector_id)


def test_plugin_that_does_not_register_its_entry_point_is_named(site):
    connector_id, module = install_provider(site, "silent", ids=[])

    with pytest.raises(PluginLoadError) as caught:
        make_registry().get_connector(connector_id)

    message = str(caught.value)
    assert "plugin-silent 1.0" in message
    assert module in message
    assert "did not register it" in message


def test_plugin_colliding_with_a_runtime_registration_names_both(site):
    connector_id, extra = site.connector_id("collide"), site.connector_id("extra")
    install_provider(site, "collide", ids=[connector_id, extra])
    registry = make_registry()
    registry.register(extra, dict, connector_type="provider")

    with pytest.raises(DuplicateConnectorError) as caught:
        registry.get_connector(connector_id)

    assert "runtime registration of builtins.dict" in str(caught.value)
    assert "plugin-collide 1.0" in str(caught.value)
    assert registry.plugin_manager.get_plugins() == set()


def test_same_name_from_two_distributions_names_both(site):
    connector_id = site.connector_id("contested")
    first = site.provider_module("first", [connector_id])
    second = site.provider_module("second", [connector_id])
    site.add_distribution("plugin-first", {"modelmesh.provider": {connector_id: first}})
    site.add_distribution("plugin-second", {"modelmesh.provider": {connector_id: second}})

    with pytest.raises(PluginLoadError) as caught:
        make_registry().get_connector(connector_id)

    assert "plugin-first 1.0" in str(caught.value)
    assert "plugin-second 1.0" in str(caught.value)
    assert first not in sys.modules
    assert second not in sys.modules


def test_same_distribution_twice_on_sys_path_is_counted_once(site, tmp_path, monkeypatch):
    connector_id, _ = install_provider(site, "twice")
    copy = tmp_path / "copy"
    shutil.copytree(site.root, copy)
    monkeypatch.syspath_prepend(str(copy))
    entry_points.clear_cache()

    infos = mine(site, make_registry().list_connectors())

    assert [i.id for i in infos] == [connector_id]
    assert make_registry().get_connector(connector_id).__name__ == "Provider"


def test_invalid_entry_point_names_are_reported_not_fatal(site):
    module = site.write_module("invalid", EXPLODING)
    site.add_distribution(
        "plugin-invalid",
        {"modelmesh.provider": {"Not_An_Id": module, site.connector_id("valid"): module}},
    )

    infos = mine(site, make_registry().list_connectors())

    assert [i.id for i in infos] == [site.connector_id("valid")]
    [problem] = [p for p in entry_points.installed_index().problems if "plugin-invalid" in p]
    assert "'Not_An_Id'" in problem
    assert "modelmesh.provider" in problem


def test_entry_point_name_of_another_type_is_reported(site):
    module = site.write_module("wrongtype", EXPLODING)
    site.add_distribution(
        "plugin-wrongtype",
        {"modelmesh.provider": {f"storage.{site.prefix}.kv.v1": module}},
    )

    make_registry().list_connectors()

    assert any(
        "plugin-wrongtype" in p and "storage connector" in p
        for p in entry_points.installed_index().problems
    )


def test_snapshot_is_taken_once_until_cleared(site):
    make_registry().list_connectors()
    connector_id, _ = install_provider(site, "late")

    assert not mine(site, make_registry().list_connectors())
    entry_points.clear_cache()
    assert [i.id for i in mine(site, make_registry().list_connectors())] == [connector_id]


def test_registry_can_ignore_installed_plugins(site):
    connector_id, _ = install_provider(site, "ignored")
    registry = make_registry(load_entry_points=False)

    assert registry.list_connectors() == []
    with pytest.raises(ConnectorNotFoundError):
        registry.get_connector(connector_id)


def test_short_id_installed_under_two_types_is_ambiguous(site):
    connector_id = site.connector_id("both")
    module = site.write_module("both", EXPLODING)
    site.add_distribution(
        "plugin-both",
        {"modelmesh.storage": {connector_id: module}, "modelmesh.provider": {connector_id: module}},
    )

    with pytest.raises(ModelMeshError, match=f"provider:{connector_id}, storage:{connector_id}"):
        make_registry().get_connector(connector_id)


# --- the plugin filter --------------------------------------------------------------


def test_blocked_plugin_is_listed_as_disabled(site):
    connector_id, _ = install_provider(site, "blocked")
    registry = make_registry(plugin_filter=PluginFilter(deny=[connector_id]))

    [info] = mine(site, registry.list_connectors())

    assert info.enabled is False


def test_blocked_plugin_is_installed_but_disabled_by_its_setting(site):
    connector_id, module = install_provider(site, "denied")
    plugins = PluginFilter.from_settings(environ={"MODELMESH_LOAD_PLUGINS": ""})

    with pytest.raises(ConnectorNotFoundError) as caught:
        make_registry(plugin_filter=plugins).get_connector(connector_id)

    message = str(caught.value)
    assert "installed" in message
    assert "disabled" in message
    assert "MODELMESH_LOAD_PLUGINS" in message
    assert module not in sys.modules


def test_environment_variable_is_the_default_filter(site, monkeypatch):
    connector_id, _ = install_provider(site, "envdenied")
    monkeypatch.setenv("MODELMESH_LOAD_PLUGINS", "")

    with pytest.raises(ConnectorNotFoundError, match="MODELMESH_LOAD_PLUGINS"):
        ConnectorRegistry().get_connector(connector_id)


def test_module_serving_many_ids_cannot_bypass_the_filter(site):
    allowed, denied = site.connector_id("allowed"), site.connector_id("denied")
    module = site.provider_module("many", [allowed, denied])
    site.add_distribution("plugin-many", {"modelmesh.provider": {allowed: module, denied: module}})
    registry = make_registry(plugin_filter=PluginFilter(deny=[denied]))

    registry.get_connector(allowed)

    with pytest.raises(ConnectorNotFoundError, match="disabled"):
        registry.get_connector(denied, connector_type=ConnectorType.PROVIDER)
