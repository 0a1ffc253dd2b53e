"""The six connector types as abstract interfaces with attrs value types."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The connector base classes, loaded on first use: the registry and the hook specs
# import this package, and must not pay for six modules they may never need.
# Value types are imported from their own modules (modelmesh.interfaces.provider ...).
_LAZY = {
    "ConnectorInfo": "connector",
    "ConnectorType": "connector",
    "ProviderConnector": "provider",
    "RotationPolicy": "rotation",
    "DeactivationPolicy": "rotation",
    "RecoveryPolicy": "rotation",
    "SelectionStrategy": "rotation",
    "SecretStore": "secret_store",
    "SecretManagement": "secret_store",
    "StorageConnector": "storage",
    "Locking": "storage",
    "ObservabilityConnector": "observability",
    "DiscoveryConnector": "discovery",
    "RegistrySync": "discovery",
    "HealthMonitor": "discovery",
}

__all__ = [
    "ConnectorInfo",
    "ConnectorType",
    "DeactivationPolicy",
    "DiscoveryConnector",
    "HealthMonitor",
    "Locking",
    "ObservabilityConnector",
    "ProviderConnector",
    "RecoveryPolicy",
    "RegistrySync",
    "RotationPolicy",
    "SecretManagement",
    "SecretStore",
    "SelectionStrategy",
    "StorageConnector",
]

if TYPE_CHECKING:
    from modelmesh.interfaces.connector import ConnectorInfo, ConnectorType
    from modelmesh.interfaces.discovery import DiscoveryConnector, HealthMonitor, RegistrySync
    from modelmesh.interfaces.observability import ObservabilityConnector
    from modelmesh.interfaces.provider import ProviderConnector
    from modelmesh.interfaces.rotation import (
        DeactivationPolicy,
        RecoveryPolicy,
        RotationPolicy,
        SelectionStrategy,
    )
    from modelmesh.interfaces.secret_store import SecretManagement, SecretStore
    from modelmesh.interfaces.storage import Locking, StorageConnector


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'modelmesh.interfaces' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(f"modelmesh.interfaces.{module}"), name)
    globals()[name] = value
    return value
