"""RegistrySyncDiscovery passes ModelMesh's standard discovery tests,
against the kit's fake upstream."""

from modelmesh.interfaces.discovery import DiscoveryConnector
from modelmesh_cdk.testing.suites import DiscoveryTests
from modelmesh_plugin_registry_sync.connector import RegistrySyncDiscovery


class TestRegistrySyncDiscovery(DiscoveryTests):
    connector_class = RegistrySyncDiscovery

    def register_provider(
        self, discovery: DiscoveryConnector, provider_id: str, upstream_url: str
    ) -> None:
        assert isinstance(discovery, RegistrySyncDiscovery)
        discovery.register_provider_url(provider_id, f"{upstream_url}/v1/models")
