"""Storage in a local SQLite database with cross-process locks.

The ModelMesh storage connector modelmesh.sqlite.v1.
"""

from __future__ import annotations

from modelmesh_plugin_sqlite.connector import SQLiteStorage

__all__ = ["SQLiteStorage"]
__version__ = "0.1.0"
