"""ModelMesh finds the installed distribution: it lists modelmesh.console.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_console.connector import ConsoleObservability


class TestInstalledConsoleObservability(InstalledConnectorTests):
    connector_id = "modelmesh.console.v1"
    connector_class = ConsoleObservability
    distribution = "modelmesh-plugin-console"
    # The README's snippet.
    config = """\
observability:
  connector: modelmesh.console.v1
  stream: stdout
  prefix: "[gateway]"
"""
