"""Registers modelmesh.health-monitor.v1 with ModelMesh.

The entry point in pyproject.toml names this module; ModelMesh imports it only when a
configuration asks for modelmesh.health-monitor.v1.
"""

from collections.abc import Callable
from typing import Any

import modelmesh
from modelmesh_plugin_health_monitor.connector import HealthMonitorDiscovery


@modelmesh.hookimpl
def modelmesh_register_discovery(register: Callable[[str, Any], None]) -> None:
    register("modelmesh.health-monitor.v1", HealthMonitorDiscovery)
