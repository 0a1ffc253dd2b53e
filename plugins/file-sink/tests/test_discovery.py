"""ModelMesh finds the installed distribution: it lists modelmesh.file.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_file_sink.connector import FileSinkObservability


class TestInstalledFileSinkObservability(InstalledConnectorTests):
    connector_id = "modelmesh.file.v1"
    connector_class = FileSinkObservability
    distribution = "modelmesh-plugin-file-sink"
    # The README's snippet.
    config = """\
observability:
  connector: modelmesh.file.v1
  path: modelmesh-records.jsonl
  max_bytes: 10485760
  backups: 5
"""
