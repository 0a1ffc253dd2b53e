"""What SQLiteStorage does with the database: its tables, its mode, its lock rows."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.storage import StorageEntry
from modelmesh_cdk.base.storage import LockNotHeldError
from modelmesh_plugin_sqlite.connector import SQLiteStorage


def test_entries_are_rows_of_the_configured_table_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    async def scenario() -> None:
        storage = SQLiteStorage({"path": str(path), "table": "state"})
        await storage.save("k", StorageEntry("k", b"data", {"a": 1}))
        await storage.close()

    asyncio.run(scenario())
    with sqlite3.connect(path) as connection:
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
        rows = connection.execute("SELECT key, data, size FROM state").fetchall()
    assert (mode, rows) == ("wal", [("k", b"data", 4)])


def test_a_table_name_that_is_not_plain_sql_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="table"):
        SQLiteStorage({"table": "state; DROP TABLE x"})


def test_entries_survive_reopening(tmp_path: Path) -> None:
    options = {"path": str(tmp_path / "s.db"), "format": "yaml"}

    async def scenario() -> StorageEntry | None:
        first = SQLiteStorage(options)
        await first.save("k", StorageEntry("k", b"\x00\xff", {"a": "b"}))
        await first.close()
        second = SQLiteStorage(options)
        try:
            return await second.load("k")
        finally:
            await second.close()

    assert asyncio.run(scenario()) == StorageEntry("k", b"\x00\xff", {"a": "b"})


def test_only_the_owner_releases_a_lock(tmp_path: Path) -> None:
    options = {"path": str(tmp_path / "s.db")}

    async def scenario() -> bool:
        first, second = SQLiteStorage(options), SQLiteStorage(options)
        handle = await first.acquire("k", timeout=0)
        forged = type(handle)(handle.key, "not-the-owner", handle.acquired_at, handle.expires_at)
        with pytest.raises(LockNotHeldError):
            await second.release(forged)
        locked = await second.is_locked("k")
        await first.close()
        await second.close()
        return locked

    assert asyncio.run(scenario()) is True


def test_an_expired_lock_is_taken_over_by_another_connection(tmp_path: Path) -> None:
    clock = ManualClock()
    options = {"path": str(tmp_path / "s.db"), "lock_ttl_seconds": 5}

    async def scenario() -> bool:
        first, second = SQLiteStorage(options, clock=clock), SQLiteStorage(options, clock=clock)
        stale = await first.acquire("k", timeout=0)
        clock.advance(6)
        await second.acquire("k", timeout=0)
        with pytest.raises(LockNotHeldError):
            await first.release(stale)
        locked = await second.is_locked("k")
        await first.close()
        await second.close()
        return locked

    assert asyncio.run(scenario()) is True
