"""Registers modelmesh.dotenv.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.dotenv.v1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_dotenv.connector import DotenvSecretStore


@modelmesh.hookimpl
def modelmesh_register_secret_stores(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.dotenv.v1", DotenvSecretStore)
