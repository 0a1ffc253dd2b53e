"""Records posted in batches to an HTTP endpoint, never blocking a request.

The ModelMesh observability connector modelmesh.webhook.v1.
"""

from modelmesh_plugin_webhook.connector import WebhookObservability

__all__ = ["WebhookObservability"]
__version__ = "0.1.0"
