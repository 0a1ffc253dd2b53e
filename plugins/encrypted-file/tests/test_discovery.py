"""ModelMesh finds the installed distribution: it lists modelmesh.encrypted-file.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_encrypted_file.connector import EncryptedFileSecretStore


class TestInstalledEncryptedFileSecretStore(InstalledConnectorTests):
    connector_id = "modelmesh.encrypted-file.v1"
    connector_class = EncryptedFileSecretStore
    distribution = "modelmesh-plugin-encrypted-file"
    # The README's snippet.
    config = """\
secrets:
  store: modelmesh.encrypted-file.v1
  cache_ttl: 5m
  file_path: secrets.enc.json
  passphrase: a passphrase from the environment in real use
providers:
  openai:
    connector: openai.llm.v1
    api_key: ${secrets:OPENAI_API_KEY}  # read from the store
"""
