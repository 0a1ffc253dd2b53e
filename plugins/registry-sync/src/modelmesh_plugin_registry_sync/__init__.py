"""Keeps the model registry in step with what providers list.

The ModelMesh discovery connector modelmesh.registry-sync.v1.
"""

from modelmesh_plugin_registry_sync.connector import RegistrySyncDiscovery

__all__ = ["RegistrySyncDiscovery"]
__version__ = "0.1.0"
