"""Secrets in AWS Secrets Manager.

The ModelMesh secret store connector aws.secrets-manager.v1.
"""

from modelmesh_plugin_aws_secrets.connector import AwsSecretsSecretStore

__all__ = ["AwsSecretsSecretStore"]
__version__ = "0.1.0"
