"""What LocalFileStorage does with files: where keys land, backups, damage reports."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from modelmesh.clock import ManualClock
from modelmesh.interfaces.storage import StorageEntry
from modelmesh_plugin_file_storage.connector import LocalFileStorage


def entry(key: str, data: bytes = b"v") -> StorageEntry:
    return StorageEntry(key, data, {})


@settings(max_examples=50)
@given(key=st.text(min_size=1, max_size=40))
def test_every_key_stays_in_its_directory_and_lists_back(key: str) -> None:
    async def scenario(root: Path) -> tuple[list[str], list[str]]:
        storage = LocalFileStorage({"path": str(root / "state")})
        await storage.save(key, entry(key))
        return await storage.list(), sorted(os.listdir(root))

    with tempfile.TemporaryDirectory() as root:
        listed, top = asyncio.run(scenario(Path(root)))
    assert (listed, top) == ([key], ["state"])


def test_a_file_name_never_starts_with_a_dot(tmp_path: Path) -> None:
    storage = LocalFileStorage({"path": str(tmp_path)})
    asyncio.run(storage.save("..", entry("..")))
    assert [name for name in os.listdir(tmp_path) if name.startswith(".")] == []


def test_the_empty_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        asyncio.run(LocalFileStorage({"path": str(tmp_path)}).save("", entry("")))


def test_a_key_too_long_for_a_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="shorter key"):
        asyncio.run(LocalFileStorage({"path": str(tmp_path)}).save("é" * 100, entry("k")))


def test_backup_keeps_the_previous_version(tmp_path: Path) -> None:
    async def scenario() -> bytes:
        storage = LocalFileStorage({"path": str(tmp_path), "backup": True})
        await storage.save("k", entry("k", b"old"))
        await storage.save("k", entry("k", b"new"))
        backup = LocalFileStorage({"path": str(tmp_path)})
        os.replace(tmp_path / "k.json.bak", tmp_path / "k.json")
        loaded = await backup.load("k")
        assert loaded is not None
        return loaded.data

    assert asyncio.run(scenario()) == b"old"


def test_stat_reports_the_save_time_in_utc(tmp_path: Path) -> None:
    clock = ManualClock()

    async def scenario() -> object:
        storage = LocalFileStorage({"path": str(tmp_path)}, clock=clock)
        await storage.save("k", entry("k"))
        stat = await storage.stat("k")
        assert stat is not None
        return stat.last_modified

    assert asyncio.run(scenario()) == clock.now()


def test_a_file_in_another_format_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "k.json").write_bytes(b"\x00not json")
    with pytest.raises(ValueError, match=re.escape("k.json")):
        asyncio.run(LocalFileStorage({"path": str(tmp_path)}).load("k"))


def test_a_lock_is_shared_by_two_stores_on_one_directory(tmp_path: Path) -> None:
    async def scenario() -> bool:
        first = LocalFileStorage({"path": str(tmp_path)})
        await first.acquire("k", timeout=1)
        return await LocalFileStorage({"path": str(tmp_path)}).is_locked("k")

    assert asyncio.run(scenario()) is True


def test_an_expired_lock_is_taken_over(tmp_path: Path) -> None:
    clock = ManualClock()

    async def scenario() -> bool:
        options = {"path": str(tmp_path), "lock_ttl_seconds": 5}
        await LocalFileStorage(options, clock=clock).acquire("k", timeout=0)
        clock.advance(6)
        second = LocalFileStorage(options, clock=clock)
        handle = await second.acquire("k", timeout=0)
        clock.advance(1)
        await second.release(handle)
        return await second.is_locked("k")

    assert asyncio.run(scenario()) is False
