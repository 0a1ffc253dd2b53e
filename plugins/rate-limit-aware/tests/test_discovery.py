"""ModelMesh finds the installed distribution: it lists modelmesh.rate-limit-aware.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_rate_limit_aware.connector import RateLimitAwareRotation


class TestInstalledRateLimitAwareRotation(InstalledConnectorTests):
    connector_id = "modelmesh.rate-limit-aware.v1"
    connector_class = RateLimitAwareRotation
    distribution = "modelmesh-plugin-rate-limit-aware"
    # The README's snippet.
    config = """\
pools:
  chat:
    capability: chat-completion
    strategy: modelmesh.rate-limit-aware.v1
    deactivation:
      retry_limit: 2
    recovery:
      cooldown: 2m
"""
