"""Discards every record: the default observability sink.

The ModelMesh observability connector modelmesh.null.v1.
"""

from modelmesh_plugin_null_sink.connector import NullSinkObservability

__all__ = ["NullSinkObservability"]
__version__ = "0.1.0"
