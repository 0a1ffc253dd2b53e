"""Storage in a local directory, one atomically written file per key.

The ModelMesh storage connector modelmesh.local-file.v1.
"""

from __future__ import annotations

from modelmesh_plugin_file_storage.connector import LocalFileStorage

__all__ = ["LocalFileStorage"]
__version__ = "0.1.0"
