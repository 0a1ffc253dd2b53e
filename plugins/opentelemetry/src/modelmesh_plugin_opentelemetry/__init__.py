"""An OpenTelemetry span per request and per attempt.

The ModelMesh observability connector modelmesh.opentelemetry.v1.
"""

from modelmesh_plugin_opentelemetry.connector import OpentelemetryObservability

__all__ = ["OpentelemetryObservability"]
__version__ = "0.1.0"
