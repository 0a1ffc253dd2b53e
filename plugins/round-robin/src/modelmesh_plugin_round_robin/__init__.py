"""Cycles evenly through the active models of a pool.

The ModelMesh rotation connector modelmesh.round-robin.v1.
"""

from modelmesh_plugin_round_robin.connector import RoundRobinRotation

__all__ = ["RoundRobinRotation"]
__version__ = "0.1.0"
