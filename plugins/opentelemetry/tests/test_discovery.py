"""ModelMesh finds the installed distribution: it lists modelmesh.opentelemetry.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_opentelemetry.connector import OpentelemetryObservability


class TestInstalledOpentelemetryObservability(InstalledConnectorTests):
    connector_id = "modelmesh.opentelemetry.v1"
    connector_class = OpentelemetryObservability
    distribution = "modelmesh-plugin-opentelemetry"
    # The README's snippet.
    config = """\
observability:
  connector: modelmesh.opentelemetry.v1
  exporter: console
  service_name: checkout-api
"""

    def check_built(self, connector: OpentelemetryObservability) -> None:
        assert (connector.config.exporter, connector.config.service_name) == (
            "console",
            "checkout-api",
        )
