"""ModelMesh finds the installed distribution: it lists modelmesh.json-secrets.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from pathlib import Path

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_json_secrets.connector import JsonSecretsSecretStore


class TestInstalledJsonSecretsSecretStore(InstalledConnectorTests):
    connector_id = "modelmesh.json-secrets.v1"
    connector_class = JsonSecretsSecretStore
    distribution = "modelmesh-plugin-json-secrets"
    # The README's snippet.
    config = """\
secrets:
  store: modelmesh.json-secrets.v1
  file_path: secrets.json
  cache_ttl: 5m
providers:
  openai:
    connector: openai.llm.v1
    api_key: ${secrets:OPENAI_API_KEY}  # read from the store
"""

    def prepare(self, workdir: Path) -> None:
        (workdir / "secrets.json").write_text('{"OPENAI_API_KEY": "sk-example"}', encoding="utf-8")
