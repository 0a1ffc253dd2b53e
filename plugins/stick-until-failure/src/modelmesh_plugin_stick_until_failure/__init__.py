"""Keeps serving one model until it fails, then moves to the next in pool order.

The ModelMesh rotation connector modelmesh.stick-until-failure.v1.
"""

from modelmesh_plugin_stick_until_failure.connector import StickUntilFailureRotation

__all__ = ["StickUntilFailureRotation"]
__version__ = "0.1.0"
