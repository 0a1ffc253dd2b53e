"""The storage base class: an in-memory store with expiring advisory locks, and a
key-value store that can keep the whole store in one file.

``BaseStorage`` keeps entries in a dict and calls two hooks a backend overrides:
``_load_records`` once, before the first access, and ``_persist_records`` with the new
contents before each save or delete takes effect. A failed persist leaves the store as
it was, so memory and backend never disagree.

Locks are advisory and expire: a holder that crashes without releasing frees the key
``lock_ttl_seconds`` later, read on the injected clock.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, ClassVar

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.storage import (
    EntryMetadata,
    LockHandle,
    Locking,
    SerializationFormat,
    StorageConnector,
    StorageEntry,
)
from modelmesh_cdk.mixins.file_serializer import FileSerializerMixin
from modelmesh_cdk.options import Duration, load_options, parse_duration
from modelmesh_cdk.storage_codec import StoredEntry, record_from_stored, stored_from_record

__all__ = [
    "BaseStorage",
    "BaseStorageConfig",
    "KeyValueStorage",
    "KeyValueStorageConfig",
    "LockNotHeldError",
    "StoredEntry",
    "new_lock_handle",
    "wait_for_lock",
]

_positive = attrs.validators.gt(0)


@attrs.frozen
class BaseStorageConfig:
    """Options every storage connector shares.

    ``lock_timeout_seconds`` is how long ``acquire`` waits when called without a
    timeout, ``lock_ttl_seconds`` how long an unreleased lock lives, and
    ``lock_retry_interval_seconds`` how often a waiting ``acquire`` tries again.
    """

    format: SerializationFormat = attrs.field(
        default=SerializationFormat.JSON, converter=SerializationFormat
    )
    compression: bool = False
    locking_enabled: bool = True
    lock_timeout_seconds: Duration = attrs.field(default=30.0, converter=parse_duration)
    lock_ttl_seconds: Duration = attrs.field(
        default=30.0, converter=parse_duration, validator=_positive
    )
    lock_retry_interval_seconds: Duration = attrs.field(
        default=1.0, converter=parse_duration, validator=_positive
    )


class LockNotHeldError(RuntimeError):
    """A lock was released that its holder no longer holds (released or expired)."""


class BaseStorage(StorageConnector, Locking):
    """Entries in memory, inventory, stat and expiring advisory locks, all safe under
    concurrent tasks; a backend overrides ``_load_records`` and ``_persist_records``."""

    config_class: ClassVar[type[BaseStorageConfig]] = BaseStorageConfig

    def __init__(
        self,
        config: BaseStorageConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self._clock = clock or SYSTEM_CLOCK
        self._records: dict[str, StoredEntry] | None = None
        self._locks: dict[str, LockHandle] = {}
        self._mutex = asyncio.Lock()

    # Backend hooks

    async def _load_records(self) -> dict[str, StoredEntry]:
        """The stored entries, read once before the first access; empty in memory."""
        return {}

    async def _persist_records(self, records: Mapping[str, StoredEntry]) -> None:
        """Make ``records`` the stored contents; raising cancels the change. A no-op
        in memory."""

    # Persistence, inventory, stat

    async def _current(self) -> dict[str, StoredEntry]:
        """The records, loaded on first use; call with the mutex held."""
        if self._records is None:
            self._records = await self._load_records()
        return self._records

    async def load(self, key: str) -> StorageEntry | None:
        async with self._mutex:
            record = (await self._current()).get(key)
        return None if record is None else _copy(record.entry)

    async def save(self, key: str, entry: StorageEntry) -> None:
        stored = StoredEntry(_copy(attrs.evolve(entry, key=key)), self._clock.now())
        async with self._mutex:
            records = {**(await self._current()), key: stored}
            await self._persist_records(records)
            self._records = records

    async def delete(self, key: str) -> bool:
        async with self._mutex:
            records = dict(await self._current())
            if records.pop(key, None) is None:
                return False
            await self._persist_records(records)
            self._records = records
            return True

    async def list(self, prefix: str | None = None) -> list[str]:
        async with self._mutex:
            keys = await self._current()
        return sorted(key for key in keys if prefix is None or key.startswith(prefix))

    async def stat(self, key: str) -> EntryMetadata | None:
        async with self._mutex:
            record = (await self._current()).get(key)
        if record is None:
            return None
        content_type = record.entry.metadata.get("content_type")
        return EntryMetadata(
            key=key,
            size=len(record.entry.data),
            last_modified=record.last_modified,
            content_type=content_type if isinstance(content_type, str) else None,
        )

    async def exists(self, key: str) -> bool:
        async with self._mutex:
            return key in await self._current()

    # Locking

    async def acquire(self, key: str, timeout: float | None = None) -> LockHandle:
        """Lock ``key``, trying again every ``lock_retry_interval_seconds``.

        ``timeout`` None waits ``lock_timeout_seconds``; ``math.inf`` waits until the
        lock is free. TimeoutError when the time passes with the lock still held.
        """

        async def attempt() -> LockHandle | None:
            async with self._mutex:
                if not self.config.locking_enabled or self._holder(key) is None:
                    return self._grant(key)
            return None

        return await wait_for_lock(attempt, key, timeout, self.config, self._clock)

    def _grant(self, key: str) -> LockHandle:
        handle = new_lock_handle(key, self.config, self._clock)
        if self.config.locking_enabled:
            self._locks[key] = handle
        return handle

    def _holder(self, key: str) -> LockHandle | None:
        """The live lock on key; an expired one is dropped."""
        handle = self._locks.get(key)
        if handle is None or handle.expires_at is None or handle.expires_at > self._clock.now():
            return handle
        del self._locks[key]
        return None

    async def release(self, lock: LockHandle) -> None:
        """Release ``lock``; LockNotHeldError when it was already released or expired,
        and then the current holder (if any) keeps its lock."""
        if not self.config.locking_enabled:
            return
        async with self._mutex:
            holder = self._holder(lock.key)
            if holder is None or holder.lock_id != lock.lock_id:
                raise LockNotHeldError(
                    f"lock {lock.lock_id} on storage key {lock.key!r} is not held: it was "
                    "released or it expired" + (" and another holder has the key" if holder else "")
                )
            del self._locks[lock.key]

    async def is_locked(self, key: str) -> bool:
        async with self._mutex:
            return self._holder(key) is not None


def new_lock_handle(key: str, config: BaseStorageConfig, clock: Clock) -> LockHandle:
    """A fresh handle on ``key`` with a random id, expiring ``lock_ttl_seconds`` from now."""
    now = clock.now()
    return LockHandle(
        key=key,
        lock_id=uuid.uuid4().hex,
        acquired_at=now,
        expires_at=now + timedelta(seconds=config.lock_ttl_seconds),
    )


async def wait_for_lock(
    attempt: Callable[[], Awaitable[LockHandle | None]],
    key: str,
    timeout: float | None,
    config: BaseStorageConfig,
    clock: Clock,
) -> LockHandle:
    """Call ``attempt`` (a handle when it took the lock, None when another holder has
    it) every ``lock_retry_interval_seconds`` until it succeeds or ``timeout`` passes.

    Backends with locks of their own (lock files, database rows, Redis keys) share the
    waiting and timeout rules this way. ``timeout`` None waits ``lock_timeout_seconds``;
    TimeoutError when the time passes with the lock still held.
    """
    wait = config.lock_timeout_seconds if timeout is None else timeout
    deadline = clock.monotonic() + wait
    while True:
        handle = await attempt()
        if handle is not None:
            return handle
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            raise TimeoutError(
                f"could not lock storage key {key!r} within {wait:g}s: another holder "
                "has it; it frees the key on release or when its lock expires"
            )
        await clock.sleep(min(config.lock_retry_interval_seconds, remaining))


def _copy(entry: StorageEntry) -> StorageEntry:
    """A copy whose metadata dict the caller may change without touching the store."""
    return attrs.evolve(entry, metadata=dict(entry.metadata))


@attrs.frozen
class KeyValueStorageConfig(BaseStorageConfig):
    """``backend`` is ``memory`` or ``file``; the file backend needs ``file_path``."""

    backend: str = attrs.field(default="memory", validator=attrs.validators.in_(("memory", "file")))
    file_path: str | None = None


_FILE_VERSION = 1


class KeyValueStorage(FileSerializerMixin, BaseStorage):
    """Entries in memory, or in one file rewritten atomically on every change.

    The file holds ``{"version": 1, "entries": {key: record}}`` in the configured
    format, each record as ``modelmesh_cdk.storage_codec`` writes it. With
    ``compression`` the whole file is gzip-compressed.
    """

    config_class = KeyValueStorageConfig
    config: KeyValueStorageConfig

    def __init__(
        self,
        config: KeyValueStorageConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        if self.config.backend == "file" and not self.config.file_path:
            raise ConfigurationError(
                f"invalid options for connector {type(self).__name__}: backend 'file' needs "
                "file_path, the file that holds the store",
                details={"connector": type(self).__name__},
            )

    async def _load_records(self) -> dict[str, StoredEntry]:
        path = self.config.file_path
        if self.config.backend == "memory" or path is None or not os.path.exists(path):
            return {}
        raw = await asyncio.to_thread(self._read_file, path)
        if self.config.compression:
            raw = gzip.decompress(raw)
        return self._decode(self._deserialize(raw, self.config.format), path)

    async def _persist_records(self, records: Mapping[str, StoredEntry]) -> None:
        path = self.config.file_path
        if self.config.backend == "memory" or path is None:
            return
        raw = self._serialize(self._encode(records), self.config.format)
        if self.config.compression:
            raw = gzip.compress(raw, mtime=0)
        await asyncio.to_thread(self._atomic_write, path, raw)

    def _encode(self, records: Mapping[str, StoredEntry]) -> dict[str, Any]:
        return {
            "version": _FILE_VERSION,
            "entries": {
                key: record_from_stored(record, self.config.format)
                for key, record in records.items()
            },
        }

    def _decode(self, document: Any, path: str) -> dict[str, StoredEntry]:
        try:
            if document["version"] != _FILE_VERSION:
                raise ValueError(f"unknown file version {document['version']!r}")
            return {key: stored_from_record(key, item) for key, item in document["entries"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(
                f"storage file {path} is not a key-value store written by "
                f"{type(self).__name__} ({error}); move it aside or fix file_path"
            ) from error
