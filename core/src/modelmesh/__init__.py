"""ModelMesh: capability-driven AI model routing with automatic failover.

Importing this package is cheap on purpose: it touches no network, reads no
package metadata and imports no plugin. Heavier names are loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "AsyncMeshClient",
    "ConnectorRegistry",
    "ConnectorType",
    "MeshClient",
    "MeshConfig",
    "ModelMesh",
    "__version__",
    "create",
    "hookimpl",
    "load_config",
]

_LAZY = {
    "AsyncMeshClient": ("modelmesh.client", "AsyncMeshClient"),
    "MeshClient": ("modelmesh.client", "MeshClient"),
    "MeshConfig": ("modelmesh.config.schema", "MeshConfig"),
    "ModelMesh": ("modelmesh.mesh", "ModelMesh"),
    "create": ("modelmesh.client", "create"),
    "ConnectorRegistry": ("modelmesh.registry", "ConnectorRegistry"),
    "ConnectorType": ("modelmesh.interfaces.connector", "ConnectorType"),
    "hookimpl": ("modelmesh.hookspecs", "hookimpl"),
    "load_config": ("modelmesh.config", "load_config"),
}

if TYPE_CHECKING:
    from modelmesh.client import AsyncMeshClient, MeshClient, create
    from modelmesh.config import load_config
    from modelmesh.config.schema import MeshConfig
    from modelmesh.hookspecs import hookimpl
    from modelmesh.interfaces.connector import ConnectorType
    from modelmesh.mesh import ModelMesh
    from modelmesh.registry import ConnectorRegistry


def __getattr__(name: str) -> Any:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'modelmesh' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value
