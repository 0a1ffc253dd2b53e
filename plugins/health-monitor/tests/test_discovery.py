"""ModelMesh finds the installed distribution: it lists modelmesh.health-monitor.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_health_monitor.connector import HealthMonitorDiscovery


class TestInstalledHealthMonitorDiscovery(InstalledConnectorTests):
    connector_id = "modelmesh.health-monitor.v1"
    connector_class = HealthMonitorDiscovery
    distribution = "modelmesh-plugin-health-monitor"
    # The README's snippet.
    config = """\
discovery:
  connectors:
    - connector: modelmesh.health-monitor.v1
      provider_urls:
        openai: https://api.openai.com/v1/models
"""
