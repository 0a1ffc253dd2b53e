"""In-memory storage for state that lives as long as the process.

The ModelMesh storage connector modelmesh.memory.v1.
"""

from __future__ import annotations

from modelmesh_plugin_memory_storage.connector import MemoryStorage

__all__ = ["MemoryStorage"]
__version__ = "0.1.0"
