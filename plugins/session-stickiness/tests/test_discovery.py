"""ModelMesh finds the installed distribution: it lists modelmesh.session-stickiness.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_session_stickiness.connector import SessionStickinessRotation


class TestInstalledSessionStickinessRotation(InstalledConnectorTests):
    connector_id = "modelmesh.session-stickiness.v1"
    connector_class = SessionStickinessRotation
    distribution = "modelmesh-plugin-session-stickiness"
    # The README's snippet.
    config = """\
pools:
  chat:
    capability: chat-completion
    strategy: modelmesh.session-stickiness.v1
    deactivation:
      retry_limit: 2
    recovery:
      cooldown: 2m
"""
