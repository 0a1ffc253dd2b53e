"""Secrets from a JSON file, optionally scoped to a nested object.

The ModelMesh secret store connector modelmesh.json-secrets.v1.
"""

from __future__ import annotations

from modelmesh_plugin_json_secrets.connector import JsonSecretsSecretStore

__all__ = ["JsonSecretsSecretStore"]
__version__ = "0.1.0"
