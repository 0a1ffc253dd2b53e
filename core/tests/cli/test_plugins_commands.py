"""`modelmesh plugins list|info`: what a user sees, and what listing never imports."""

from __future__ import annotations

import json
import sys

import pytest

from modelmesh import __version__, entry_points, registry
from modelmesh.cli import main

RAISING_MODULE = "raise RuntimeError('listing imported a plugin module')\n"


def hide_installed_plugins(monkeypatch):
    """As on a machine where no plugin is installed, whatever this environment holds."""
    nothing = entry_points.InstalledIndex({})
    monkeypatch.setattr(entry_points, "installed_index", lambda: nothing)
    monkeypatch.setattr(registry, "installed_index", lambda: nothing)


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def installed(site):
    """Two installed plugins: a provider whose module explodes on import, and a store."""
    broken = site.write_module("broken", RAISING_MODULE)
    store = site.provider_module("store", [])  # module content irrelevant for listing
    site.add_distribution(
        "modelmesh-plugin-acme",
        {"modelmesh.provider": {site.connector_id("llm"): broken}},
        version="2.3.0",
        summary="Acme models for ModelMesh",
    )
    site.add_distribution(
        "modelmesh-plugin-acme-kv",
        {"modelmesh.storage": {site.connector_id("kv"): store}},
        version="0.4.0",
        summary="Acme key-value storage",
    )
    return site


def test_list_shows_every_installed_connector_without_importing_it(capsys, installed):
    status, out, _ = run(capsys, "plugins", "list")

    assert status == 0
    assert installed.connector_id("llm") in out
    assert installed.connector_id("kv") in out
    assert "modelmesh-plugin-acme" in out
    assert "2.3.0" in out
    assert "Acme models for ModelMesh" in out
    assert installed.module_name("broken") not in sys.modules
    assert installed.module_name("store") not in sys.modules


def test_list_json_is_machine_readable(capsys, installed):
    status, out, _ = run(capsys, "plugins", "list", "--json")

    records = {r["id"]: r for r in json.loads(out)}
    llm = records[installed.connector_id("llm")]
    assert status == 0
    assert llm["type"] == "provider"
    assert llm["distribution"] == "modelmesh-plugin-acme"
    assert llm["version"] == "2.3.0"
    assert llm["module"] == installed.module_name("broken")
    assert llm["enabled"] is True


def test_list_filters_by_type(capsys, installed):
    _, out, _ = run(capsys, "plugins", "list", "--type", "storage", "--json")

    types = {r["type"] for r in json.loads(out)}
    ids = {r["id"] for r in json.loads(out)}
    assert types == {"storage"}
    assert installed.connector_id("kv") in ids
    assert installed.connector_id("llm") not in ids


def test_list_marks_connectors_the_environment_disables(capsys, installed, monkeypatch):
    monkeypatch.setenv("MODELMESH_LOAD_PLUGINS", installed.connector_id("kv"))

    _, out, _ = run(capsys, "plugins", "list", "--json")

    enabled = {r["id"]: r["enabled"] for r in json.loads(out)}
    assert enabled[installed.connector_id("kv")] is True
    assert enabled[installed.connector_id("llm")] is False


def test_list_with_nothing_installed_says_how_to_get_connectors(capsys, monkeypatch):
    hide_installed_plugins(monkeypatch)

    status, out, _ = run(capsys, "plugins", "list", "--type", "discovery")

    assert status == 0
    assert "No discovery connectors installed" in out
    assert "pip install" in out


def test_info_loads_one_connector_and_shows_its_hooks(capsys, site):
    module = site.provider_module("llm", [site.connector_id("llm")])
    site.add_distribution(
        "modelmesh-plugin-acme", {"modelmesh.provider": {site.connector_id("llm"): module}}
    )

    status, out, _ = run(capsys, "plugins", "info", site.connector_id("llm"), "--json")

    record = json.loads(out)
    assert status == 0
    assert record["distribution"] == "modelmesh-plugin-acme"
    assert record["implementation"] == f"{module}.Provider"
    assert record["summary"] == "A provider built from its options."
    assert record["hooks"] == ["modelmesh_register_providers"]


def test_info_on_an_unknown_first_party_connector_says_what_to_install(capsys, monkeypatch):
    hide_installed_plugins(monkeypatch)

    status, _, err = run(capsys, "plugins", "info", "anthropic.claude.v1")

    assert status == 1
    assert "anthropic.claude.v1" in err
    assert "pip install modelmesh-plugin-anthropic" in err


def test_info_on_a_malformed_id_explains_the_convention(capsys, site):
    status, _, err = run(capsys, "plugins", "info", "OpenAI")

    assert status == 1
    assert "invalid connector ID" in err


def test_version_flag_prints_the_version(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_prints_usage_and_fails(capsys):
    assert main([]) == 2
    assert "usage: modelmesh" in capsys.readouterr().err


def test_a_command_group_without_its_subcommand_prints_its_own_usage(capsys):
    assert main(["plugins"]) == 2
    assert "usage: modelmesh plugins" in capsys.readouterr().err
