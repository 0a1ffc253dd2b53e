"""A dict-backed storage that records every call, so tests see when state touches it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from modelmesh.clock import ManualClock
from modelmesh.interfaces.storage import (
    EntryMetadata,
    LockHandle,
    Locking,
    StorageConnector,
    StorageEntry,
)


class RecordingStorage(StorageConnector):
    """Entries in a dict; ``calls`` lists the method names in call order."""

    def __init__(self) -> None:
        self.entries: dict[str, StorageEntry] = {}
        self.calls: list[str] = []
        self.fail_saves = False

    async def load(self, key: str) -> StorageEntry | None:
        self.calls.append("load")
        return self.entries.get(key)

    async def save(self, key: str, entry: StorageEntry) -> None:
        self.calls.append("save")
        if self.fail_saves:
            raise OSError("disk full")
        self.entries[key] = entry

    async def list(self, prefix: str | None = None) -> list[str]:
        self.calls.append("list")
        return [key for key in self.entries if prefix is None or key.startswith(prefix)]

    async def delete(self, key: str) -> bool:
        self.calls.append("delete")
        return self.entries.pop(key, None) is not None

    async def stat(self, key: str) -> EntryMetadata | None:
        self.calls.append("stat")
        entry = self.entries.get(key)
        if entry is None:
            return None
        return EntryMetadata(key, len(entry.data), datetime(2026, 1, 1, tzinfo=UTC))

    async def exists(self, key: str) -> bool:
        self.calls.append("exists")
        return key in self.entries


class LockingStorage(RecordingStorage, Locking):
    """RecordingStorage with a lock that is either free or held (no waiting)."""

    def __init__(self) -> None:
        super().__init__()
        self.holder: str | None = None

    async def acquire(self, key: str, timeout: float | None = None) -> LockHandle:
        self.calls.append("acquire")
        if self.holder is not None:
            raise TimeoutError(f"{key} is locked")
        self.holder = uuid.uuid4().hex
        return LockHandle(key, self.holder, datetime(2026, 1, 1, tzinfo=UTC))

    async def release(self, lock: LockHandle) -> None:
        self.calls.append("release")
        assert lock.lock_id == self.holder
        self.holder = None

    async def is_locked(self, key: str) -> bool:
        return self.holder is not None


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 31, 23, 0, tzinfo=UTC))


@pytest.fixture
def storage() -> LockingStorage:
    return LockingStorage()


@pytest.fixture
def plain_storage() -> RecordingStorage:
    """A storage without locking."""
    return RecordingStorage()
