"""Registers modelmesh.json-secrets.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.json-secrets.v1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_json_secrets.connector import JsonSecretsSecretStore


@modelmesh.hookimpl
def modelmesh_register_secret_stores(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.json-secrets.v1", JsonSecretsSecretStore)
