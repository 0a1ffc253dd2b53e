"""A minimal storage written against the core interface passes the storage suite."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from modelmesh.clock import SYSTEM_CLOCK, Clock, ManualClock
from modelmesh.interfaces.storage import (
    EntryMetadata,
    LockHandle,
    Locking,
    StorageConnector,
    StorageEntry,
)
from modelmesh_cdk.testing.suites import StorageTests


class DictStorage(StorageConnector, Locking):
    def __init__(self, options: Mapping[str, Any], *, clock: Clock = SYSTEM_CLOCK) -> None:
        self._entries: dict[str, tuple[StorageEntry, datetime]] = {}
        self._locks: dict[str, LockHandle] = {}
        self._clock = clock
        self._ttl = timedelta(seconds=options.get("lock_ttl", 10))

    async def load(self, key: str) -> StorageEntry | None:
        stored = self._entries.get(key)
        return None if stored is None else stored[0]

    async def save(self, key: str, entry: StorageEntry) -> None:
        copy = StorageEntry(key, entry.data, dict(entry.metadata))
        self._entries[key] = (copy, self._clock.now())

    async def list(self, prefix: str | None = None) -> list[str]:
        return [key for key in self._entries if key.startswith(prefix or "")]

    async def delete(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    async def stat(self, key: str) -> EntryMetadata | None:
        stored = self._entries.get(key)
        return None if stored is None else EntryMetadata(key, len(stored[0].data), stored[1])

    async def exists(self, key: str) -> bool:
        return key in self._entries

    async def acquire(self, key: str, timeout: float | None = None) -> LockHandle:
        deadline = self._clock.monotonic() + (timeout if timeout is not None else 30)
        while await self.is_locked(key):
            if self._clock.monotonic() >= deadline:
                raise TimeoutError(key)
            await self._clock.sleep(0.01)
        now = self._clock.now()
        self._locks[key] = LockHandle(key, uuid.uuid4().hex, now, now + self._ttl)
        return self._locks[key]

    async def release(self, lock: LockHandle) -> None:
        if self._locks.get(lock.key) == lock:
            del self._locks[lock.key]

    async def is_locked(self, key: str) -> bool:
        lock = self._locks.get(key)
        expires_at = None if lock is None else lock.expires_at
        return expires_at is not None and expires_at > self._clock.now()


class TestDictStorage(StorageTests):
    connector_class = DictStorage

    @property
    def clock(self) -> ManualClock:
        return ManualClock()


class TestDictStorageOnTheRealClock(StorageTests):
    """Without a ManualClock, the suite waits for a lock of a short life to expire."""

    connector_class = DictStorage

    def connector_options(self, workdir: Path) -> dict[str, Any]:
        return {"lock_ttl": 0.15}
