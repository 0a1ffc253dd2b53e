"""Crashes and other processes: a SIGKILLed writer never leaves a torn entry, and the
lock excludes other processes and frees itself when its holder dies."""

from __future__ import annotations

import asyncio
from pathlib import Path

from modelmesh_cdk.testing.storage_processes import (
    check_saved_entries,
    contend_for_lock,
    hold_lock_until_killed,
    kill_saver_repeatedly,
    overlapping_holds,
)
from modelmesh_plugin_sqlite.connector import SQLiteStorage

CONNECTOR = "modelmesh_plugin_sqlite.connector:SQLiteStorage"


def test_a_killed_writer_leaves_only_complete_entries(tmp_path: Path) -> None:
    options = {"path": str(tmp_path / "state.db"), "compression": True}
    kill_saver_repeatedly(CONNECTOR, options, kills=5)

    async def check() -> list[str]:
        storage = SQLiteStorage(options)
        try:
            return await check_saved_entries(storage)
        finally:
            await storage.close()

    assert sorted(asyncio.run(check())) == [f"entry-{number}" for number in range(4)]


def test_two_processes_never_hold_the_lock_together(tmp_path: Path) -> None:
    options = {"path": str(tmp_path / "state.db"), "lock_retry_interval_seconds": 0.005}
    lines = contend_for_lock(CONNECTOR, options, tmp_path / "log")
    assert (len(lines), overlapping_holds(lines)) == (80, [])


def test_the_lock_of_a_killed_holder_expires(tmp_path: Path) -> None:
    options = {
        "path": str(tmp_path / "state.db"),
        "lock_ttl_seconds": 1.0,
        "lock_retry_interval_seconds": 0.05,
    }
    hold_lock_until_killed(CONNECTOR, options, "k")

    async def take_over() -> tuple[bool, str]:
        storage = SQLiteStorage(options)
        try:
            held_by_the_dead = await storage.is_locked("k")
            handle = await storage.acquire("k", timeout=10)
            return held_by_the_dead, handle.key
        finally:
            await storage.close()

    assert asyncio.run(take_over()) == (True, "k")
