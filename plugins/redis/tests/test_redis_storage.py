"""What RedisStorage promises beyond the standard suite: the Redis layout, entry expiry,
lock ownership, listing by SCAN, and no credentials shown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
import redis.asyncio as aioredis

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.storage import StorageEntry
from modelmesh_cdk.base.storage import LockNotHeldError
from modelmesh_plugin_redis.connector import RedisStorage

T = TypeVar("T")
SECRET = "s3cret-pass"


def run(
    url: str,
    prefix: str,
    scenario: Callable[[RedisStorage, aioredis.Redis], Awaitable[T]],
    **options: Any,
) -> T:
    """Runs ``scenario`` with a store and a raw client on the same server."""

    async def main() -> T:
        storage = RedisStorage({"url": url, "key_prefix": prefix, **options})
        raw = aioredis.Redis.from_url(url)
        try:
            return await scenario(storage, raw)
        finally:
            await storage.close()
            await raw.aclose()

    return asyncio.run(main())


def entry(data: bytes = b"v", **metadata: Any) -> StorageEntry:
    return StorageEntry("ignored", data, metadata)


# Layout and encoding


def test_an_entry_is_a_hash_with_small_stat_fields(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> dict[bytes, bytes]:
        await storage.save("a/b", entry(b"hello", content_type="text/plain"))
        return await raw.hgetall(f"{key_prefix}entry:a/b")

    fields = run(redis_url, key_prefix, scenario)
    assert set(fields) == {b"entry", b"size", b"last_modified", b"content_type"}
    assert (fields[b"size"], fields[b"content_type"]) == (b"5", b"text/plain")


def test_stat_reports_content_type_and_save_time(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> Any:
        await storage.save("k", entry(b"abc", content_type="application/json"))
        return await storage.stat("k")

    stat = run(redis_url, key_prefix, scenario)
    assert (stat.size, stat.content_type) == (3, "application/json")
    assert stat.last_modified.tzinfo is not None


def test_compression_stores_gzip_and_reads_it_back(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> tuple[bytes, Any]:
        await storage.save("k", entry(b"x" * 1000, n=1))
        stored = await raw.hget(f"{key_prefix}entry:k", "entry")
        return stored, await storage.load("k")

    stored, loaded = run(redis_url, key_prefix, scenario, format="msgpack", compression=True)
    assert stored.startswith(b"\x1f\x8b")
    assert (loaded.data, loaded.metadata) == (b"x" * 1000, {"n": 1})


def test_an_entry_in_another_format_names_the_key_and_the_fix(
    redis_url: str, key_prefix: str
) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> None:
        await storage.save("k", entry())
        reader = RedisStorage({"url": redis_url, "key_prefix": key_prefix, "compression": True})
        try:
            await reader.load("k")
        finally:
            await reader.close()

    with pytest.raises(ValueError, match=rf"{key_prefix}entry:k.*set format and compression"):
        run(redis_url, key_prefix, scenario)


# Sharing one server


def test_a_second_instance_sees_a_save_at_once(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> bytes:
        other = RedisStorage({"url": redis_url, "key_prefix": key_prefix})
        try:
            assert await other.load("k") is None
            await storage.save("k", entry(b"new"))
            loaded = await other.load("k")
            return loaded.data
        finally:
            await other.close()

    assert run(redis_url, key_prefix, scenario) == b"new"


def test_stores_with_different_prefixes_do_not_see_each_other(
    redis_url: str, key_prefix: str
) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> list[str]:
        other = RedisStorage({"url": redis_url, "key_prefix": key_prefix + "other:"})
        try:
            await other.save("hidden", entry())
            await storage.save("seen", entry())
            return await storage.list()
        finally:
            await other.close()

    assert run(redis_url, key_prefix, scenario) == ["seen"]


# Listing


def test_list_treats_glob_characters_in_a_prefix_literally(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> list[str]:
        for key in ("a*b", "ab", "a?c", "[x]", "x", "a\\b"):
            await storage.save(key, entry())
        return [
            *await storage.list("a*"),
            *await storage.list("a?"),
            *await storage.list("["),
            *await storage.list("a\\"),
        ]

    assert run(redis_url, key_prefix, scenario) == ["a*b", "a?c", "[x]", "a\\b"]


def test_list_leaves_out_locks(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> list[str]:
        await storage.save("k", entry())
        await storage.acquire("held", timeout=1)
        return await storage.list()

    assert run(redis_url, key_prefix, scenario) == ["k"]


def test_list_walks_a_keyspace_larger_than_one_scan_step(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> list[str]:
        async with raw.pipeline(transaction=False) as pipe:
            for number in range(1200):
                pipe.hset(f"{key_prefix}entry:n{number:04}", mapping={"size": 0})
            await pipe.execute()
        return await storage.list("n")

    assert run(redis_url, key_prefix, scenario) == [f"n{number:04}" for number in range(1200)]


# Entry expiry


def test_ttl_sets_an_expiry_on_each_saved_entry(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> int:
        await storage.save("k", entry())
        return await raw.pttl(f"{key_prefix}entry:k")

    assert 0 < run(redis_url, key_prefix, scenario, ttl="1h") <= 3_600_000


def test_without_ttl_an_entry_never_expires(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> int:
        await storage.save("k", entry())
        return await raw.pttl(f"{key_prefix}entry:k")

    assert run(redis_url, key_prefix, scenario) == -1


def test_a_save_without_ttl_clears_an_earlier_expiry(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> int:
        expiring = RedisStorage({"url": redis_url, "key_prefix": key_prefix, "ttl": "1h"})
        try:
            await expiring.save("k", entry())
        finally:
            await expiring.close()
        await storage.save("k", entry())
        return await raw.pttl(f"{key_prefix}entry:k")

    assert run(redis_url, key_prefix, scenario) == -1


def test_an_expired_entry_is_gone(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> tuple[Any, ...]:
        await storage.save("k", entry())
        # The entry's expiry moved into the past, rather than waited for.
        await raw.pexpireat(f"{key_prefix}entry:k", 1)
        return (
            await storage.load("k"),
            await storage.stat("k"),
            await storage.exists("k"),
            await storage.list(),
        )

    assert run(redis_url, key_prefix, scenario, ttl="1h") == (None, None, False, [])


def test_ttl_must_be_positive() -> None:
    with pytest.raises(ConfigurationError, match="ttl"):
        RedisStorage({"ttl": 0})


# Locks


def test_a_lock_key_expires_in_redis_after_lock_ttl(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> int:
        await storage.acquire("k", timeout=1)
        return await raw.pttl(f"{key_prefix}lock:k")

    assert 0 < run(redis_url, key_prefix, scenario, lock_ttl_seconds="20s") <= 20_000


def test_only_the_owner_releases_a_lock(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> bool:
        held = await storage.acquire("k", timeout=1)
        forged = type(held)(held.key, "not-the-token", held.acquired_at, held.expires_at)
        with pytest.raises(LockNotHeldError, match="'k'"):
            await storage.release(forged)
        return await storage.is_locked("k")

    assert run(redis_url, key_prefix, scenario) is True


def test_a_lock_retaken_after_expiry_stays_with_the_new_holder(
    redis_url: str, key_prefix: str
) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> bool:
        stale = await storage.acquire("k", timeout=1)
        await raw.delete(f"{key_prefix}lock:k")  # what Redis does when the ttl runs out
        fresh = await storage.acquire("k", timeout=1)
        with pytest.raises(LockNotHeldError):
            await storage.release(stale)
        still_held = await storage.is_locked("k")
        await storage.release(fresh)
        return still_held and not await storage.is_locked("k")

    assert run(redis_url, key_prefix, scenario) is True


def test_a_lock_excludes_another_instance(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> None:
        other = RedisStorage({"url": redis_url, "key_prefix": key_prefix})
        try:
            await storage.acquire("k", timeout=1)
            with pytest.raises(TimeoutError, match="'k'"):
                await other.acquire("k", timeout=0.05)
        finally:
            await other.close()

    run(redis_url, key_prefix, scenario, lock_retry_interval_seconds="10ms")


def test_with_locking_disabled_acquire_never_waits(redis_url: str, key_prefix: str) -> None:
    async def scenario(storage: RedisStorage, raw: aioredis.Redis) -> bool:
        await storage.acquire("k", timeout=0)
        await storage.acquire("k", timeout=0)
        return await storage.is_locked("k")

    assert run(redis_url, key_prefix, scenario, locking_enabled=False) is False


# Credentials


def test_repr_hides_the_password() -> None:
    storage = RedisStorage({"url": f"redis://user:{SECRET}@127.0.0.1:1/0"})
    assert SECRET not in repr(storage)
    assert SECRET not in repr(storage.config)


def test_an_unreachable_server_names_the_url_without_the_password() -> None:
    async def scenario() -> None:
        storage = RedisStorage({"url": f"redis://user:{SECRET}@127.0.0.1:1/0"})
        try:
            await storage.load("k")
        finally:
            await storage.close()

    with pytest.raises(ConnectionError, match=r"127\.0\.0\.1:1.*'k'") as caught:
        asyncio.run(scenario())
    assert SECRET not in str(caught.value)


def test_a_malformed_url_is_refused_without_the_password() -> None:
    with pytest.raises(ConfigurationError, match="not a Redis URL") as caught:
        RedisStorage({"url": f"http://user:{SECRET}@example/0"})
    assert SECRET not in str(caught.value)
