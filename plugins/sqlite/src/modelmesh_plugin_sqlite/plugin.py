"""Registers modelmesh.sqlite.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.sqlite.v1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_sqlite.connector import SQLiteStorage


@modelmesh.hookimpl
def modelmesh_register_storage(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.sqlite.v1", SQLiteStorage)
