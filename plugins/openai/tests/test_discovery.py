"""ModelMesh finds the installed distribution: it lists every connector ID from
metadata, loads each by its ID, and builds providers from YAML configurations that
name them.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
points in pyproject.toml are what ModelMesh reads.
"""

import pytest

from modelmesh.interfaces.connector import ConnectorType
from modelmesh.registry import ConnectorRegistry
from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_openai.connector import PROVIDERS, OpenAIPresetProvider

DISTRIBUTION = "modelmesh-plugin-openai"


class TestInstalledOpenAI(InstalledConnectorTests):
    connector_id = "openai.llm.v1"
    connector_class = PROVIDERS["openai.llm.v1"]
    distribution = DISTRIBUTION
    # The README's snippet.
    config = """\
providers:
  openai:
    connector: openai.llm.v1
    api_key: ${secrets:OPENAI_API_KEY}
"""

    def check_built(self, connector: OpenAIPresetProvider) -> None:
        assert connector.config.base_url == "https://api.openai.com"


class TestInstalledDeepSeek(InstalledConnectorTests):
    """A preset named with nothing but its key aims at its own service."""

    connector_id = "deepseek.api.v1"
    connector_class = PROVIDERS["deepseek.api.v1"]
    distribution = DISTRIBUTION
    config = """\
providers:
  deepseek:
    connector: deepseek.api.v1
    api_key: ${secrets:DEEPSEEK_API_KEY}
"""

    def check_built(self, connector: OpenAIPresetProvider) -> None:
        assert connector.config.base_url == "https://api.deepseek.com"


@pytest.mark.parametrize("connector_id", sorted(PROVIDERS))
def test_every_preset_is_listed_with_the_distribution_and_loads_by_its_id(
    connector_id: str,
) -> None:
    registry = ConnectorRegistry()
    listed = {info.id: info for info in registry.list_connectors(ConnectorType.PROVIDER)}
    assert listed[connector_id].distribution == DISTRIBUTION
    found = registry.get_connector(connector_id, connector_type=ConnectorType.PROVIDER)
    assert found is PROVIDERS[connector_id]
    assert found.preset.connector_id == connector_id
