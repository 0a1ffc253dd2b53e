"""Secrets from the process environment, the default store.

The ModelMesh secret store connector modelmesh.env.v1.
"""

from __future__ import annotations

from modelmesh_plugin_env_secrets.connector import EnvSecretsSecretStore

__all__ = ["EnvSecretsSecretStore"]
__version__ = "0.1.0"
