"""Storage in one local directory, one file per key, safe across processes.

Every save replaces its file atomically (temporary file, fsync, rename, fsync of the
directory), so a crash at any moment leaves each key with its old or its new value.
Nothing is cached: every call reads the directory, so several processes sharing it see
each other's writes. Locks are files too; a small flock-guarded section makes taking,
taking over and releasing them atomic between processes.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import string
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC
from pathlib import Path
from typing import Any

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.interfaces.storage import (
    EntryMetadata,
    LockHandle,
    Locking,
    SerializationFormat,
    StorageConnector,
    StorageEntry,
)
from modelmesh_cdk.base.storage import (
    BaseStorageConfig,
    LockNotHeldError,
    new_lock_handle,
    wait_for_lock,
)
from modelmesh_cdk.mixins.file_serializer import FileSerializerMixin
from modelmesh_cdk.options import load_options
from modelmesh_cdk.storage_codec import StoredEntry, decode_entry, encode_entry

__all__ = ["LocalFileStorage", "LocalFileStorageConfig"]

_SAFE = frozenset(string.ascii_letters + string.digits + "-_")
_EXTENSIONS = {
    SerializationFormat.JSON: ".json",
    SerializationFormat.YAML: ".yaml",
    SerializationFormat.MSGPACK: ".msgpack",
}
_LOCK_SUFFIX = ".lock"
_BACKUP_SUFFIX = ".bak"
_GUARD = ".modelmesh-locks"
# Room left under the usual 255-byte file-name limit for the temporary-file affixes.
_MAX_NAME = 230


@attrs.frozen
class LocalFileStorageConfig(BaseStorageConfig):
    """``path`` is the directory holding the store; ``backup`` keeps each key's
    previous version next to it as ``<file>.bak``."""

    path: str = "./modelmesh-state"
    backup: bool = False


class LocalFileStorage(FileSerializerMixin, StorageConnector, Locking):
    """One file per key under ``path``, in the configured format, optionally gzipped.

    A key becomes its file name percent-encoded (everything but ASCII letters, digits,
    ``-`` and ``_``), so no key can name a file outside the directory, a hidden file,
    or another key's file.
    """

    config_class = LocalFileStorageConfig

    def __init__(
        self,
        config: LocalFileStorageConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self._clock = clock or SYSTEM_CLOCK
        self._directory = Path(self.config.path)
        suffix = _EXTENSIONS[self.config.format]
        self._suffix = suffix + ".gz" if self.config.compression else suffix

    # Names

    def _name(self, key: str) -> str:
        """The file name stem of key; ValueError when the key cannot be a file name."""
        if not key:
            raise ValueError("storage keys must not be empty")
        stem = "".join(
            char if char in _SAFE else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
            for char in key
        )
        if len(stem) + len(self._suffix) + len(_BACKUP_SUFFIX) > _MAX_NAME:
            raise ValueError(
                f"storage key {key[:40]!r}... is too long for a file name in {self._directory} "
                f"({len(stem)} characters encoded, at most {_MAX_NAME - 12}); use a shorter key"
            )
        return stem

    def _entry_path(self, key: str) -> Path:
        return self._directory / (self._name(key) + self._suffix)

    def _lock_path(self, key: str) -> Path:
        return self._directory / (self._name(key) + _LOCK_SUFFIX)

    # Persistence, inventory, stat

    async def load(self, key: str) -> StorageEntry | None:
        stored = await asyncio.to_thread(self._read, key)
        return None if stored is None else stored.entry

    async def save(self, key: str, entry: StorageEntry) -> None:
        stored = StoredEntry(attrs.evolve(entry, key=key), self._clock.now())
        raw = encode_entry(stored, self.config.format, compression=self.config.compression)
        await asyncio.to_thread(self._write, key, raw)

    async def delete(self, key: str) -> bool:
        return await asyncio.to_thread(self._remove, key)

    async def list(self, prefix: str | None = None) -> list[str]:
        keys = await asyncio.to_thread(self._keys)
        return sorted(key for key in keys if prefix is None or key.startswith(prefix))

    async def stat(self, key: str) -> EntryMetadata | None:
        stored = await asyncio.to_thread(self._read, key)
        if stored is None:
            return None
        content_type = stored.entry.metadata.get("content_type")
        return EntryMetadata(
            key=key,
            size=len(stored.entry.data),
            last_modified=stored.last_modified.astimezone(UTC),
            content_type=content_type if isinstance(content_type, str) else None,
        )

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._entry_path(key).is_file)

    async def close(self) -> None:
        """Nothing to close: no file stays open between calls."""

    def _read(self, key: str) -> StoredEntry | None:
        path = self._entry_path(key)
        try:
            raw = self._read_file(path)
        except FileNotFoundError:
            return None
        try:
            return decode_entry(key, raw, self.config.format, compression=self.config.compression)
        except ValueError as error:
            raise ValueError(
                f"storage file {path} cannot be read ({error}); check that format and "
                "compression match the ones it was written with, or move the file aside"
            ) from error

    def _write(self, key: str, raw: bytes) -> None:
        path = self._entry_path(key)
        if self.config.backup:
            self._keep_backup(path)
        self._atomic_write(path, raw)

    def _keep_backup(self, path: Path) -> None:
        """Hard-link the current version as the backup: the atomic write that follows
        puts a new file in place and leaves the linked one untouched."""
        backup = path.with_name(path.name + _BACKUP_SUFFIX)
        with suppress(FileNotFoundError):
            os.unlink(backup)
        with suppress(FileNotFoundError):
            os.link(path, backup)

    def _remove(self, key: str) -> bool:
        path = self._entry_path(key)
        try:
            if self.config.backup:
                os.replace(path, path.with_name(path.name + _BACKUP_SUFFIX))
            else:
                os.unlink(path)
        except FileNotFoundError:
            return False
        return True

    def _keys(self) -> list[str]:
        try:
            names = os.listdir(self._directory)
        except FileNotFoundError:
            return []
        # Temporary files, the lock guard, locks and backups never end in the suffix
        # or start with a dot, so a crash mid-write leaves nothing that lists as a key.
        return [
            urllib.parse.unquote(name[: -len(self._suffix)], errors="strict")
            for name in names
            if name.endswith(self._suffix) and not name.startswith(".")
        ]

    # Locking

    async def acquire(self, key: str, timeout: float | None = None) -> LockHandle:
        """Lock ``key`` for every process sharing the directory; TimeoutError when
        another holder keeps it past ``timeout`` (None: ``lock_timeout_seconds``)."""
        self._name(key)

        async def attempt() -> LockHandle | None:
            handle = new_lock_handle(key, self.config, self._clock)
            if not self.config.locking_enabled:
                return handle
            return handle if await asyncio.to_thread(self._take, handle) else None

        return await wait_for_lock(attempt, key, timeout, self.config, self._clock)

    async def release(self, lock: LockHandle) -> None:
        """Release ``lock``; LockNotHeldError when it was already released, expired or
        taken over, and then the current holder keeps its lock."""
        if self.config.locking_enabled:
            await asyncio.to_thread(self._give_back, lock)

    async def is_locked(self, key: str) -> bool:
        record = await asyncio.to_thread(self._lock_record, self._lock_path(key))
        return record is not None and record["expires_at"] > self._clock.now().timestamp()

    @contextmanager
    def _guarded(self) -> Iterator[None]:
        """Exclusive between processes and threads; the kernel frees it if the holder
        dies, so a crash can never leave it taken."""
        self._directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._directory / _GUARD, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _take(self, handle: LockHandle) -> bool:
        path = self._lock_path(handle.key)
        with self._guarded():
            record = self._lock_record(path)
            if record is not None and record["expires_at"] > self._clock.now().timestamp():
                return False
            assert handle.expires_at is not None
            document = {"lock_id": handle.lock_id, "expires_at": handle.expires_at.timestamp()}
            self._atomic_write(path, json.dumps(document).encode("utf-8"))
            return True

    def _give_back(self, lock: LockHandle) -> None:
        path = self._lock_path(lock.key)
        with self._guarded():
            record = self._lock_record(path)
            live = record is not None and record["expires_at"] > self._clock.now().timestamp()
            if record is None or record["lock_id"] != lock.lock_id or not live:
                if record is not None and record["lock_id"] == lock.lock_id:
                    os.unlink(path)
                raise LockNotHeldError(
                    f"lock {lock.lock_id} on storage key {lock.key!r} is not held: it was "
                    "released, it expired or another holder took it over"
                )
            os.unlink(path)

    def _lock_record(self, path: Path) -> dict[str, Any] | None:
        try:
            record = json.loads(self._read_file(path))
            return {"lock_id": str(record["lock_id"]), "expires_at": float(record["expires_at"])}
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"lock file {path} is damaged ({error}); delete it once no process holds the lock"
            ) from error
