"""JSON lines in a local file, rotated by size.

The ModelMesh observability connector modelmesh.file.v1 (alias modelmesh.local-file.v1).
"""

from modelmesh_plugin_file_sink.connector import FileSinkObservability

__all__ = ["FileSinkObservability"]
__version__ = "0.1.0"
