"""Processes sharing one redis-server: locks exclude across processes, a killed holder's
lock expires, and a writer killed mid-save leaves only whole entries."""

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
from modelmesh_plugin_redis.connector import RedisStorage

CONNECTOR = "modelmesh_plugin_redis.connector:RedisStorage"
ROUNDS = 100


def test_two_processes_never_hold_the_lock_together(
    redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    options = {"url": redis_url, "key_prefix": key_prefix, "lock_retry_interval_seconds": "5ms"}
    lines = contend_for_lock(CONNECTOR, options, tmp_path / "log", rounds=ROUNDS)
    assert overlapping_holds(lines) == []
    assert len(lines) == 2 * 2 * ROUNDS


def test_a_killed_holders_lock_expires_after_its_ttl(redis_url: str, key_prefix: str) -> None:
    hold_lock_until_killed(
        CONNECTOR, {"url": redis_url, "key_prefix": key_prefix, "lock_ttl_seconds": "500ms"}, "k"
    )

    async def scenario() -> tuple[bool, bool]:
        storage = RedisStorage(
            {"url": redis_url, "key_prefix": key_prefix, "lock_retry_interval_seconds": "10ms"}
        )
        try:
            held_after_death = await storage.is_locked("k")
            handle = await storage.acquire("k", timeout=10)
            return held_after_death, handle.key == "k"
        finally:
            await storage.close()

    # The dead holder's lock outlives it, then frees the key within the bounded wait.
    assert asyncio.run(scenario()) == (True, True)


def test_a_writer_killed_mid_save_leaves_only_whole_entries(
    redis_url: str, key_prefix: str
) -> None:
    options = {"url": redis_url, "key_prefix": key_prefix, "compression": True}
    assert kill_saver_repeatedly(CONNECTOR, options) > 0

    async def scenario() -> list[str]:
        storage = RedisStorage(options)
        try:
            return await check_saved_entries(storage)
        finally:
            await storage.close()

    assert sorted(asyncio.run(scenario())) == [f"entry-{number}" for number in range(4)]
