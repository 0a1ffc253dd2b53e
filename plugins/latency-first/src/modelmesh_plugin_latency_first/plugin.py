"""Registers modelmesh.latency-first.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.latency-first.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_latency_first.connector import LatencyFirstRotation


@modelmesh.hookimpl
def modelmesh_register_rotation_policies(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.latency-first.v1", LatencyFirstRotation)
