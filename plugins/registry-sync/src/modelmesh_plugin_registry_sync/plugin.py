"""Registers modelmesh.registry-sync.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.registry-sync.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_registry_sync.connector import RegistrySyncDiscovery


@modelmesh.hookimpl
def modelmesh_register_discovery(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.registry-sync.v1", RegistrySyncDiscovery)
