"""RedisStorage passes ModelMesh's standard storage tests against a real redis-server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from modelmesh_cdk.testing.suites import StorageTests
from modelmesh_plugin_redis.connector import RedisStorage


class TestRedisStorage(StorageTests):
    connector_class = RedisStorage
    # Redis expires locks on its own clock, so the kit's expiry test waits in real time:
    # a lock lives 0.15s, longer than the 0.05s the timeout test waits.
    lock_ttl = "150ms"
    extra_options: dict[str, Any] = {}

    @pytest.fixture(autouse=True)
    def _server(self, redis_url: str) -> None:
        self.url = redis_url

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        # A prefix of its own makes each store fresh and empty on the shared server.
        return {
            "url": self.url,
            "key_prefix": f"conformance-{uuid.uuid4().hex}:",
            "lock_ttl_seconds": self.lock_ttl,
            "lock_retry_interval_seconds": "10ms",
            **self.extra_options,
        }


class TestRedisStorageMsgpackCompressed(TestRedisStorage):
    extra_options = {"format": "msgpack", "compression": True}


class TestRedisStorageYaml(TestRedisStorage):
    extra_options = {"format": "yaml"}
