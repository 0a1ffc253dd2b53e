"""Shared live state of models, providers and pools, and its persistence.

``StateManager`` keeps one record per model and per provider for all pools, updates them
on the request path, and persists them through a storage connector under a sync policy.
"""

from __future__ import annotations

from modelmesh.state.errors import StateError
from modelmesh.state.manager import DEFAULT_STATE_KEY, StateManager
from modelmesh.state.records import (
    ModelState,
    PoolState,
    ProviderState,
    SyncStatus,
    SystemState,
    UsageCounter,
)

__all__ = [
    "DEFAULT_STATE_KEY",
    "ModelState",
    "PoolState",
    "ProviderState",
    "StateError",
    "StateManager",
    "SyncStatus",
    "SystemState",
    "UsageCounter",
]
