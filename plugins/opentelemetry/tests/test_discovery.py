"""ModelMesh finds the installed distribution: it lists modelmesh.opentelemetry.v1 from
metadata, loads it by its ID, and builds it from a YAML configuration that names it.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

import asyncio
from pathlib import Path

from modelmesh.config import load_config
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.registry import ConnectorRegistry
from modelmesh_plugin_opentelemetry.connector import OpentelemetryObservability

CONNECTOR_ID = "modelmesh.opentelemetry.v1"
CONNECTOR_TYPE = ConnectorType.OBSERVABILITY
# The README's snippet.
CONFIG = """\
observability:
  connector: modelmesh.opentelemetry.v1
  exporter: console
  service_name: checkout-api
"""


def test_listed_with_its_distribution() -> None:
    listed = {info.id: info for info in ConnectorRegistry().list_connectors(CONNECTOR_TYPE)}
    assert CONNECTOR_ID in listed, 'install the distribution first: pip install -e ".[test]"'
    assert listed[CONNECTOR_ID].distribution == "modelmesh-plugin-opentelemetry"
    assert listed[CONNECTOR_ID].source == "entry-point"


def test_loaded_by_its_id() -> None:
    found = ConnectorRegistry().get_connector(CONNECTOR_ID, connector_type=CONNECTOR_TYPE)
    assert found is OpentelemetryObservability


def test_built_from_a_yaml_configuration_that_names_it(tmp_path: Path) -> None:
    path = tmp_path / "modelmesh.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path, resolve_secrets=False)
    (sink,) = config.observability.sinks
    assert sink.connector == CONNECTOR_ID

    async def build() -> None:
        registry = ConnectorRegistry()
        connector = registry.create(sink.connector, sink.options, connector_type=CONNECTOR_TYPE)
        assert isinstance(connector, OpentelemetryObservability)
        assert (connector.config.exporter, connector.config.service_name) == (
            "console",
            "checkout-api",
        )
        await connector.close()

    asyncio.run(build())
