"""ModelMesh finds the installed distribution: it lists modelmesh.prometheus.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_prometheus.connector import PrometheusObservability


class TestInstalledPrometheusObservability(InstalledConnectorTests):
    connector_id = "modelmesh.prometheus.v1"
    connector_class = PrometheusObservability
    distribution = "modelmesh-plugin-prometheus"
    # The README's snippet.
    config = """\
observability:
  connector: modelmesh.prometheus.v1
  namespace: modelmesh
"""
