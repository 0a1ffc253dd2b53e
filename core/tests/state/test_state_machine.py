"""Properties of the state under random requests, clock moves, syncs and restarts.

Two managers share one storage, as two instances of a deployment do. Whatever the
interleaving, once both have synced the stored counters equal the sum of everything
either counted, the status is the one changed last, and a manager loading the state
reproduces it exactly.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from modelmesh.calendar import Period, period_key
from modelmesh.clock import ManualClock
from modelmesh.interfaces.rotation import DeactivationReason, ModelStatus
from modelmesh.interfaces.storage import StorageEntry, SyncPolicy
from modelmesh.state import StateManager
from modelmesh.state.codec import decode_state

MODELS = {"m1": "p1", "m2": "p1", "m3": "p2"}
KEY = "modelmesh/state"


class MemoryStore:
    """The smallest storage that holds one entry per key (no locking)."""

    def __init__(self) -> None:
        self.entries: dict[str, StorageEntry] = {}

    async def load(self, key: str) -> StorageEntry | None:
        return self.entries.get(key)

    async def save(self, key: str, entry: StorageEntry) -> None:
        self.entries[key] = entry


class SharedState(RuleBasedStateMachine):
    @initialize(policy=st.sampled_from([SyncPolicy.PERIODIC, SyncPolicy.IMMEDIATE]))
    def start(self, policy):
        self.clock = ManualClock(datetime(2026, 1, 31, 22, 0, tzinfo=UTC))
        self.storage = MemoryStore()
        self.policy = policy
        self.managers = [self.new_manager(), self.new_manager()]
        # (model, day, month, tokens, cost) of every request either manager counted
        self.requests: list[tuple[str, str, str, int, int]] = []
        self.failures: Counter[str] = Counter()
        # model -> (time, status) of the last status change that took effect
        self.status: dict[str, tuple[datetime, ModelStatus]] = {}

    def new_manager(self) -> StateManager:
        manager = StateManager(
            self.storage,  # type: ignore[arg-type]
            policy=self.policy,
            clock=self.clock,
            sync_interval=600.0,
        )
        for model, provider in MODELS.items():
            manager.model(model, provider)
        return manager

    def tick(self) -> None:
        """Each event gets its own time, so "changed last" is never a tie."""
        self.clock.advance(0.001)

    def count(self, model: str, tokens: int, cost: int) -> None:
        now = self.clock.now()
        day, month = period_key(now, Period.DAILY), period_key(now, Period.MONTHLY)
        self.requests.append((model, day, month, tokens, cost))

    def run(self, coroutine) -> None:
        asyncio.run(coroutine)

    @rule(
        which=st.integers(0, 1),
        model=st.sampled_from(sorted(MODELS)),
        tokens=st.integers(0, 1000),
        cost=st.integers(0, 5),
    )
    def success(self, which, model, tokens, cost):
        self.tick()
        self.managers[which].record_success(model, latency_ms=10.0, tokens=tokens, cost=cost)
        self.count(model, tokens, cost)

    @rule(which=st.integers(0, 1), model=st.sampled_from(sorted(MODELS)), counts=st.booleans())
    def failure(self, which, model, counts):
        self.tick()
        self.managers[which].record_failure(model, counts=counts)
        self.count(model, 0, 0)
        if counts:
            self.failures[model] += 1

    @rule(which=st.integers(0, 1), model=st.sampled_from(sorted(MODELS)), active=st.booleans())
    def change_status(self, which, model, active):
        self.tick()
        manager = self.managers[which]
        if active:
            changed = manager.activate(model)
        else:
            changed = manager.deactivate(
                model, DeactivationReason.ERROR_THRESHOLD, until=self.clock.now()
            )
        if changed:
            self.status[model] = (
                self.clock.now(),
                ModelStatus.ACTIVE if active else ModelStatus.STANDBY,
            )

    @rule(seconds=st.sampled_from([1.0, 300.0, 601.0, 3600.0, 86_400.0]))
    def advance(self, seconds):
        self.clock.advance(seconds)

    @rule(which=st.integers(0, 1), force=st.booleans())
    def sync(self, which, force):
        self.run(self.managers[which].sync(force=force))

    @rule(which=st.integers(0, 1))
    def restart(self, which):
        """close() then a fresh manager's load() reproduces the state exactly."""
        old = self.managers[which]
        self.run(old.close())
        new = self.new_manager()
        self.run(new.load())
        assert new.models == old.models
        assert new.providers == old.providers
        assert new.pools == old.pools
        self.managers[which] = new

    @rule()
    def settle(self):
        """Once both managers have synced, storage holds everyone's counts."""
        first, second = self.managers
        self.run(first.save())
        self.run(second.save())
        self.run(first.save())
        stored = decode_state(self.storage.entries[KEY].data, KEY)
        for model in MODELS:
            self.check_counts(model, stored.models[model])
            if model in self.status:
                expected = self.status[model][1]
                assert stored.models[model].status is expected
                assert first.models[model].status is expected
                assert second.models[model].status is expected
        assert first.models == second.models
        assert first.providers == second.providers
        assert first.pools == second.pools

    def check_counts(self, model: str, record) -> None:
        mine = [r for r in self.requests if r[0] == model]
        assert record.total_requests == len(mine)
        assert record.total_tokens == sum(r[3] for r in mine)
        assert record.total_cost == pytest.approx(sum(r[4] for r in mine))
        assert record.total_failures == self.failures[model]
        for counter, index in ((record.daily, 1), (record.monthly, 2)):
            latest = max((r[index] for r in mine), default="")
            period = [r for r in mine if r[index] == latest]
            assert counter.period == latest
            assert counter.requests == len(period)
            assert counter.tokens == sum(r[3] for r in period)
            assert counter.cost == pytest.approx(sum(r[4] for r in period))

    @invariant()
    def counts_never_exceed_what_was_counted(self):
        for manager in self.managers:
            for model, record in manager.models.items():
                assert record.total_requests <= sum(1 for r in self.requests if r[0] == model)
                assert 0 <= record.error_rate <= 1


TestSharedState = SharedState.TestCase
TestSharedState.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
