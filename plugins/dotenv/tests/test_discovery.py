"""ModelMesh finds the installed distribution: it lists modelmesh.dotenv.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from pathlib import Path

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_dotenv.connector import DotenvSecretStore


class TestInstalledDotenvSecretStore(InstalledConnectorTests):
    connector_id = "modelmesh.dotenv.v1"
    connector_class = DotenvSecretStore
    distribution = "modelmesh-plugin-dotenv"
    # The README's snippet.
    config = """\
secrets:
  store: modelmesh.dotenv.v1
  cache_ttl: 5m
providers:
  openai:
    connector: openai.llm.v1
    api_key: ${secrets:OPENAI_API_KEY}  # read from the store
"""

    def prepare(self, workdir: Path) -> None:
        # The store reads ./.env by default.
        (workdir / ".env").write_text("OPENAI_API_KEY=sk-example\n", encoding="utf-8")
