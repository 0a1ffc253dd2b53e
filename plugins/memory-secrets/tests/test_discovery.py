"""ModelMesh finds the installed distribution: it lists modelmesh.memory-secrets.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_memory_secrets.connector import MemorySecretsSecretStore


class TestInstalledMemorySecretsSecretStore(InstalledConnectorTests):
    connector_id = "modelmesh.memory-secrets.v1"
    connector_class = MemorySecretsSecretStore
    distribution = "modelmesh-plugin-memory-secrets"
    # The README's snippet.
    config = """\
secrets:
  store: modelmesh.memory-secrets.v1
  cache_ttl: 5m
providers:
  openai:
    connector: openai.llm.v1
    api_key: ${secrets:OPENAI_API_KEY}  # read from the store
"""
