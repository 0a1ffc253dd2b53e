"""Real storage connectors, built through the registry as a configuration would build
them, and one throwaway redis-server for the session when it is installed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelmesh.registry import ConnectorRegistry, ConnectorType
from modelmesh_cdk.testing.redis_server import redis_url  # noqa: F401 - a fixture

BACKENDS = ["memory", "file", "sqlite", "redis"]

OpenStorage = Callable[[], Any]


@pytest.fixture(params=BACKENDS)
def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStorage:
    """``open_storage()`` -> a new connector on the same store, as another process would
    open it (the memory store, which lives in one object, returns that object)."""
    registry = ConnectorRegistry()
    backend = request.param
    if backend == "memory":
        shared = registry.create("modelmesh.memory.v1", {})
        return lambda: shared
    if backend == "file":
        options: dict[str, Any] = {"path": str(tmp_path / "state")}
        connector_id = "modelmesh.local-file.v1"
    elif backend == "sqlite":
        options = {"path": str(tmp_path / "state.db")}
        connector_id = "modelmesh.sqlite.v1"
    else:
        url = request.getfixturevalue("redis_url")
        options = {"url": url, "key_prefix": f"test-{uuid.uuid4().hex}:"}
        connector_id = "redis.redis.v1"
    return lambda: registry.create(connector_id, options, connector_type=ConnectorType.STORAGE)
