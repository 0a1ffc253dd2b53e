"""Registers modelmesh.json-log.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.json-log.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_json_log.connector import JsonLogObservability


@modelmesh.hookimpl
def modelmesh_register_observability(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.json-log.v1", JsonLogObservability)
