"""Registers modelmesh.session-stickiness.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.session-stickiness.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_session_stickiness.connector import SessionStickinessRotation


@modelmesh.hookimpl
def modelmesh_register_rotation_policies(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.session-stickiness.v1", SessionStickinessRotation)
