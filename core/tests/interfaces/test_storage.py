"""The storage contract: value types, sub-interfaces, defaults."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime

import attrs
import pytest

from modelmesh.interfaces.storage import (
    EntryMetadata,
    Inventory,
    LockHandle,
    Locking,
    Persistence,
    SerializationFormat,
    StatQuery,
    StorageConnector,
    StorageEntry,
    SyncPolicy,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class MemoryStorage(StorageConnector, Locking):
    """The smallest complete storage connector, as a plugin author would write it."""

    def __init__(self) -> None:
        self.entries: dict[str, StorageEntry] = {}
        self.locks: dict[str, LockHandle] = {}

    async def load(self, key):
        return self.entries.get(key)

    async def save(self, key, entry):
        self.entries[key] = entry

    async def list(self, prefix=None):
        return sorted(k for k in self.entries if prefix is None or k.startswith(prefix))

    async def delete(self, key):
        return self.entries.pop(key, None) is not None

    async def stat(self, key):
        entry = self.entries.get(key)
        return None if entry is None else EntryMetadata(key, len(entry.data), NOW)

    async def exists(self, key):
        return key in self.entries

    async def acquire(self, key, timeout=None):
        self.locks[key] = LockHandle(key, f"lock-{key}", NOW)
        return self.locks[key]

    async def release(self, lock):
        self.locks.pop(lock.key, None)

    async def is_locked(self, key):
        return key in self.locks


def test_sync_policy_values_are_the_seed_values():
    assert [p.value for p in SyncPolicy] == [
        "in-memory",
        "sync-on-boundary",
        "periodic",
        "immediate",
    ]


def test_serialization_format_values_are_the_seed_values():
    assert [f.value for f in SerializationFormat] == ["json", "yaml", "msgpack"]


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (
            StorageEntry,
            [("key", attrs.NOTHING), ("data", attrs.NOTHING), ("metadata", attrs.NOTHING)],
        ),
        (
            EntryMetadata,
            [
                ("key", attrs.NOTHING),
                ("size", attrs.NOTHING),
                ("last_modified", attrs.NOTHING),
                ("content_type", None),
            ],
        ),
        (
            LockHandle,
            [
                ("key", attrs.NOTHING),
                ("lock_id", attrs.NOTHING),
                ("acquired_at", attrs.NOTHING),
                ("expires_at", None),
            ],
        ),
    ],
)
def test_value_types_keep_the_seed_field_names_order_and_defaults(cls, fields):
    assert [(f.name, f.default) for f in attrs.fields(cls)] == fields


def test_storage_entry_holds_bytes_only():
    with pytest.raises(TypeError):
        StorageEntry("k", "text, not bytes", {})  # type: ignore[arg-type]


def test_entry_metadata_rejects_a_negative_size():
    with pytest.raises(ValueError, match="size"):
        EntryMetadata("k", -1, NOW)


@pytest.mark.parametrize("abc", [Persistence, Inventory, StatQuery, Locking, StorageConnector])
def test_sub_interfaces_cannot_be_instantiated_without_their_methods(abc):
    with pytest.raises(TypeError, match="abstract"):
        abc()


@pytest.mark.parametrize(
    ("abc", "methods"),
    [
        (Persistence, {"load", "save"}),
        (Inventory, {"list", "delete"}),
        (StatQuery, {"stat", "exists"}),
        (Locking, {"acquire", "release", "is_locked"}),
    ],
)
def test_each_sub_interface_requires_exactly_its_seed_methods(abc, methods):
    assert abc.__abstractmethods__ == methods


def test_storage_connector_requires_persistence_inventory_and_stat_query_but_not_locking():
    assert StorageConnector.__abstractmethods__ == {
        "load",
        "save",
        "list",
        "delete",
        "stat",
        "exists",
    }
    assert not issubclass(StorageConnector, Locking)


@pytest.mark.parametrize(
    "method",
    [
        "load",
        "save",
        "list",
        "delete",
        "stat",
        "exists",
        "acquire",
        "release",
        "is_locked",
        "close",
    ],
)
def test_every_storage_method_is_async(method):
    assert inspect.iscoroutinefunction(getattr(MemoryStorage, method))


def test_a_minimal_connector_round_trips_an_entry():
    storage = MemoryStorage()
    entry = StorageEntry("state/models", b'{"a": 1}', {"format": "json"})

    async def scenario():
        await storage.save(entry.key, entry)
        return await storage.load(entry.key), await storage.stat(entry.key)

    loaded, meta = asyncio.run(scenario())
    assert loaded == entry
    assert meta == EntryMetadata("state/models", 8, NOW)


def test_a_connector_that_also_inherits_locking_can_lock_and_release():
    storage = MemoryStorage()

    async def scenario():
        handle = await storage.acquire("state", timeout=1.0)
        held = await storage.is_locked("state")
        await storage.release(handle)
        return handle, held, await storage.is_locked("state")

    handle, held, still_held = asyncio.run(scenario())
    assert (handle.key, held, still_held) == ("state", True, False)


def test_close_is_a_no_op_by_default():
    assert asyncio.run(MemoryStorage().close()) is None
