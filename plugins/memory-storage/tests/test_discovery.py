"""ModelMesh finds the installed distribution: it lists modelmesh.memory.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_memory_storage.connector import MemoryStorage


class TestInstalledMemoryStorage(InstalledConnectorTests):
    connector_id = "modelmesh.memory.v1"
    connector_class = MemoryStorage
    distribution = "modelmesh-plugin-memory-storage"
    # The README's snippet.
    config = """\
storage:
  connector: modelmesh.memory.v1
  sync_policy: periodic
  sync_interval: 5m
"""
