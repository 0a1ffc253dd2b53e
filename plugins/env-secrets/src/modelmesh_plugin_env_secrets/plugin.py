"""Registers modelmesh.env.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.env.v1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_env_secrets.connector import EnvSecretsSecretStore


@modelmesh.hookimpl
def modelmesh_register_secret_stores(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.env.v1", EnvSecretsSecretStore)
