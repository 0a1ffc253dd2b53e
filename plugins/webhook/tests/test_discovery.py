"""ModelMesh finds the installed distribution: it lists modelmesh.webhook.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_webhook.connector import WebhookObservability


class TestInstalledWebhookObservability(InstalledConnectorTests):
    connector_id = "modelmesh.webhook.v1"
    connector_class = WebhookObservability
    distribution = "modelmesh-plugin-webhook"
    # The README's snippet.
    config = """\
observability:
  connector: modelmesh.webhook.v1
  url: https://hooks.example.com/modelmesh
  batch_size: 50
"""
