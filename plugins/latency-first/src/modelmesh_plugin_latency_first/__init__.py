"""Serves the active model with the lowest recent mean latency.

The ModelMesh rotation connector modelmesh.latency-first.v1.
"""

from modelmesh_plugin_latency_first.connector import LatencyFirstRotation

__all__ = ["LatencyFirstRotation"]
__version__ = "0.1.0"
