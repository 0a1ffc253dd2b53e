"""StateManager: what each mutation records, and when each sync policy touches storage."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.rotation import DeactivationReason, ModelStatus
from modelmesh.interfaces.storage import SyncPolicy
from modelmesh.state import StateError, StateManager
from modelmesh.state.codec import decode_state


def manager(storage, clock, policy=SyncPolicy.IMMEDIATE, **options) -> StateManager:
    state = StateManager(storage, policy=policy, clock=clock, **options)
    state.model("m", "p")
    return state


def stored(storage, key="modelmesh/state"):
    return decode_state(storage.entries[key].data, key)


# --- mutations ---------------------------------------------------------------------------


def test_model_records_are_shared_and_made_once(storage, clock):
    state = StateManager(storage, policy=SyncPolicy.IN_MEMORY, clock=clock)

    first = state.model("m", "p")

    assert state.model("m", "p") is first
    assert state.provider("p") is state.providers["p"]
    assert state.pool("chat") is state.pool("chat")


def test_a_success_counts_usage_and_clears_the_failure_streak(storage, clock):
    state = manager(storage, clock)
    state.record_failure("m", counts=True)

    state.record_success("m", latency_ms=120.0, tokens=50, cost=0.01)

    record = state.models["m"]
    assert record.failure_count == 0
    assert list(record.outcomes) == [True, False]
    assert (record.total_requests, record.total_tokens, record.total_cost) == (2, 50, 0.01)
    assert (record.daily.requests, record.daily.tokens, record.daily.cost) == (2, 50, 0.01)
    assert (record.monthly.requests, record.monthly.tokens) == (2, 50)
    assert list(record.latency_history) == [120.0]
    assert record.last_request == clock.now()


def test_a_success_raises_the_provider_score_and_counts_its_spend(storage, clock):
    state = manager(storage, clock)
    state.record_failure("m", counts=True)

    state.record_success("m", latency_ms=1.0, tokens=10, cost=0.5)

    provider = state.providers["p"]
    assert provider.consecutive_failures == 0
    assert provider.availability_score == pytest.approx(0.9 + 0.1 * 0.1)
    assert (provider.daily.requests, provider.monthly.cost) == (2, 0.5)


def test_a_counted_failure_lengthens_the_streak(storage, clock):
    state = manager(storage, clock)

    state.record_failure("m", counts=True, latency_ms=30_000.0)
    state.record_failure("m", counts=True)

    record = state.models["m"]
    assert (record.failure_count, record.total_failures, record.error_rate) == (2, 2, 1.0)
    assert list(record.latency_history) == [30_000.0]
    assert record.last_failure == clock.now()
    assert state.providers["p"].consecutive_failures == 2
    assert state.providers["p"].availability_score == pytest.approx(0.81)


def test_a_request_scoped_failure_counts_the_call_but_not_against_the_model(storage, clock):
    state = manager(storage, clock)

    state.record_failure("m", counts=False)

    record = state.models["m"]
    assert (record.failure_count, record.total_failures, record.error_samples) == (0, 0, 0)
    assert (record.total_requests, record.daily.requests, record.monthly.requests) == (1, 1, 1)
    assert record.last_request == clock.now()
    assert record.last_failure is None
    assert state.providers["p"].availability_score == 1.0


def test_the_error_window_keeps_the_configured_number_of_outcomes(storage, clock):
    state = manager(storage, clock, error_rate_window=3)

    for _ in range(5):
        state.record_failure("m", counts=True)
    state.record_success("m", latency_ms=1.0, tokens=0, cost=0.0)

    assert list(state.models["m"].outcomes) == [True, True, False]


def test_counters_roll_over_at_midnight_utc(storage, clock):
    state = manager(storage, clock)
    state.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)

    clock.advance(3600)  # 2026-04-01 00:00 UTC: a new day and a new month
    state.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)

    record = state.models["m"]
    assert (record.daily.period, record.daily.requests) == ("2026-04-01", 1)
    assert (record.monthly.period, record.monthly.requests) == ("2026-04", 1)
    assert record.total_requests == 2


def test_mutating_an_unknown_model_says_how_to_register_it(storage, clock):
    state = StateManager(storage, policy=SyncPolicy.IN_MEMORY, clock=clock)

    with pytest.raises(KeyError, match=r"call model\('ghost', provider_id\) first"):
        state.record_success("ghost", latency_ms=1.0, tokens=0, cost=0.0)


def test_deactivate_sets_reason_time_and_cooldown_once(storage, clock):
    state = manager(storage, clock)
    until = clock.now() + timedelta(seconds=60)

    assert state.deactivate("m", DeactivationReason.ERROR_THRESHOLD, until=until) is True
    assert state.deactivate("m", DeactivationReason.MANUAL, until=None) is False

    record = state.models["m"]
    assert record.status is ModelStatus.STANDBY
    assert record.deactivation_reason is DeactivationReason.ERROR_THRESHOLD
    assert (record.deactivated_at, record.cooldown_until) == (clock.now(), until)


def test_activate_gives_a_clean_slate(storage, clock):
    state = manager(storage, clock)
    state.record_failure("m", counts=True)
    state.deactivate("m", DeactivationReason.ERROR_THRESHOLD, until=clock.now())

    assert state.activate("m") is True
    assert state.activate("m") is False

    record = state.models["m"]
    assert record.is_active
    assert (record.failure_count, record.error_rate, record.error_samples) == (0, 0.0, 0)
    assert record.deactivation_reason is record.cooldown_until is record.deactivated_at is None
    assert record.total_failures == 1


def test_provider_deactivation_and_recovery(storage, clock):
    state = manager(storage, clock)

    assert state.deactivate_provider("p", "invalid key", auth_failed=True) is True
    assert state.deactivate_provider("p", "again") is False
    provider = state.providers["p"]
    assert (provider.available, provider.auth_valid, provider.deactivation_reason) == (
        False,
        False,
        "invalid key",
    )

    assert state.activate_provider("p") is True
    assert state.activate_provider("p") is False
    assert (provider.available, provider.auth_valid, provider.deactivation_reason) == (
        True,
        True,
        None,
    )


def test_probes_are_timed_and_scored(storage, clock):
    state = manager(storage, clock)

    state.record_probe("p", success=False)

    provider = state.providers["p"]
    assert provider.last_probe == clock.now()
    assert (provider.consecutive_failures, provider.availability_score) == (1, 0.9)


def test_rotations_are_counted_only_when_the_model_changes(storage, clock):
    state = manager(storage, clock)

    state.record_rotation("chat", "a")
    state.record_rotation("chat", "a")
    state.record_rotation("chat", "b")

    pool = state.pools["chat"]
    assert (pool.current_model, pool.rotation_count, pool.last_rotation) == ("b", 2, clock.now())


def test_every_mutation_is_pending_until_synced(storage, clock):
    state = manager(storage, clock)

    state.record_success("m", latency_ms=1.0, tokens=0, cost=0.0)
    state.record_failure("m", counts=False)
    state.deactivate("m", DeactivationReason.MANUAL, until=None)

    assert state.get_sync_status().pending_changes == 3
    asyncio.run(state.sync())
    assert state.get_sync_status().pending_changes == 0


# --- construction ------------------------------------------------------------------------


def test_persisting_policies_need_a_storage(clock):
    with pytest.raises(ConfigurationError, match="no storage connector"):
        StateManager(None, policy=SyncPolicy.PERIODIC, clock=clock)


def test_in_memory_needs_no_storage(clock):
    state = StateManager(None, policy="in-memory", clock=clock)
    state.model("m", "p")

    asyncio.run(state.load())
    asyncio.run(state.close())

    assert state.policy is SyncPolicy.IN_MEMORY


@pytest.mark.parametrize(
    ("options", "message"),
    [({"sync_interval": 0}, "sync_interval"), ({"error_rate_window": 0}, "error_rate_window")],
)
def test_nonsense_options_are_refused(storage, clock, options, message):
    with pytest.raises(ConfigurationError, match=message):
        StateManager(storage, policy=SyncPolicy.PERIODIC, clock=clock, **options)


# --- policies ----------------------------------------------------------------------------


def test_in_memory_never_touches_storage(storage, clock):
    state = manager(storage, clock, SyncPolicy.IN_MEMORY)

    async def run() -> None:
        await state.load()
        state.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)
        clock.advance(10_000)
        await state.sync()
        await state.sync(force=True)
        await state.save()
        await state.close()

    asyncio.run(run())

    assert storage.calls == []


def test_sync_on_boundary_writes_only_when_forced(storage, clock):
    state = manager(storage, clock, SyncPolicy.SYNC_ON_BOUNDARY)
    state.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)
    clock.advance(10_000)

    asyncio.run(state.sync())
    assert storage.calls == []

    asyncio.run(state.close())
    assert "save" in storage.calls
    assert stored(storage).models["m"].total_requests == 1


def test_periodic_saves_only_after_the_interval(storage, clock):
    state = manager(storage, clock, SyncPolicy.PERIODIC, sync_interval=60.0)
    state.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)

    clock.advance(59.9)
    asyncio.run(state.sync())
    assert storage.calls == []

    clock.advance(0.1)
    asyncio.run(state.sync())
    assert storage.calls == ["acquire", "load", "save", "release"]

    storage.calls.clear()
    state.record_success("m", latency_ms=1.0, tokens=1, cost=0.0)
    clock.advance(30)
    asyncio.run(state.sync())
    assert storage.calls == []


def test_periodic_reads_others_changes_even_with_nothing_pending(storage, clock):
    state = manager(storage, clock, SyncPolicy.PERIODIC, sync_interval=60.0)
    other = manager(storage, clock, SyncPolicy.IMMEDIATE)
    other.deactivate("m", DeactivationReason.MANUAL, until=None)
    asyncio.run(other.sync())

    clock.advance(60)
    asyncio.run(state.sync())

    assert state.models["m"].status is ModelStatus.STANDBY


def test_periodic_status_says_when_the_next_sync_is_due(storage, clock):
    state = manager(storage, clock, SyncPolicy.PERIODIC, sync_interval=60.0)
    start = clock.now()
    clock.advance(20)

    status = state.get_sync_status()

    assert status.next_sync == start + timedelta(seconds=60)
    assert status.last_sync is None
    assert not status.locked


def test_immediate_syncs_whenever_a_change_is_pending(storage, clock):
    state = manager(storage, clock, SyncPolicy.IMMEDIATE)

    asyncio.run(state.sync())
    assert storage.calls == []

    state.record_failure("m", counts=True)
    asyncio.run(state.sync())
    assert storage.calls == ["acquire", "load", "save", "release"]
    assert stored(storage).models["m"].failure_count == 1
    assert state.get_sync_status().last_sync == clock.now()


def test_a_storage_without_locking_is_synced_without_a_lock(plain_storage, clock):
    state = manager(plain_storage, clock, SyncPolicy.IMMEDIATE)
    state.record_failure("m", counts=True)

    asyncio.run(state.sync())

    assert plain_storage.calls == ["load", "save"]
    assert asyncio.run(state.acquire_lock()) is None


def test_the_stored_entry_is_marked_as_modelmesh_state(storage, clock):
    state = manager(storage, clock, SyncPolicy.SYNC_ON_BOUNDARY, key="team/state")

    asyncio.run(state.save())

    entry = storage.entries["team/state"]
    assert entry.metadata == {
        "content_type": "application/vnd.modelmesh.state+json",
        "format_version": 1,
    }


# --- locks and failures ------------------------------------------------------------------


def test_a_held_lock_is_reported_and_reused_by_sync(storage, clock):
    state = manager(storage, clock, SyncPolicy.IMMEDIATE, instance_id="worker-1")

    async def run() -> None:
        await state.acquire_lock()
        status = state.get_sync_status()
        assert (status.locked, status.lock_owner) == (True, "worker-1")
        state.record_failure("m", counts=True)
        await state.sync()
        await state.release_lock()

    asyncio.run(run())

    assert storage.calls == ["acquire", "load", "save", "release"]
    assert not state.get_sync_status().locked


def test_a_lock_held_elsewhere_fails_the_sync_and_keeps_the_changes(storage, clock):
    state = manager(storage, clock, SyncPolicy.IMMEDIATE)
    storage.holder = "another-instance"
    state.record_failure("m", counts=True)

    with pytest.raises(StateError, match="could not take the storage lock") as caught:
        asyncio.run(state.sync())

    assert caught.value.retryable
    assert state.get_sync_status().pending_changes == 1
    storage.holder = None
    asyncio.run(state.sync())
    assert stored(storage).models["m"].total_failures == 1


def test_a_failed_save_keeps_the_counts_pending_and_releases_the_lock(storage, clock):
    state = manager(storage, clock, SyncPolicy.IMMEDIATE)
    other = manager(storage, clock, SyncPolicy.IMMEDIATE)
    other.record_success("m", latency_ms=1.0, tokens=5, cost=0.0)
    asyncio.run(other.sync())
    state.record_success("m", latency_ms=1.0, tokens=7, cost=0.0)

    storage.fail_saves = True
    with pytest.raises(OSError, match="disk full"):
        asyncio.run(state.sync())
    assert storage.holder is None
    assert stored(storage).models["m"].total_tokens == 5

    storage.fail_saves = False
    asyncio.run(state.sync())
    assert stored(storage).models["m"].total_tokens == 12


def test_corrupt_stored_state_fails_loudly_and_is_not_overwritten(storage, clock):
    state = manager(storage, clock, SyncPolicy.IMMEDIATE)
    state.record_failure("m", counts=True)
    asyncio.run(state.sync())
    good = storage.entries["modelmesh/state"]
    storage.entries["modelmesh/state"] = type(good)(good.key, b"\x00garbage", {})

    with pytest.raises(StateError, match="'modelmesh/state'"):
        asyncio.run(state.load())
    state.record_failure("m", counts=True)
    with pytest.raises(StateError, match="not valid JSON"):
        asyncio.run(state.sync())

    assert storage.entries["modelmesh/state"].data == b"\x00garbage"
    assert storage.holder is None


# --- restart -----------------------------------------------------------------------------


def test_a_model_cooling_down_is_still_cooling_down_after_a_restart(storage, clock):
    before = manager(storage, clock, SyncPolicy.SYNC_ON_BOUNDARY)
    until = clock.now() + timedelta(minutes=5)
    before.deactivate("m", DeactivationReason.ERROR_THRESHOLD, until=until)
    asyncio.run(before.close())

    clock.advance(60)
    after = StateManager(storage, policy=SyncPolicy.SYNC_ON_BOUNDARY, clock=clock)
    asyncio.run(after.load())

    record = after.models["m"]
    assert record.status is ModelStatus.STANDBY
    assert record.cooldown_until == until
    assert record.cooldown_until > clock.now()


def test_loading_nothing_starts_empty(storage, clock):
    state = StateManager(storage, policy=SyncPolicy.PERIODIC, clock=clock)

    asyncio.run(state.load())

    assert state.models == {}
    assert state.get_sync_status().last_sync == clock.now()


def test_changes_made_before_the_load_stay_pending(storage, clock):
    earlier = manager(storage, clock, SyncPolicy.IMMEDIATE)
    earlier.record_success("m", latency_ms=1.0, tokens=3, cost=0.0)
    asyncio.run(earlier.sync())

    state = manager(storage, clock, SyncPolicy.SYNC_ON_BOUNDARY)
    state.record_success("m", latency_ms=1.0, tokens=4, cost=0.0)
    asyncio.run(state.load())
    assert state.models["m"].total_tokens == 7

    asyncio.run(state.close())
    assert stored(storage).models["m"].total_tokens == 7


def test_an_idle_immediate_instance_reads_others_changes_after_the_interval(storage, clock):
    state = manager(storage, clock, SyncPolicy.IMMEDIATE, sync_interval=60.0)
    other = manager(storage, clock, SyncPolicy.IMMEDIATE)
    other.deactivate("m", DeactivationReason.MANUAL, until=None)
    asyncio.run(other.sync())

    clock.advance(59)
    asyncio.run(state.sync())
    assert state.models["m"].is_active

    clock.advance(1)
    asyncio.run(state.sync())
    assert state.models["m"].status is ModelStatus.STANDBY
