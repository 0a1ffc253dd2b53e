"""ModelMesh finds the installed distribution: it lists modelmesh.latency-first.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_latency_first.connector import LatencyFirstRotation


class TestInstalledLatencyFirstRotation(InstalledConnectorTests):
    connector_id = "modelmesh.latency-first.v1"
    connector_class = LatencyFirstRotation
    distribution = "modelmesh-plugin-latency-first"
    # The README's snippet.
    config = """\
pools:
  chat:
    capability: chat-completion
    strategy: modelmesh.latency-first.v1
    deactivation:
      retry_limit: 2
    recovery:
      cooldown: 2m
"""
