"""The storage base class and the key-value store: entries, stat, file persistence."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.storage import EntryMetadata, StorageEntry
from modelmesh_cdk.base.storage import BaseStorage, KeyValueStorage

START = datetime(2026, 1, 1, tzinfo=UTC)


def entry(key: str = "state/models", data: bytes = b'{"a": 1}', **metadata: object) -> StorageEntry:
    return StorageEntry(key, data, dict(metadata))


def test_a_saved_entry_loads_back():
    storage = BaseStorage()

    async def scenario():
        await storage.save("k", entry("k"))
        return await storage.load("k")

    assert asyncio.run(scenario()) == entry("k")


def test_loading_a_missing_key_gives_none():
    assert asyncio.run(BaseStorage().load("missing")) is None


def test_a_save_overwrites_the_entry():
    storage = BaseStorage()

    async def scenario():
        await storage.save("k", entry("k", b"old"))
        await storage.save("k", entry("k", b"new"))
        return await storage.load("k")

    assert asyncio.run(scenario()).data == b"new"


def test_an_entry_is_stored_under_the_key_it_was_saved_with():
    storage = BaseStorage()

    async def scenario():
        await storage.save("other", entry("k"))
        return await storage.load("other")

    assert asyncio.run(scenario()).key == "other"


def test_changing_loaded_metadata_does_not_change_the_store():
    storage = BaseStorage()

    async def scenario():
        await storage.save("k", entry("k", format="json"))
        (await storage.load("k")).metadata["format"] = "yaml"
        return await storage.load("k")

    assert asyncio.run(scenario()).metadata == {"format": "json"}


def test_list_filters_keys_by_prefix():
    storage = BaseStorage()

    async def scenario():
        for key in ("state/a", "config/b", "state/c"):
            await storage.save(key, entry(key))
        return await storage.list("state/")

    assert asyncio.run(scenario()) == ["state/a", "state/c"]


def test_delete_reports_whether_the_entry_existed():
    storage = BaseStorage()

    async def scenario():
        await storage.save("k", entry("k"))
        return await storage.delete("k"), await storage.delete("k"), await storage.exists("k")

    assert asyncio.run(scenario()) == (True, False, False)


def test_stat_gives_size_write_time_and_content_type():
    clock = ManualClock(START)
    storage = BaseStorage(clock=clock)

    async def scenario():
        await storage.save("k", entry("k", b"12345", content_type="application/json"))
        clock.advance(60)
        return await storage.stat("k")

    assert asyncio.run(scenario()) == EntryMetadata("k", 5, START, "application/json")


def test_stat_of_a_missing_key_is_none():
    assert asyncio.run(BaseStorage().stat("missing")) is None


def test_a_bad_option_is_refused_naming_the_connector():
    with pytest.raises(ConfigurationError, match="BaseStorage"):
        BaseStorage({"format": "xml"})


def test_the_file_backend_needs_a_file_path():
    with pytest.raises(ConfigurationError, match="file_path"):
        KeyValueStorage({"backend": "file"})


@pytest.mark.parametrize("format", ["json", "yaml", "msgpack"])
@pytest.mark.parametrize("compression", [False, True])
def test_the_file_backend_keeps_entries_across_instances(tmp_path: Path, format, compression):
    options = {
        "backend": "file",
        "file_path": str(tmp_path / "store"),
        "format": format,
        "compression": compression,
    }
    clock = ManualClock(START)

    async def scenario():
        await KeyValueStorage(options, clock=clock).save("k", entry("k", b"\x00\xffbin", a=1))
        reopened = KeyValueStorage(options, clock=clock)
        return await reopened.load("k"), await reopened.stat("k")

    loaded, meta = asyncio.run(scenario())
    assert (loaded, meta) == (entry("k", b"\x00\xffbin", a=1), EntryMetadata("k", 5, START))


def test_the_json_file_holds_the_data_as_base64(tmp_path: Path):
    path = tmp_path / "store.json"
    storage = KeyValueStorage({"backend": "file", "file_path": str(path)})
    asyncio.run(storage.save("k", entry("k", b"hello")))
    assert json.loads(path.read_text())["entries"]["k"]["data"] == "aGVsbG8="


def test_a_deletion_reaches_the_file(tmp_path: Path):
    options = {"backend": "file", "file_path": str(tmp_path / "store.json")}

    async def scenario():
        storage = KeyValueStorage(options)
        await storage.save("k", entry("k"))
        await storage.delete("k")
        return await KeyValueStorage(options).exists("k")

    assert asyncio.run(scenario()) is False


def test_a_save_that_cannot_be_written_changes_nothing(tmp_path: Path):
    storage = KeyValueStorage({"backend": "file", "file_path": str(tmp_path / "s.json")})

    async def scenario():
        await storage.save("k", entry("k", b"old"))
        with pytest.raises(ValueError, match="cannot serialize"):
            await storage.save("k", entry("k", b"new", when=object()))
        return await storage.load("k")

    assert asyncio.run(scenario()).data == b"old"


def test_a_foreign_file_is_reported_with_its_path(tmp_path: Path):
    path = tmp_path / "other.json"
    path.write_text('{"something": "else"}')
    storage = KeyValueStorage({"backend": "file", "file_path": str(path)})
    with pytest.raises(ValueError, match=r"other\.json"):
        asyncio.run(storage.load("k"))


def test_the_memory_backend_writes_no_file(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    asyncio.run(KeyValueStorage().save("k", entry("k")))
    assert list(tmp_path.iterdir()) == []


def test_the_write_time_is_the_clock_reading():
    clock = ManualClock(START + timedelta(days=1))
    storage = KeyValueStorage(clock=clock)

    async def scenario():
        await storage.save("k", entry("k"))
        return await storage.stat("k")

    assert asyncio.run(scenario()).last_modified == START + timedelta(days=1)


def test_concurrent_saves_to_the_file_backend_all_reach_the_file(tmp_path: Path):
    options = {"backend": "file", "file_path": str(tmp_path / "store.json")}
    keys = [f"state/{n}" for n in range(20)]

    async def scenario():
        storage = KeyValueStorage(options)
        await asyncio.gather(*(storage.save(key, entry(key)) for key in keys))
        return await KeyValueStorage(options).list()

    assert asyncio.run(scenario()) == sorted(keys)
