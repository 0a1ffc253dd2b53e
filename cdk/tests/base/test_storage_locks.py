"""Advisory locks of the storage base class: exclusion, timeouts, expiry, safe release."""

from __future__ import annotations

import asyncio
import math

import pytest

from modelmesh.clock import ManualClock
from modelmesh_cdk.base.storage import BaseStorage, LockNotHeldError


def storage(**options: object) -> tuple[BaseStorage, ManualClock]:
    clock = ManualClock()
    return BaseStorage(options, clock=clock), clock


def test_a_held_key_is_locked_and_a_released_one_is_not():
    store, _ = storage()

    async def scenario():
        handle = await store.acquire("state")
        held = await store.is_locked("state")
        await store.release(handle)
        return held, await store.is_locked("state")

    assert asyncio.run(scenario()) == (True, False)


def test_a_lock_expires_after_its_ttl():
    store, clock = storage(lock_ttl_seconds="10s")

    async def scenario():
        await store.acquire("state")
        clock.advance(10)
        return await store.is_locked("state")

    assert asyncio.run(scenario()) is False


def test_the_handle_says_when_the_lock_expires():
    store, _ = storage(lock_ttl_seconds=10)
    handle = asyncio.run(store.acquire("state"))
    assert (handle.expires_at - handle.acquired_at).total_seconds() == 10


def test_two_tasks_never_hold_the_same_key_at_once():
    store, clock = storage(lock_retry_interval_seconds="100ms")
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []

    async def worker(name: str) -> None:
        for _ in range(3):
            handle = await store.acquire("state", timeout=60)
            inside.append(name)
            overlaps.append(tuple(inside))
            await clock.sleep(0.5)
            inside.remove(name)
            await store.release(handle)

    async def scenario():
        await asyncio.gather(worker("a"), worker("b"))

    asyncio.run(scenario())
    assert all(len(present) == 1 for present in overlaps)


def test_a_waiter_gets_the_lock_once_it_is_released():
    store, clock = storage()

    async def scenario():
        first = await store.acquire("state")

        async def release_later() -> None:
            await clock.sleep(2)
            await store.release(first)

        releaser = asyncio.create_task(release_later())
        second = await store.acquire("state", timeout=10)
        await releaser
        return second.lock_id != first.lock_id

    assert asyncio.run(scenario())


def test_acquire_times_out_while_another_holds_the_key():
    store, _ = storage()

    async def scenario():
        await store.acquire("state")
        await store.acquire("state", timeout=5)

    with pytest.raises(TimeoutError, match="state"):
        asyncio.run(scenario())


def test_a_timed_out_acquire_waits_its_timeout_on_the_clock():
    store, clock = storage(lock_retry_interval_seconds=1)

    async def scenario():
        await store.acquire("state")
        start = clock.monotonic()
        with pytest.raises(TimeoutError):
            await store.acquire("state", timeout=2.5)
        return clock.monotonic() - start

    assert asyncio.run(scenario()) == 2.5


def test_without_a_timeout_acquire_waits_the_configured_lock_timeout():
    store, clock = storage(lock_timeout_seconds="3s", lock_ttl_seconds="1h")

    async def scenario():
        await store.acquire("state")
        start = clock.monotonic()
        with pytest.raises(TimeoutError):
            await store.acquire("state")
        return clock.monotonic() - start

    assert asyncio.run(scenario()) == 3


def test_an_unbounded_wait_ends_when_the_crashed_holders_lock_expires():
    store, clock = storage(lock_ttl_seconds="30s")

    async def scenario():
        await store.acquire("state")
        start = clock.monotonic()
        await store.acquire("state", timeout=math.inf)
        return clock.monotonic() - start

    assert asyncio.run(scenario()) == 30


def test_other_keys_are_not_locked():
    store, _ = storage()

    async def scenario():
        await store.acquire("state")
        return await store.is_locked("config")

    assert asyncio.run(scenario()) is False


def test_releasing_twice_is_refused():
    store, _ = storage()

    async def scenario():
        handle = await store.acquire("state")
        await store.release(handle)
        await store.release(handle)

    with pytest.raises(LockNotHeldError, match="state"):
        asyncio.run(scenario())


def test_releasing_an_expired_lock_leaves_the_new_holder_its_lock():
    store, clock = storage(lock_ttl_seconds=5)

    async def scenario():
        stale = await store.acquire("state")
        clock.advance(5)
        await store.acquire("state", timeout=0)
        with pytest.raises(LockNotHeldError):
            await store.release(stale)
        return await store.is_locked("state")

    assert asyncio.run(scenario()) is True


def test_with_locking_disabled_nothing_is_ever_locked():
    store, _ = storage(locking_enabled=False)

    async def scenario():
        await store.acquire("state")
        await store.acquire("state", timeout=0)
        return await store.is_locked("state")

    assert asyncio.run(scenario()) is False
