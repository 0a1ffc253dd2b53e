"""ModelMesh finds the installed distribution: it lists modelmesh.null.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_null_sink.connector import NullSinkObservability


class TestInstalledNullSinkObservability(InstalledConnectorTests):
    connector_id = "modelmesh.null.v1"
    connector_class = NullSinkObservability
    distribution = "modelmesh-plugin-null-sink"
    # The README's snippet.
    config = """\
observability:
  connector: modelmesh.null.v1
"""
