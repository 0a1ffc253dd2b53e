"""Serves the highest-priority active model, with a fallback strategy.

The ModelMesh rotation connector modelmesh.priority-selection.v1.
"""

from modelmesh_plugin_priority_selection.connector import PrioritySelectionRotation

__all__ = ["PrioritySelectionRotation"]
__version__ = "0.1.0"
