"""Keeps rate-limit headroom by switching, delaying or queueing requests.

The ModelMesh rotation connector modelmesh.rate-limit-aware.v1.
"""

from modelmesh_plugin_rate_limit_aware.connector import RateLimitAwareRotation

__all__ = ["RateLimitAwareRotation"]
__version__ = "0.1.0"
