"""A plugin shipped as a real wheel is discovered, loaded and forgotten like any other.

Builds a tiny plugin distribution into a wheel with ``uv build``, installs it and the
session's modelmesh-core wheel into a fresh virtual environment and checks, from inside it, that the
plugin's entry point is listed (metadata only), loads on demand, shows in
``modelmesh plugins list`` and disappears when uninstalled. Everything runs offline,
from the uv cache that ``uv sync`` filled.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

DISTRIBUTION = "modelmesh-plugin-wheeltest"
CONNECTOR_ID = "wheeltest.llm.v1"

PYPROJECT = f"""
[project]
name = "{DISTRIBUTION}"
version = "0.4.2"
description = "A provider connector that exists to be packaged"
requires-python = ">=3.11"
dependencies = ["modelmesh-core"]

[project.entry-points."modelmesh.provider"]
"{CONNECTOR_ID}" = "modelmesh_plugin_wheeltest.plugin"

[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/modelmesh_plugin_wheeltest"]
"""

PLUGIN = f"""
import modelmesh


class WheelTestProvider:
    \"\"\"Builds nothing; proves the registration went through.\"\"\"

    def __init__(self, options):
        self.options = options


@modelmesh.hookimpl
def modelmesh_register_providers(register):
    register("{CONNECTOR_ID}", WheelTestProvider)
"""

PROBE = f"""
import json, sys
from modelmesh.errors import ConnectorNotFoundError
from modelmesh.registry import ConnectorRegistry

registry = ConnectorRegistry()
listed = [
    {{"id": i.id, "distribution": i.distribution, "version": i.version,
      "description": i.description}}
    for i in registry.list_connectors("provider") if i.id == "{CONNECTOR_ID}"
]
imported_by_listing = "modelmesh_plugin_wheeltest.plugin" in sys.modules
try:
    found = registry.get_connector("{CONNECTOR_ID}")
    loaded = found.__module__ + "." + found.__qualname__
except ConnectorNotFoundError as exc:
    loaded = "not found: " + str(exc)
print(json.dumps({{"listed": listed, "imported_by_listing": imported_by_listing,
                  "loaded": loaded}}))
"""


@pytest.fixture(scope="module")
def venv(tmp_path_factory, uv, run, wheelhouse, fresh_venv) -> Path:
    """A fresh virtual environment holding the core and the plugin, both as wheels."""
    work = tmp_path_factory.mktemp("wheel")
    project = work / "plugin"
    package = project / "src" / "modelmesh_plugin_wheeltest"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(textwrap.dedent(PLUGIN))
    wheels = work / "wheels"
    run(uv, "build", "--offline", "--wheel", "--out-dir", wheels, project)
    (plugin_wheel,) = wheels.glob("*.whl")
    return fresh_venv(work / "venv", wheelhouse.core, plugin_wheel).path


def probe(environment: Path, run) -> dict:
    return json.loads(run(environment / "bin" / "python", "-c", PROBE))


def test_installed_plugin_is_listed_from_its_metadata(venv, run):
    result = probe(venv, run)

    assert result["listed"] == [
        {
            "id": CONNECTOR_ID,
            "distribution": DISTRIBUTION,
            "version": "0.4.2",
            "description": "A provider connector that exists to be packaged",
        }
    ]
    assert result["imported_by_listing"] is False


def test_installed_plugin_loads_on_demand(venv, run):
    assert probe(venv, run)["loaded"] == "modelmesh_plugin_wheeltest.plugin.WheelTestProvider"


def test_modelmesh_plugins_list_shows_the_installed_plugin(venv, run):
    records = json.loads(run(venv / "bin" / "modelmesh", "plugins", "list", "--json"))

    assert {"id": CONNECTOR_ID, "distribution": DISTRIBUTION, "type": "provider"}.items() <= next(
        r for r in records if r["id"] == CONNECTOR_ID
    ).items()


def test_uninstalled_plugin_is_gone(venv, uv, run):
    # Runs last in this module: it removes the plugin from the shared environment.
    run(uv, "pip", "uninstall", "--python", venv / "bin" / "python", DISTRIBUTION)

    result = probe(venv, run)

    assert result["listed"] == []
    assert result["loaded"].startswith(f"not found: no connector '{CONNECTOR_ID}'")
