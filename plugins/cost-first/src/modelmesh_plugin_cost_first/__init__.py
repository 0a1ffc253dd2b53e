"""Serves the cheapest active model by declared price.

The ModelMesh rotation connector modelmesh.cost-first.v1.
"""

from modelmesh_plugin_cost_first.connector import CostFirstRotation

__all__ = ["CostFirstRotation"]
__version__ = "0.1.0"
