"""Storage in a local SQLite database, shared safely by several processes.

WAL mode lets readers work while one process writes, ``busy_timeout`` makes a writer
wait for another instead of failing, and every change is one transaction, so a crash
leaves each key with its old or its new value. Locks are rows with an owner and an
expiry: taking one (or taking over an expired one) and releasing it are single
transactions, so they hold between processes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import math
import re
import sqlite3
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.interfaces.storage import (
    EntryMetadata,
    LockHandle,
    Locking,
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
from modelmesh_cdk.options import Duration, load_options, parse_duration

__all__ = ["SQLiteStorage", "SQLiteStorageConfig"]

T = TypeVar("T")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _table_name(_instance: Any, _attribute: Any, value: str) -> None:
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"table {value!r} is not a plain SQL name; use letters, digits and underscores"
        )


@attrs.frozen
class SQLiteStorageConfig(BaseStorageConfig):
    """``path`` is the database file, ``table`` the table of entries (locks live in
    ``<table>_locks``), ``busy_timeout`` how long a write waits for another process."""

    path: str = "modelmesh_state.db"
    table: str = attrs.field(default="modelmesh_state", validator=_table_name)
    busy_timeout: Duration = attrs.field(default=5.0, converter=parse_duration)


class SQLiteStorage(FileSerializerMixin, StorageConnector, Locking):
    """One row per key: the data as a blob, the metadata in the configured format,
    both gzip-compressed with ``compression``; the size and save time in columns so
    ``stat`` and ``list`` never decode an entry.

    SQLite calls block, so they run on one worker thread that owns the connection.
    """

    config_class = SQLiteStorageConfig

    def __init__(
        self,
        config: SQLiteStorageConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self._clock = clock or SYSTEM_CLOCK
        self._worker = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="modelmesh-sqlite"
        )
        self._connection: sqlite3.Connection | None = None
        self._entries = self.config.table
        self._locks = f"{self.config.table}_locks"

    async def _run(self, call: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._worker, lambda: call(self._connect())
        )

    def _connect(self) -> sqlite3.Connection:
        """The connection, opened and the schema made on first use (worker thread)."""
        if self._connection is None:
            try:
                connection = sqlite3.connect(
                    self.config.path, timeout=self.config.busy_timeout, isolation_level=None
                )
                self._with_busy_retries(self._make_schema, connection)
            except sqlite3.Error as error:
                raise OSError(
                    f"cannot open the SQLite storage {self.config.path} ({error}); check the "
                    "path and that the file is an SQLite database"
                ) from error
            self._connection = connection
        return self._connection

    def _make_schema(self, connection: sqlite3.Connection) -> None:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {self._entries} (key TEXT PRIMARY KEY, "
            "data BLOB NOT NULL, metadata BLOB NOT NULL, size INTEGER NOT NULL, "
            "last_modified REAL NOT NULL)"
        )
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {self._locks} (key TEXT PRIMARY KEY, "
            "lock_id TEXT NOT NULL, expires_at REAL NOT NULL)"
        )

    def _with_busy_retries(
        self, step: Callable[[sqlite3.Connection], None], connection: sqlite3.Connection
    ) -> None:
        """Run ``step``, trying again while the file is locked, up to ``busy_timeout``.

        Switching to WAL needs the file to itself, and SQLite reports "database is
        locked" at once, busy timeout or not, while several processes open the same new
        file together. This is a wait on another process, so it reads the wall clock.
        """
        deadline = time.monotonic() + self.config.busy_timeout
        while True:
            try:
                step(connection)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    async def close(self) -> None:
        def close(connection: sqlite3.Connection) -> None:
            connection.close()
            self._connection = None

        if self._connection is not None:
            await self._run(close)
        self._worker.shutdown(wait=True)

    # Encoding

    def _pack(self, raw: bytes) -> bytes:
        return gzip.compress(raw, mtime=0) if self.config.compression else raw

    def _unpack(self, raw: bytes) -> bytes:
        return gzip.decompress(raw) if self.config.compression else raw

    def _entry(self, key: str, data: bytes, metadata: bytes) -> StorageEntry:
        try:
            decoded = self._deserialize(self._unpack(metadata), self.config.format)
            return StorageEntry(key, self._unpack(data), dict(decoded))
        except (ValueError, OSError, EOFError, TypeError) as error:
            raise ValueError(
                f"storage key {key!r} in {self.config.path} cannot be read ({error}); check "
                "that format and compression match the ones it was written with"
            ) from error

    # Persistence, inventory, stat

    async def load(self, key: str) -> StorageEntry | None:
        def select(connection: sqlite3.Connection) -> tuple[bytes, bytes] | None:
            return connection.execute(
                f"SELECT data, metadata FROM {self._entries} WHERE key = ?", (key,)
            ).fetchone()

        row = await self._run(select)
        return None if row is None else self._entry(key, *row)

    async def save(self, key: str, entry: StorageEntry) -> None:
        row = (
            key,
            self._pack(entry.data),
            self._pack(self._serialize(dict(entry.metadata), self.config.format)),
            len(entry.data),
            self._clock.now().timestamp(),
        )

        def upsert(connection: sqlite3.Connection) -> None:
            connection.execute(
                f"INSERT OR REPLACE INTO {self._entries} "
                "(key, data, metadata, size, last_modified) VALUES (?, ?, ?, ?, ?)",
                row,
            )

        await self._run(upsert)

    async def delete(self, key: str) -> bool:
        def remove(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute(f"DELETE FROM {self._entries} WHERE key = ?", (key,))
            return cursor.rowcount > 0

        return await self._run(remove)

    async def list(self, prefix: str | None = None) -> list[str]:
        def keys(connection: sqlite3.Connection) -> list[str]:
            return [row[0] for row in connection.execute(f"SELECT key FROM {self._entries}")]

        # Filtered here: LIKE and GLOB would treat wildcards in the prefix as patterns.
        return sorted(
            key for key in await self._run(keys) if prefix is None or key.startswith(prefix)
        )

    async def stat(self, key: str) -> EntryMetadata | None:
        def select(connection: sqlite3.Connection) -> tuple[bytes, int, float] | None:
            return connection.execute(
                f"SELECT metadata, size, last_modified FROM {self._entries} WHERE key = ?",
                (key,),
            ).fetchone()

        row = await self._run(select)
        if row is None:
            return None
        metadata, size, last_modified = row
        content_type = self._entry(key, b"", metadata).metadata.get("content_type")
        return EntryMetadata(
            key=key,
            size=size,
            last_modified=datetime.fromtimestamp(last_modified, UTC),
            content_type=content_type if isinstance(content_type, str) else None,
        )

    async def exists(self, key: str) -> bool:
        def select(connection: sqlite3.Connection) -> bool:
            query = f"SELECT 1 FROM {self._entries} WHERE key = ?"
            return connection.execute(query, (key,)).fetchone() is not None

        return await self._run(select)

    # Locking

    async def acquire(self, key: str, timeout: float | None = None) -> LockHandle:
        """Lock ``key`` for every process using the database; TimeoutError when another
        holder keeps it past ``timeout`` (None: ``lock_timeout_seconds``)."""

        async def attempt() -> LockHandle | None:
            handle = new_lock_handle(key, self.config, self._clock)
            if not self.config.locking_enabled:
                return handle
            return handle if await self._run(lambda c: self._take(c, handle)) else None

        return await wait_for_lock(attempt, key, timeout, self.config, self._clock)

    def _take(self, connection: sqlite3.Connection, handle: LockHandle) -> bool:
        with _transaction(connection):
            connection.execute(
                f"DELETE FROM {self._locks} WHERE key = ? AND expires_at <= ?",
                (handle.key, handle.acquired_at.timestamp()),
            )
            cursor = connection.execute(
                f"INSERT OR IGNORE INTO {self._locks} (key, lock_id, expires_at) VALUES (?, ?, ?)",
                (handle.key, handle.lock_id, _expiry(handle)),
            )
            return cursor.rowcount == 1

    async def release(self, lock: LockHandle) -> None:
        """Release ``lock``; LockNotHeldError when it was already released, expired or
        taken over, and then the current holder keeps its lock."""
        if not self.config.locking_enabled:
            return
        now = self._clock.now().timestamp()

        def remove(connection: sqlite3.Connection) -> bool:
            query = f"DELETE FROM {self._locks} WHERE key = ? AND lock_id = ?"
            return connection.execute(query, (lock.key, lock.lock_id)).rowcount > 0

        removed = await self._run(remove)
        if not removed or _expiry(lock) <= now:
            raise LockNotHeldError(
                f"lock {lock.lock_id} on storage key {lock.key!r} is not held: it was "
                "released, it expired or another holder took it over"
            )

    async def is_locked(self, key: str) -> bool:
        now = self._clock.now().timestamp()

        def select(connection: sqlite3.Connection) -> bool:
            query = f"SELECT 1 FROM {self._locks} WHERE key = ? AND expires_at > ?"
            return connection.execute(query, (key, now)).fetchone() is not None

        return await self._run(select)


def _expiry(handle: LockHandle) -> float:
    return math.inf if handle.expires_at is None else handle.expires_at.timestamp()


class _transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error: the write lock is taken at the
    start, so two processes never both read a free lock row and both insert."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self._connection.execute("ROLLBACK" if kind else "COMMIT")
