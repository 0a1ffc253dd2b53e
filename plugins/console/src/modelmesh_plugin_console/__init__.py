"""Coloured, human-readable records on the terminal.

The ModelMesh observability connector modelmesh.console.v1.
"""

from modelmesh_plugin_console.connector import ConsoleObservability

__all__ = ["ConsoleObservability"]
__version__ = "0.1.0"
