"""ModelMesh finds the installed distribution: it lists modelmesh.env.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_env_secrets.connector import EnvSecretsSecretStore


class TestInstalledEnvSecretsSecretStore(InstalledConnectorTests):
    connector_id = "modelmesh.env.v1"
    connector_class = EnvSecretsSecretStore
    distribution = "modelmesh-plugin-env-secrets"
    # The README's snippet.
    config = """\
secrets:
  store: modelmesh.env.v1
  cache_ttl: 5m
providers:
  openai:
    connector: openai.llm.v1
    api_key: ${secrets:OPENAI_API_KEY}  # read from the store
"""
