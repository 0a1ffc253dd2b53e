"""ModelMesh finds the installed distribution: it lists every connector ID from
metadata, loads each by its ID, and builds providers from YAML configurations that
name them.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
points in pyproject.toml are what ModelMesh reads.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from modelmesh.config import load_config
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.registry import ConnectorRegistry
from modelmesh_plugin_openai.connector import PROVIDERS, OpenAIPresetProvider

CONNECTOR_TYPE = ConnectorType.PROVIDER
CONNECTOR_IDS = sorted(PROVIDERS)
# The README's snippet.
README_CONFIG = """\
providers:
  openai:
    connector: openai.llm.v1
    api_key: ${secrets:OPENAI_API_KEY}
"""
# A preset named with nothing but its key.
DEEPSEEK_CONFIG = """\
providers:
  deepseek:
    connector: deepseek.api.v1
    api_key: ${secrets:DEEPSEEK_API_KEY}
"""


def provider_from_yaml(tmp_path: Path, text: str, key: str) -> OpenAIPresetProvider:
    """The provider section ``key`` built as the registry builds it."""
    path = tmp_path / "modelmesh.yaml"
    path.write_text(text, encoding="utf-8")
    section = load_config(path, resolve_secrets=False).providers[key]
    options: dict[str, Any] = {
        "base_url": section.base_url,
        "api_key": section.api_key,
        **section.options,
    }
    return ConnectorRegistry().create(section.connector, options, connector_type=CONNECTOR_TYPE)


@pytest.mark.parametrize("connector_id", CONNECTOR_IDS)
def test_listed_with_its_distribution(connector_id: str) -> None:
    listed = {info.id: info for info in ConnectorRegistry().list_connectors(CONNECTOR_TYPE)}
    assert connector_id in listed, 'install the distribution first: pip install -e ".[test]"'
    assert listed[connector_id].distribution == "modelmesh-plugin-openai"
    assert listed[connector_id].source == "entry-point"


@pytest.mark.parametrize("connector_id", CONNECTOR_IDS)
def test_loaded_by_its_id(connector_id: str) -> None:
    found = ConnectorRegistry().get_connector(connector_id, connector_type=CONNECTOR_TYPE)
    assert found is PROVIDERS[connector_id]
    assert found.preset.connector_id == connector_id


def test_built_from_the_readme_configuration(tmp_path: Path) -> None:
    provider = provider_from_yaml(tmp_path, README_CONFIG, "openai")
    asyncio.run(provider.close())
    assert provider.config.base_url == "https://api.openai.com"


def test_a_preset_named_with_only_its_key_aims_at_its_service(tmp_path: Path) -> None:
    provider = provider_from_yaml(tmp_path, DEEPSEEK_CONFIG, "deepseek")
    asyncio.run(provider.close())
    assert type(provider) is PROVIDERS["deepseek.api.v1"]
    assert provider.config.base_url == "https://api.deepseek.com"
