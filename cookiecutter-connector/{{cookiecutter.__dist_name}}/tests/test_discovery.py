"""ModelMesh finds the installed distribution: it lists {{ cookiecutter.connector_id }} from
metadata, loads it by its ID, and builds it from a YAML configuration that names it.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

import asyncio
from pathlib import Path

from modelmesh.config import load_config
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.registry import ConnectorRegistry
{%- if cookiecutter.connector_type == "rotation" %}
from modelmesh.routing.pools import rotation_options
{%- endif %}
from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}

CONNECTOR_ID = "{{ cookiecutter.connector_id }}"
CONNECTOR_TYPE = ConnectorType.{{ cookiecutter.connector_type | upper }}
# The README's snippet.
CONFIG = """\
{% include "activate/" ~ cookiecutter.connector_type ~ ".yaml" %}
"""


def test_listed_with_its_distribution() -> None:
    listed = {info.id: info for info in ConnectorRegistry().list_connectors(CONNECTOR_TYPE)}
    assert CONNECTOR_ID in listed, 'install the distribution first: pip install -e ".[test]"'
    assert listed[CONNECTOR_ID].distribution == "{{ cookiecutter.__dist_name }}"
    assert listed[CONNECTOR_ID].source == "entry-point"


def test_loaded_by_its_id() -> None:
    found = ConnectorRegistry().get_connector(CONNECTOR_ID, connector_type=CONNECTOR_TYPE)
    assert found is {{ cookiecutter.__class_name }}


def test_built_from_a_yaml_configuration_that_names_it(tmp_path: Path) -> None:
    path = tmp_path / "modelmesh.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path, resolve_secrets=False)
{% include "from_yaml/" ~ cookiecutter.connector_type ~ ".py" %}
    assert connector_id == CONNECTOR_ID

    async def build() -> None:
        registry = ConnectorRegistry()
        connector = registry.create(connector_id, options, connector_type=CONNECTOR_TYPE)
        assert isinstance(connector, {{ cookiecutter.__class_name }})
{%- if cookiecutter.connector_type == "rotation" %}
        # The pool's own sections reach the connector.
        assert (connector.config.deactivation.retry_limit, connector.config.recovery.cooldown) == (
            2,
            120.0,
        )
{%- endif %}
{%- if cookiecutter.connector_type in ["provider", "storage", "observability", "discovery"] %}
        await connector.close()
{%- endif %}

    asyncio.run(build())
