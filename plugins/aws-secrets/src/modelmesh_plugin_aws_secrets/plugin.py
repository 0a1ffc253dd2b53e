"""Registers aws.secrets-manager.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for aws.secrets-manager.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_aws_secrets.connector import AwsSecretsSecretStore


@modelmesh.hookimpl
def modelmesh_register_secret_stores(register: Callable[[str, Any], None]) -> None:
    register("aws.secrets-manager.v1", AwsSecretsSecretStore)
