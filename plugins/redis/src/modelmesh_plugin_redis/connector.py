"""Redis storage: one hash per entry, expiring locks every instance sharing the server sees.

Nothing is cached in the process: every call asks Redis, so several mesh instances
pointed at one server read each other's saves at once and contend for the same locks.

Layout under ``key_prefix`` (default ``modelmesh:``):

- ``<prefix>entry:<key>`` a hash: ``entry`` (data and metadata encoded in ``format``,
  optionally compressed), ``size`` (length of the data in bytes), ``last_modified``
  (ISO 8601) and, when the metadata names one, ``content_type``. ``stat`` reads only
  the small fields.
- ``<prefix>lock:<key>`` a string holding the holder's random token, set with
  ``SET NX PX`` so Redis expires it after ``lock_ttl_seconds``; released by a script
  that deletes it only while it still holds the releaser's token.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.storage import (
    EntryMetadata,
    LockHandle,
    Locking,
    StorageConnector,
    StorageEntry,
)
from modelmesh.redaction import redact_url
from modelmesh_cdk.base.storage import (
    BaseStorageConfig,
    LockNotHeldError,
    new_lock_handle,
    wait_for_lock,
)
from modelmesh_cdk.options import Duration, load_options, parse_duration
from modelmesh_cdk.storage_codec import StoredEntry, decode_entry, encode_entry

__all__ = ["RedisStorage", "RedisStorageConfig"]

DEFAULT_URL = "redis://127.0.0.1:6379/0"

# Deletes the lock only while it still holds the caller's token: a holder whose lock
# expired and was taken by another cannot free the other's lock.
_RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""

# Characters SCAN's MATCH pattern treats as wildcards; escaped so a key prefix such as
# "a*" matches only keys that start with it literally.
_GLOB_SPECIAL = frozenset("*?[]\\")


def _optional_duration(value: Any) -> float | None:
    return None if value is None else parse_duration(value)


def _positive_or_none(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value!r}")


@attrs.frozen
class RedisStorageConfig(BaseStorageConfig):
    """``url`` of the server (credentials in it are never shown), ``key_prefix`` put in
    front of every Redis key, and ``ttl``, after which a saved entry expires (None:
    entries live until deleted)."""

    url: str = attrs.field(default=DEFAULT_URL, repr=redact_url)
    key_prefix: str = "modelmesh:"
    ttl: Duration | None = attrs.field(
        default=None, converter=_optional_duration, validator=_positive_or_none
    )


class RedisStorage(StorageConnector, Locking):
    """Entries and advisory locks kept in Redis; safe across tasks, processes and hosts."""

    config_class: ClassVar[type[RedisStorageConfig]] = RedisStorageConfig

    def __init__(
        self,
        config: RedisStorageConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self._clock = clock or SYSTEM_CLOCK
        self._where = redact_url(self.config.url)
        try:
            # No I/O yet: redis-py connects on the first command, in the caller's loop.
            self._redis = aioredis.Redis.from_url(self.config.url)
        except ValueError:
            # redis-py's own message may quote the URL, password included: not shown.
            raise ConfigurationError(
                f"invalid options for connector {type(self).__name__}: url {self._where!r} "
                "is not a Redis URL; use redis://[user:password@]host:port/db, rediss:// "
                "for TLS, or unix:///path/to/socket",
                details={"connector": type(self).__name__},
            ) from None
        self._release = self._redis.register_script(_RELEASE_SCRIPT)
        self._connected = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self._where!r}, key_prefix={self.config.key_prefix!r})"

    # Keys

    def _entry_key(self, key: str) -> str:
        return f"{self.config.key_prefix}entry:{key}"

    def _lock_key(self, key: str) -> str:
        return f"{self.config.key_prefix}lock:{key}"

    @contextlib.asynccontextmanager
    async def _talking(self, action: str, key: str | None = None) -> AsyncIterator[None]:
        """Turns a Redis failure into one that names the server, the key and the fix."""
        try:
            yield
        except RedisError as error:
            target = "" if key is None else f" of storage key {key!r}"
            raise ConnectionError(
                f"Redis storage at {self._where}: {action}{target} failed "
                f"({type(error).__name__}: {error}); check that the server is running and "
                "reachable at the configured url"
            ) from error

    # Persistence

    async def load(self, key: str) -> StorageEntry | None:
        async with self._talking("load", key):
            raw = await self._redis.hget(self._entry_key(key), "entry")
        if raw is None:
            return None
        try:
            stored = decode_entry(key, raw, self.config.format, compression=self.config.compression)
        except ValueError as error:
            raise ValueError(
                f"Redis key {self._entry_key(key)!r} at {self._where} does not hold an entry "
                f"in format {self.config.format.value!r}"
                f"{' with' if self.config.compression else ' without'} compression ({error}); "
                "set format and compression to what wrote it, or delete the key"
            ) from error
        return stored.entry

    async def save(self, key: str, entry: StorageEntry) -> None:
        now = self._clock.now()
        encoded = encode_entry(
            StoredEntry(attrs.evolve(entry, key=key), now),
            self.config.format,
            compression=self.config.compression,
        )
        fields: dict[str | bytes, bytes | str | int] = {
            "entry": encoded,
            "size": len(entry.data),
            "last_modified": now.isoformat(),
        }
        content_type = entry.metadata.get("content_type")
        if isinstance(content_type, str):
            fields["content_type"] = content_type
        name = self._entry_key(key)
        # One transaction: a reader sees the old hash or the new one, and a field or
        # expiry left by the previous save never survives into this one.
        async with (
            self._talking("save", key),
            self._redis.pipeline(transaction=True) as pipe,
        ):
            pipe.delete(name)
            pipe.hset(name, mapping=fields)
            if self.config.ttl is not None:
                pipe.pexpire(name, _milliseconds(self.config.ttl))
            await pipe.execute()

    # Inventory

    async def list(self, prefix: str | None = None) -> list[str]:
        start = self._entry_key("")
        pattern = _glob_escape(start + (prefix or "")) + "*"
        keys: set[str] = set()
        async with self._talking("list"):
            # SCAN walks the keyspace in small steps and never blocks the server as KEYS
            # would; it may return a key twice, hence the set.
            async for name in self._redis.scan_iter(match=pattern, count=500):
                keys.add(name.decode("utf-8")[len(start) :])
        return sorted(keys)

    async def delete(self, key: str) -> bool:
        async with self._talking("delete", key):
            return bool(await self._redis.delete(self._entry_key(key)))

    # Stat

    async def stat(self, key: str) -> EntryMetadata | None:
        async with self._talking("stat", key):
            size, modified, content_type = await self._redis.hmget(
                self._entry_key(key), ["size", "last_modified", "content_type"]
            )
        if size is None or modified is None:
            return None
        return EntryMetadata(
            key=key,
            size=int(size),
            last_modified=datetime.fromisoformat(modified.decode("ascii")),
            content_type=None if content_type is None else content_type.decode("utf-8"),
        )

    async def exists(self, key: str) -> bool:
        async with self._talking("exists", key):
            return bool(await self._redis.exists(self._entry_key(key)))

    # Locking

    async def acquire(self, key: str, timeout: float | None = None) -> LockHandle:
        """Lock ``key`` for ``lock_ttl_seconds``, trying every
        ``lock_retry_interval_seconds``; ``timeout`` None waits ``lock_timeout_seconds``,
        ``math.inf`` until the lock is free. TimeoutError when the time passes first."""
        if not self.config.locking_enabled:
            return new_lock_handle(key, self.config, self._clock)
        if not self._connected:
            # The handle dates the lock from just before SET; a connection opened by the
            # SET itself would make Redis start the lock's life a handshake later.
            async with self._talking("connect"):
                await self._redis.ping()
            self._connected = True

        async def attempt() -> LockHandle | None:
            handle = new_lock_handle(key, self.config, self._clock)
            async with self._talking("lock", key):
                taken = await self._redis.set(
                    self._lock_key(key),
                    handle.lock_id,
                    nx=True,
                    px=_milliseconds(self.config.lock_ttl_seconds),
                )
            return handle if taken else None

        return await wait_for_lock(attempt, key, timeout, self.config, self._clock)

    async def release(self, lock: LockHandle) -> None:
        """Release ``lock``; LockNotHeldError when it was already released or expired,
        and then whoever holds the key now keeps it."""
        if not self.config.locking_enabled:
            return
        async with self._talking("unlock", lock.key):
            released = await self._release(keys=[self._lock_key(lock.key)], args=[lock.lock_id])
        if not released:
            raise LockNotHeldError(
                f"lock {lock.lock_id} on storage key {lock.key!r} is not held: it was "
                "released or it expired (raise lock_ttl_seconds if work outlives it)"
            )

    async def is_locked(self, key: str) -> bool:
        if not self.config.locking_enabled:
            return False
        async with self._talking("lock check", key):
            return bool(await self._redis.exists(self._lock_key(key)))

    async def close(self) -> None:
        await self._redis.aclose()


def _milliseconds(seconds: float) -> int:
    """Redis expiries are whole milliseconds; never round a short one down to zero."""
    return max(1, math.ceil(seconds * 1000))


def _glob_escape(text: str) -> str:
    return "".join("\\" + char if char in _GLOB_SPECIAL else char for char in text)
