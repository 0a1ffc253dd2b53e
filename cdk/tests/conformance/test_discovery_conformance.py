"""HttpHealthDiscovery passes the standard discovery suite."""

from __future__ import annotations

from modelmesh.interfaces.discovery import DiscoveryConnector
from modelmesh_cdk.base.discovery import HttpHealthDiscovery
from modelmesh_cdk.testing.suites import DiscoveryTests


class TestHttpHealthDiscovery(DiscoveryTests):
    connector_class = HttpHealthDiscovery

    def register_provider(
        self, discovery: DiscoveryConnector, provider_id: str, upstream_url: str
    ) -> None:
        assert isinstance(discovery, HttpHealthDiscovery)
        discovery.register_provider_url(provider_id, f"{upstream_url}/v1/models")
