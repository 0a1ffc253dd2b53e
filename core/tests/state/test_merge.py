"""Two instances sharing storage: counts add up, the latest status change wins."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from modelmesh.interfaces.rotation import DeactivationReason, ModelStatus
from modelmesh.interfaces.storage import SyncPolicy
from modelmesh.state import StateManager


def pair(storage, clock, policy=SyncPolicy.IMMEDIATE):
    managers = []
    for _ in range(2):
        manager = StateManager(storage, policy=policy, clock=clock)
        manager.model("m", "p")
        managers.append(manager)
    return managers


def test_both_instances_requests_count_against_the_shared_quota(storage, clock):
    a, b = pair(storage, clock)
    a.record_success("m", latency_ms=1.0, tokens=10, cost=0.1)
    a.record_success("m", latency_ms=1.0, tokens=10, cost=0.1)
    b.record_success("m", latency_ms=1.0, tokens=5, cost=0.05)

    asyncio.run(a.sync())
    asyncio.run(b.sync())
    asyncio.run(a.save())

    for manager in (a, b):
        record = manager.models["m"]
        assert (record.daily.requests, record.monthly.tokens, record.total_requests) == (3, 25, 3)
        assert manager.providers["p"].monthly.requests == 3


def test_syncing_again_does_not_count_twice(storage, clock):
    a, b = pair(storage, clock)
    a.record_success("m", latency_ms=1.0, tokens=10, cost=0.0)

    for _ in range(3):
        asyncio.run(a.save())
        asyncio.run(b.save())

    assert a.models["m"].total_tokens == b.models["m"].total_tokens == 10


def test_a_deactivation_is_adopted_at_the_others_next_sync(storage, clock):
    a, b = pair(storage, clock)
    until = clock.now() + timedelta(minutes=1)
    clock.advance(1)
    a.deactivate("m", DeactivationReason.QUOTA_EXHAUSTED, until=until)
    asyncio.run(a.sync())
    clock.advance(1)
    b.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)

    asyncio.run(b.sync())

    record = b.models["m"]
    assert record.status is ModelStatus.STANDBY
    assert record.deactivation_reason is DeactivationReason.QUOTA_EXHAUSTED
    assert record.cooldown_until == until


def test_a_later_activation_beats_an_earlier_deactivation(storage, clock):
    a, b = pair(storage, clock)
    for manager in (a, b):
        manager.deactivate("m", DeactivationReason.MANUAL, until=None)
    asyncio.run(a.sync())
    asyncio.run(b.sync())
    clock.advance(5)
    b.activate("m")

    asyncio.run(b.sync())
    asyncio.run(a.save())

    assert a.models["m"].is_active


def test_a_provider_deactivation_is_shared(storage, clock):
    a, b = pair(storage, clock)
    clock.advance(1)
    a.deactivate_provider("p", "invalid key", auth_failed=True)
    asyncio.run(a.sync())

    asyncio.run(b.save())

    assert not b.providers["p"].available
    assert not b.providers["p"].auth_valid


def test_a_new_day_replaces_the_stored_daily_counts(storage, clock):
    a, b = pair(storage, clock)
    a.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)
    asyncio.run(a.sync())

    clock.advance(86_400)
    b.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)
    asyncio.run(b.sync())

    record = b.models["m"]
    assert (record.daily.period, record.daily.requests) == ("2026-04-01", 1)
    assert record.total_requests == 2


def test_records_only_one_side_has_are_kept(storage, clock):
    a, b = pair(storage, clock)
    a.model("only-a", "p")
    b.model("only-b", "q")
    b.record_rotation("chat", "only-b")

    asyncio.run(a.save())
    asyncio.run(b.save())
    asyncio.run(a.save())

    assert set(a.models) == set(b.models) == {"m", "only-a", "only-b"}
    assert a.pools["chat"].current_model == "only-b"
    assert set(a.providers) == {"p", "q"}


def test_the_managers_own_records_stay_the_same_objects(storage, clock):
    a, b = pair(storage, clock)
    held = a.models["m"]
    b.record_success("m", latency_ms=1.0, tokens=3, cost=0.0)
    asyncio.run(b.sync())

    asyncio.run(a.save())

    assert a.models["m"] is held
    assert held.total_tokens == 3
