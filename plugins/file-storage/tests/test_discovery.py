"""ModelMesh finds the installed distribution: it lists modelmesh.local-file.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_file_storage.connector import LocalFileStorage


class TestInstalledLocalFileStorage(InstalledConnectorTests):
    connector_id = "modelmesh.local-file.v1"
    connector_class = LocalFileStorage
    distribution = "modelmesh-plugin-file-storage"
    # The README's snippet.
    config = """\
storage:
  connector: modelmesh.local-file.v1
  sync_policy: periodic
  sync_interval: 5m
"""
