"""ModelMesh finds the installed distribution: it lists modelmesh.json-log.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_json_log.connector import JsonLogObservability


class TestInstalledJsonLogObservability(InstalledConnectorTests):
    connector_id = "modelmesh.json-log.v1"
    connector_class = JsonLogObservability
    distribution = "modelmesh-plugin-json-log"
    # The README's snippet.
    config = """\
observability:
  connector: modelmesh.json-log.v1
  path: modelmesh-events.jsonl
"""
