"""Registers modelmesh.file.v1, and its alias modelmesh.local-file.v1, with ModelMesh.

The entry points in pyproject.toml name this module; ModelMesh imports it only when a
configuration asks for one of these IDs. The alias is an observability ID only: the
registry keys connectors by type and ID, so storage's modelmesh.local-file.v1 (the
file-storage plugin) is a different connector.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_file_sink.connector import FileSinkObservability


@modelmesh.hookimpl
def modelmesh_register_observability(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.file.v1", FileSinkObservability)
    register("modelmesh.local-file.v1", FileSinkObservability)
