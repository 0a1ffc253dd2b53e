"""In-memory secrets for tests and embedding.

The ModelMesh secret store connector modelmesh.memory-secrets.v1.
"""

from __future__ import annotations

from modelmesh_plugin_memory_secrets.connector import MemorySecretsSecretStore

__all__ = ["MemorySecretsSecretStore"]
__version__ = "0.1.0"
