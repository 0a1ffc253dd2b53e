"""ModelMesh finds the installed distribution: it lists modelmesh.callback.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_callback.connector import CallbackObservability


class TestInstalledCallbackObservability(InstalledConnectorTests):
    connector_id = "modelmesh.callback.v1"
    connector_class = CallbackObservability
    distribution = "modelmesh-plugin-callback"
    # The README's snippet.
    config = """\
observability:
  connector: modelmesh.callback.v1
  callback: logging:debug
"""
