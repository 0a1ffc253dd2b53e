"""Registers modelmesh.callback.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.callback.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_callback.connector import CallbackObservability


@modelmesh.hookimpl
def modelmesh_register_observability(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.callback.v1", CallbackObservability)
