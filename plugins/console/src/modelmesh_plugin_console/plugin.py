"""Registers modelmesh.console.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.console.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_console.connector import ConsoleObservability


@modelmesh.hookimpl
def modelmesh_register_observability(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.console.v1", ConsoleObservability)
