"""ModelMesh finds the installed distribution: it lists modelmesh.sqlite.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_sqlite.connector import SQLiteStorage


class TestInstalledSQLiteStorage(InstalledConnectorTests):
    connector_id = "modelmesh.sqlite.v1"
    connector_class = SQLiteStorage
    distribution = "modelmesh-plugin-sqlite"
    # The README's snippet.
    config = """\
storage:
  connector: modelmesh.sqlite.v1
  sync_policy: periodic
  sync_interval: 5m
"""
