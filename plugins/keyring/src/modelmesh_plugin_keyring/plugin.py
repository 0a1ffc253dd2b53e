"""Registers modelmesh.keyring.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.keyring.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_keyring.connector import KeyringSecretStore


@modelmesh.hookimpl
def modelmesh_register_secret_stores(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.keyring.v1", KeyringSecretStore)
