"""Registers modelmesh.local-file.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.local-file.v1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_file_storage.connector import LocalFileStorage


@modelmesh.hookimpl
def modelmesh_register_storage(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.local-file.v1", LocalFileStorage)
