"""ModelMesh finds the installed distribution: it lists google.gemini.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_gemini.connector import GeminiProvider


class TestInstalledGeminiProvider(InstalledConnectorTests):
    connector_id = "google.gemini.v1"
    connector_class = GeminiProvider
    distribution = "modelmesh-plugin-gemini"
    # The README's snippet.
    config = """\
providers:
  google:
    connector: google.gemini.v1
    api_key: ${secrets:GEMINI_API_KEY}
"""
