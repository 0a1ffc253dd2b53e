"""Registers modelmesh.cost-first.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.cost-first.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_cost_first.connector import CostFirstRotation


@modelmesh.hookimpl
def modelmesh_register_rotation_policies(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.cost-first.v1", CostFirstRotation)
