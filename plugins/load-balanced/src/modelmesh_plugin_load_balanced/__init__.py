"""Spreads requests at random, weighted by each model's rate-limit headroom.

The ModelMesh rotation connector modelmesh.load-balanced.v1.
"""

from modelmesh_plugin_load_balanced.connector import LoadBalancedRotation

__all__ = ["LoadBalancedRotation"]
__version__ = "0.1.0"
