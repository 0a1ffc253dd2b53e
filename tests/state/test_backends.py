"""The state through every real storage connector: restarts and instances sharing a store.

Each scenario runs in one event loop, as a deployment does, and closes the connectors
it opened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelmesh.clock import ManualClock
from modelmesh.interfaces.rotation import DeactivationReason, ModelStatus
from modelmesh.interfaces.storage import Locking, SyncPolicy
from modelmesh.state import StateError, StateManager

PERSISTING = [SyncPolicy.SYNC_ON_BOUNDARY, SyncPolicy.PERIODIC, SyncPolicy.IMMEDIATE]


def scenario(open_storage: Callable[[], Any], body: Callable[..., Awaitable[None]]) -> None:
    """Run ``body(open_storage)`` in one loop; close every connector it opened."""
    opened: list[Any] = []

    def opener() -> Any:
        storage = open_storage()
        if storage not in opened:
            opened.append(storage)
        return storage

    async def run() -> None:
        try:
            await body(opener)
        finally:
            for storage in opened:
                await storage.close()

    asyncio.run(run())


def manager(storage: Any, clock: ManualClock, policy: SyncPolicy) -> StateManager:
    state = StateManager(storage, policy=policy, clock=clock, sync_interval=60.0)
    state.model("gpt", "openai")
    return state


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))


@pytest.mark.parametrize("policy", PERSISTING, ids=lambda p: p.value)
def test_state_survives_a_restart(open_storage, clock, policy):
    until = clock.now() + timedelta(minutes=10)

    async def body(opener):
        before = manager(opener(), clock, policy)
        before.record_success("gpt", latency_ms=250.0, tokens=100, cost=0.02)
        before.record_failure("gpt", counts=True)
        before.deactivate("gpt", DeactivationReason.ERROR_THRESHOLD, until=until)
        before.record_rotation("chat", "gpt")
        await before.close()

        clock.advance(120)
        after = StateManager(opener(), policy=policy, clock=clock)
        await after.load()

        record = after.models["gpt"]
        assert record.status is ModelStatus.STANDBY
        assert record.cooldown_until == until > clock.now()
        assert (record.total_requests, record.total_tokens, record.failure_count) == (2, 100, 1)
        assert list(record.latency_history) == [250.0]
        assert after.pools["chat"].current_model == "gpt"
        assert after.models == before.models
        assert after.providers == before.providers

    scenario(open_storage, body)


def test_in_memory_state_does_not_survive_a_restart(open_storage, clock):
    async def body(opener):
        storage = opener()
        before = manager(storage, clock, SyncPolicy.IN_MEMORY)
        before.record_success("gpt", latency_ms=1.0, tokens=1, cost=0.0)
        await before.close()

        after = StateManager(opener(), policy=SyncPolicy.IN_MEMORY, clock=clock)
        await after.load()

        assert after.models == {}
        assert not await storage.exists("modelmesh/state")

    scenario(open_storage, body)


@pytest.mark.parametrize("policy", [SyncPolicy.PERIODIC, SyncPolicy.IMMEDIATE], ids=str)
def test_two_instances_share_counts_and_deactivations(open_storage, clock, policy):
    async def body(opener):
        a = manager(opener(), clock, policy)
        b = manager(opener(), clock, policy)
        for _ in range(3):
            a.record_success("gpt", latency_ms=1.0, tokens=10, cost=0.5)
        for _ in range(2):
            b.record_success("gpt", latency_ms=1.0, tokens=1, cost=0.25)
        clock.advance(60)
        await a.sync()
        await b.sync()

        clock.advance(1)
        a.deactivate("gpt", DeactivationReason.REQUEST_LIMIT, until=None)
        clock.advance(60)
        await a.sync()
        await b.sync()

        record = b.models["gpt"]
        assert record.status is ModelStatus.STANDBY
        assert record.deactivation_reason is DeactivationReason.REQUEST_LIMIT
        assert b.models["gpt"].daily.requests == 5
        assert b.models["gpt"].monthly.tokens == 32
        assert b.models["gpt"].total_cost == pytest.approx(2.0)
        assert b.providers["openai"].daily.cost == pytest.approx(2.0)

    scenario(open_storage, body)


def test_concurrent_syncs_of_many_instances_lose_no_count(open_storage, clock):
    async def body(opener):
        instances = [manager(opener(), clock, SyncPolicy.IMMEDIATE) for _ in range(4)]
        if not isinstance(instances[0].storage, Locking):
            pytest.skip("the storage has no locking")
        for round_ in range(3):
            for index, instance in enumerate(instances):
                instance.record_success("gpt", latency_ms=1.0, tokens=index + round_, cost=0.0)
            await asyncio.gather(*(instance.sync() for instance in instances))

        last = manager(opener(), clock, SyncPolicy.IMMEDIATE)
        await last.load()
        assert last.models["gpt"].total_requests == 12
        assert last.models["gpt"].total_tokens == sum(i + r for i in range(4) for r in range(3))

    scenario(open_storage, body)


def test_corrupt_state_in_a_real_store_is_reported_with_its_key(open_storage, clock):
    async def body(opener):
        storage = opener()
        state = manager(storage, clock, SyncPolicy.IMMEDIATE)
        await state.save()
        entry = await storage.load("modelmesh/state")
        await storage.save("modelmesh/state", type(entry)(entry.key, b"[]", entry.metadata))

        with pytest.raises(StateError, match=r"'modelmesh/state'.*JSON object"):
            await StateManager(storage, policy=SyncPolicy.PERIODIC, clock=clock).load()

    scenario(open_storage, body)
