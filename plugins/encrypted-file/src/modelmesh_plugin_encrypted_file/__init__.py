"""Secrets in an AES-256-GCM encrypted JSON file, unlocked by a passphrase or a raw key.

The ModelMesh secret store connector modelmesh.encrypted-file.v1.
"""

from modelmesh_plugin_encrypted_file.connector import EncryptedFileSecretStore

__all__ = ["EncryptedFileSecretStore"]
__version__ = "0.1.0"
