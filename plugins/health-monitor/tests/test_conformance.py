"""HealthMonitorDiscovery passes ModelMesh's standard discovery tests,
against the kit's fake upstream."""

from modelmesh.interfaces.discovery import DiscoveryConnector
from modelmesh_cdk.testing.suites import DiscoveryTests
from modelmesh_plugin_health_monitor.connector import HealthMonitorDiscovery


class TestHealthMonitorDiscovery(DiscoveryTests):
    connector_class = HealthMonitorDiscovery

    def register_provider(
        self, discovery: DiscoveryConnector, provider_id: str, upstream_url: str
    ) -> None:
        assert isinstance(discovery, HealthMonitorDiscovery)
        discovery.register_provider_url(provider_id, f"{upstream_url}/v1/models")
