"""Secrets from a .env file.

The ModelMesh secret store connector modelmesh.dotenv.v1.
"""

from __future__ import annotations

from modelmesh_plugin_dotenv.connector import DotenvSecretStore

__all__ = ["DotenvSecretStore"]
__version__ = "0.1.0"
