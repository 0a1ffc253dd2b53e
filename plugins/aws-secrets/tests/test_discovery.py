"""ModelMesh finds the installed distribution: it lists aws.secrets-manager.v1 from
metadata, loads it by its ID, and builds it from the README's configuration.

These tests need the distribution installed (``pip install -e ".[test]"``): the entry
point in pyproject.toml is what ModelMesh reads.
"""

from modelmesh_cdk.testing.suites import InstalledConnectorTests
from modelmesh_plugin_aws_secrets.connector import AwsSecretsSecretStore


class TestInstalledAwsSecretsSecretStore(InstalledConnectorTests):
    connector_id = "aws.secrets-manager.v1"
    connector_class = AwsSecretsSecretStore
    distribution = "modelmesh-plugin-aws-secrets"
    # The README's snippet.
    config = """\
secrets:
  store: aws.secrets-manager.v1
  cache_ttl: 5m
  region: us-east-1
  prefix: modelmesh/
providers:
  openai:
    connector: openai.llm.v1
    api_key: ${secrets:OPENAI_API_KEY}  # read from the store
"""
