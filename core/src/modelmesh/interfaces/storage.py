"""Storage connectors: where state, configuration and logs are persisted.

The storage contract is fixed and small: the mesh serialises, the connector moves
bytes. Every method is async because every backend worth having (files, SQLite,
Redis, object stores) does I/O.
"""

from __future__ import annotations

import abc
import enum
from datetime import datetime
from typing import Any

import attrs


class SyncPolicy(enum.Enum):
    """Controls when storage persistence occurs."""

    IN_MEMORY = "in-memory"
    SYNC_ON_BOUNDARY = "sync-on-boundary"
    PERIODIC = "periodic"
    IMMEDIATE = "immediate"


class SerializationFormat(enum.Enum):
    """Serialization format for stored data."""

    JSON = "json"
    YAML = "yaml"
    MSGPACK = "msgpack"


@attrs.frozen
class StorageEntry:
    """A single stored data entry with its raw content and metadata."""

    key: str
    data: bytes = attrs.field(validator=attrs.validators.instance_of(bytes))
    metadata: dict[str, Any]


@attrs.frozen
class EntryMetadata:
    """Metadata about a stored entry, without the full content."""

    key: str
    size: int = attrs.field(validator=attrs.validators.ge(0))
    last_modified: datetime
    content_type: str | None = None


@attrs.frozen
class LockHandle:
    """Handle representing an acquired advisory lock on a stored entry."""

    key: str
    lock_id: str
    acquired_at: datetime
    expires_at: datetime | None = None


class Persistence(abc.ABC):
    """Read and write serialized data.

    The connector handles format and transport; the library handles
    serialization logic.
    """

    @abc.abstractmethod
    async def load(self, key: str) -> StorageEntry | None:
        """Load a stored entry by key, or return None if not found."""

    @abc.abstractmethod
    async def save(self, key: str, entry: StorageEntry) -> None:
        """Save an entry under the given key. Overwrites if the key exists.

        A save is atomic: a crash leaves the old entry or the new one, never half.
        """


class Inventory(abc.ABC):
    """Enumerate and remove stored entries.

    Used for cleanup, migration, and administrative tooling.
    """

    @abc.abstractmethod
    async def list(self, prefix: str | None = None) -> list[str]:
        """Return keys matching the optional prefix, or all keys if None."""

    @abc.abstractmethod
    async def delete(self, key: str) -> bool:
        """Delete the entry at the given key. Return True if it existed."""


class StatQuery(abc.ABC):
    """Query metadata about stored entries without loading full content.

    Used for cache validation and change detection.
    """

    @abc.abstractmethod
    async def stat(self, key: str) -> EntryMetadata | None:
        """Return metadata for the given key, or None if not found."""

    @abc.abstractmethod
    async def exists(self, key: str) -> bool:
        """Return True if an entry exists at the given key."""


class Locking(abc.ABC):
    """Acquire and release advisory locks on stored entries.

    Prevents concurrent writes in multi-instance deployments. Required
    for ``periodic`` and ``immediate`` sync policies.
    """

    @abc.abstractmethod
    async def acquire(self, key: str, timeout: float | None = None) -> LockHandle:
        """Acquire an advisory lock on the given key.

        Args:
            key: The storage key to lock.
            timeout: Maximum seconds to wait for the lock. None means wait
                indefinitely.

        Raises:
            TimeoutError: If the lock cannot be acquired within the timeout.
        """

    @abc.abstractmethod
    async def release(self, lock: LockHandle) -> None:
        """Release a previously acquired lock."""

    @abc.abstractmethod
    async def is_locked(self, key: str) -> bool:
        """Return True if the given key is currently locked."""


class StorageConnector(Persistence, Inventory, StatQuery):
    """Full storage connector combining all required interfaces.

    Implementations that support concurrent access should also inherit
    from Locking. Locking is required when using ``periodic`` or
    ``immediate`` sync policies in multi-instance deployments.
    """

    async def close(self) -> None:
        """Release files or connections; called once at shutdown, after the last save."""
