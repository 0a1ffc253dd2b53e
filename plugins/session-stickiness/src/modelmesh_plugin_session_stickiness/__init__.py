"""Keeps each session on one model, with expiry and fallback.

The ModelMesh rotation connector modelmesh.session-stickiness.v1.
"""

from modelmesh_plugin_session_stickiness.connector import SessionStickinessRotation

__all__ = ["SessionStickinessRotation"]
__version__ = "0.1.0"
