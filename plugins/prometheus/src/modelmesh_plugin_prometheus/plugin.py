"""Registers modelmesh.prometheus.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.prometheus.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_prometheus.connector import PrometheusObservability


@modelmesh.hookimpl
def modelmesh_register_observability(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.prometheus.v1", PrometheusObservability)
