"""ModelMesh finds the installed distribution: it lists modelmesh.registry-sync.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_registry_sync.connector import RegistrySyncDiscovery


class TestInstalledRegistrySyncDiscovery(InstalledConnectorTests):
    connector_id = "modelmesh.registry-sync.v1"
    connector_class = RegistrySyncDiscovery
    distribution = "modelmesh-plugin-registry-sync"
    # The README's snippet.
    config = """\
discovery:
  connectors:
    - connector: modelmesh.registry-sync.v1
      provider_urls:
        openai: https://api.openai.com/v1/models
"""
