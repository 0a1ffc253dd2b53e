"""ModelMesh finds the installed distribution: it lists anthropic.claude.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_anthropic.connector import AnthropicProvider


class TestInstalledAnthropicProvider(InstalledConnectorTests):
    connector_id = "anthropic.claude.v1"
    connector_class = AnthropicProvider
    distribution = "modelmesh-plugin-anthropic"
    # The README's snippet.
    config = """\
providers:
  anthropic:
    connector: anthropic.claude.v1
    api_key: ${secrets:ANTHROPIC_API_KEY}
"""
