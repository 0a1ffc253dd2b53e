"""Registers modelmesh.encrypted-file.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.encrypted-file.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_encrypted_file.connector import EncryptedFileSecretStore


@modelmesh.hookimpl
def modelmesh_register_secret_stores(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.encrypted-file.v1", EncryptedFileSecretStore)
