"""Probes providers cheaply and deactivates and recovers them.

The ModelMesh discovery connector modelmesh.health-monitor.v1.
"""

from modelmesh_plugin_health_monitor.connector import HealthMonitorDiscovery

__all__ = ["HealthMonitorDiscovery"]
__version__ = "0.1.0"
