"""ModelMesh finds the installed distribution: it lists modelmesh.stick-until-failure.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_stick_until_failure.connector import StickUntilFailureRotation


class TestInstalledStickUntilFailureRotation(InstalledConnectorTests):
    connector_id = "modelmesh.stick-until-failure.v1"
    connector_class = StickUntilFailureRotation
    distribution = "modelmesh-plugin-stick-until-failure"
    # The README's snippet.
    config = """\
pools:
  chat:
    capability: chat-completion
    strategy: modelmesh.stick-until-failure.v1
    deactivation:
      retry_limit: 2
    recovery:
      cooldown: 2m
"""
