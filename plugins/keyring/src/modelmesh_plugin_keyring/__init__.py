"""Secrets in the operating system keyring (macOS Keychain, Windows Credential Locker,
Secret Service).

The ModelMesh secret store connector modelmesh.keyring.v1.
"""

from modelmesh_plugin_keyring.connector import KeyringSecretStore

__all__ = ["KeyringSecretStore"]
__version__ = "0.1.0"
