"""Records handed to a Python callable.

The ModelMesh observability connector modelmesh.callback.v1.
"""

from modelmesh_plugin_callback.connector import CallbackObservability

__all__ = ["CallbackObservability"]
__version__ = "0.1.0"
