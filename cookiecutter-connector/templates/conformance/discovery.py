"""{{ cookiecutter.__class_name }} passes ModelMesh's standard discovery tests,
against the kit's fake upstream."""

from modelmesh.interfaces.discovery import DiscoveryConnector
from modelmesh_cdk.testing.suites import DiscoveryTests
from {{ cookiecutter.__package_name }}.connector import {{ cookiecutter.__class_name }}


class Test{{ cookiecutter.__class_name }}(DiscoveryTests):
    connector_class = {{ cookiecutter.__class_name }}

    def register_provider(
        self, discovery: DiscoveryConnector, provider_id: str, upstream_url: str
    ) -> None:
        assert isinstance(discovery, {{ cookiecutter.__class_name }})
        discovery.register_provider_url(provider_id, f"{upstream_url}/v1/models")
