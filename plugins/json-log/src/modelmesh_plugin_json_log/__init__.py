"""One JSON object per record, to a file or a stream.

The ModelMesh observability connector modelmesh.json-log.v1.
"""

from modelmesh_plugin_json_log.connector import JsonLogObservability

__all__ = ["JsonLogObservability"]
__version__ = "0.1.0"
