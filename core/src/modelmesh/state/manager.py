"""The state manager: records updated on the request path, persisted by a sync policy.

Mutations are synchronous and O(1) because they run on every request. Persistence is
async and happens only in ``load``, ``sync``, ``save`` and ``close``: the whole state is
one storage entry, merged with what other instances stored (see ``modelmesh.state.merge``)
and written in one atomic ``save``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from datetime import datetime, timedelta

from modelmesh.clock import Clock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.rotation import DeactivationReason, ModelStatus
from modelmesh.interfaces.storage import (
    LockHandle,
    Locking,
    StorageConnector,
    StorageEntry,
    SyncPolicy,
)
from modelmesh.state.codec import CONTENT_TYPE, FORMAT_VERSION, decode_state, encode_state
from modelmesh.state.errors import StateError
from modelmesh.state.merge import Baseline, baseline_of, merge_into
from modelmesh.state.records import (
    AVAILABILITY_ALPHA,
    DEFAULT_ERROR_RATE_WINDOW,
    ModelState,
    PoolState,
    ProviderState,
    SyncStatus,
    SystemState,
    day_and_month_keys,
    rolled,
)

__all__ = ["DEFAULT_STATE_KEY", "StateManager"]

DEFAULT_STATE_KEY = "modelmesh/state"


class StateManager:
    """One model, provider and pool record each, shared by all pools; persisted by policy.

    ``in-memory`` never touches storage (which may then be None). ``sync-on-boundary``
    writes only on ``save``/``close``. ``periodic`` syncs when ``sync_interval`` seconds
    have passed on the clock; ``immediate`` whenever a mutation is pending, and after
    ``sync_interval`` without one, to adopt other instances' changes. Every write
    loads the stored state first and merges into it, under the storage's lock when the
    storage has one, so instances sharing storage never lose each other's counts.
    """

    def __init__(
        self,
        storage: StorageConnector | None,
        *,
        policy: SyncPolicy,
        clock: Clock,
        sync_interval: float = 300.0,
        key: str = DEFAULT_STATE_KEY,
        lock_timeout: float = 30.0,
        error_rate_window: int = DEFAULT_ERROR_RATE_WINDOW,
        instance_id: str | None = None,
    ) -> None:
        policy = SyncPolicy(policy)
        if storage is None and policy is not SyncPolicy.IN_MEMORY:
            raise ConfigurationError(
                f"sync policy {policy.value!r} persists state but no storage connector was "
                "given: configure storage, or use sync_policy: in-memory"
            )
        if sync_interval <= 0:
            raise ConfigurationError(f"sync_interval must be more than 0s, not {sync_interval}")
        if error_rate_window < 1:
            raise ConfigurationError(
                f"error_rate_window must be at least 1 outcome, not {error_rate_window}"
            )
        self.storage = storage
        self.policy = policy
        self.key = key
        self.sync_interval = sync_interval
        self.lock_timeout = lock_timeout
        self.error_rate_window = error_rate_window
        self.instance_id = instance_id or uuid.uuid4().hex[:12]
        self._clock = clock
        self._state = SystemState()
        self.models: dict[str, ModelState] = self._state.models
        self.providers: dict[str, ProviderState] = self._state.providers
        self.pools: dict[str, PoolState] = self._state.pools
        self._baseline = Baseline()
        self._pending = 0
        self._last_sync: datetime | None = None
        self._last_sync_monotonic = clock.monotonic()
        self._lock: LockHandle | None = None
        self._syncing = asyncio.Lock()

    # --- records -----------------------------------------------------------------------

    def model(self, model_id: str, provider_id: str) -> ModelState:
        """The model's record, made (active, no history) on first use."""
        record = self.models.get(model_id)
        if record is None:
            record = ModelState(
                model_id, provider_id, outcomes=deque(maxlen=self.error_rate_window)
            )
            self.models[model_id] = record
            self.provider(provider_id)
        return record

    def provider(self, provider_id: str) -> ProviderState:
        """The provider's record, made (available) on first use."""
        record = self.providers.get(provider_id)
        if record is None:
            record = self.providers[provider_id] = ProviderState(provider_id)
        return record

    def pool(self, pool_id: str) -> PoolState:
        """The pool's record, made on first use."""
        record = self.pools.get(pool_id)
        if record is None:
            record = self.pools[pool_id] = PoolState(pool_id)
        return record

    def _known(self, model_id: str) -> ModelState:
        try:
            return self.models[model_id]
        except KeyError:
            raise KeyError(
                f"no state for model {model_id!r}: call model({model_id!r}, provider_id) first"
            ) from None

    # --- mutations (hot path) ----------------------------------------------------------

    def record_success(self, model_id: str, *, latency_ms: float, tokens: int, cost: float) -> None:
        """A request the model answered: counts it and clears the failure streak."""
        record = self._known(model_id)
        now = self._clock.now()
        day, month = day_and_month_keys(now)
        _count(record, day, month, tokens, cost)
        record.total_requests += 1
        record.total_tokens += tokens
        record.total_cost += cost
        record.failure_count = 0
        record.outcomes.append(False)
        record.latency_history.append(latency_ms)
        record.last_request = now
        record.changed_at = now
        provider = self.provider(record.provider_id)
        _count(provider, day, month, tokens, cost)
        provider.consecutive_failures = 0
        provider.availability_score += AVAILABILITY_ALPHA * (1.0 - provider.availability_score)
        provider.changed_at = now
        self._pending += 1

    def record_failure(
        self, model_id: str, *, counts: bool, latency_ms: float | None = None
    ) -> None:
        """A failed request. Every failure counts one request against the quotas (a free
        tier counts calls); only ``counts`` failures (not caused by the request itself)
        lengthen the failure streak and the error rate."""
        record = self._known(model_id)
        now = self._clock.now()
        day, month = day_and_month_keys(now)
        _count(record, day, month, 0, 0.0)
        record.total_requests += 1
        record.last_request = now
        provider = self.provider(record.provider_id)
        _count(provider, day, month, 0, 0.0)
        if counts:
            record.failure_count += 1
            record.total_failures += 1
            record.outcomes.append(True)
            if latency_ms is not None:
                record.latency_history.append(latency_ms)
            record.last_failure = now
            record.changed_at = now
            provider.consecutive_failures += 1
            provider.availability_score -= AVAILABILITY_ALPHA * provider.availability_score
            provider.changed_at = now
        self._pending += 1

    def deactivate(
        self, model_id: str, reason: DeactivationReason, *, until: datetime | None
    ) -> bool:
        """Put the model on standby until ``until`` (None: until activated); False when it
        already was, and then nothing changes."""
        record = self._known(model_id)
        if record.status is ModelStatus.STANDBY:
            return False
        now = self._clock.now()
        record.status = ModelStatus.STANDBY
        record.deactivation_reason = reason
        record.deactivated_at = now
        record.cooldown_until = until
        record.status_changed_at = record.changed_at = now
        self._pending += 1
        return True

    def activate(self, model_id: str) -> bool:
        """Bring the model back with a clean slate (no failure streak, no error rate);
        False when it was active."""
        record = self._known(model_id)
        if record.status is ModelStatus.ACTIVE:
            return False
        now = self._clock.now()
        record.status = ModelStatus.ACTIVE
        record.deactivation_reason = None
        record.deactivated_at = None
        record.cooldown_until = None
        record.failure_count = 0
        record.outcomes.clear()
        record.status_changed_at = record.changed_at = now
        self._pending += 1
        return True

    def deactivate_provider(
        self, provider_id: str, reason: str, *, auth_failed: bool = False
    ) -> bool:
        """Take the provider (so all its models, in every pool) out of service; False when
        it already was. ``auth_failed`` marks its credentials as refused."""
        record = self.provider(provider_id)
        if not record.available:
            return False
        now = self._clock.now()
        record.available = False
        record.deactivation_reason = reason
        record.deactivated_at = now
        if auth_failed:
            record.auth_valid = False
        record.status_changed_at = record.changed_at = now
        self._pending += 1
        return True

    def activate_provider(self, provider_id: str) -> bool:
        """Put the provider back in service; False when it was available."""
        record = self.provider(provider_id)
        if record.available:
            return False
        now = self._clock.now()
        record.available = True
        record.deactivation_reason = None
        record.deactivated_at = None
        record.auth_valid = True
        record.consecutive_failures = 0
        record.status_changed_at = record.changed_at = now
        self._pending += 1
        return True

    def record_probe(self, provider_id: str, *, success: bool) -> None:
        """A health probe of the provider: its time, and its outcome in the score."""
        record = self.provider(provider_id)
        now = self._clock.now()
        record.last_probe = now
        if success:
            record.consecutive_failures = 0
            record.availability_score += AVAILABILITY_ALPHA * (1.0 - record.availability_score)
        else:
            record.consecutive_failures += 1
            record.availability_score -= AVAILABILITY_ALPHA * record.availability_score
        record.changed_at = now
        self._pending += 1

    def record_rotation(self, pool_id: str, model_id: str | None) -> None:
        """The pool moved to ``model_id`` (None: to no model); naming the current model
        again is not a rotation."""
        record = self.pool(pool_id)
        if record.current_model == model_id:
            return
        record.current_model = model_id
        record.rotation_count += 1
        record.last_rotation = self._clock.now()
        self._pending += 1

    # --- persistence -------------------------------------------------------------------

    async def load(self) -> None:
        """Restore the stored state at start-up, merged into whatever was recorded since.

        Cooldowns are absolute UTC times, so a model cooling down before a restart is
        still cooling down after it. Nothing stored is not an error; unreadable stored
        state is (StateError), because starting empty would forget quotas and cooldowns.
        """
        if self.policy is SyncPolicy.IN_MEMORY:
            return
        async with self._syncing:
            stored = await self._read()
            synced = baseline_of(stored)
            merge_into(self._state, self._baseline, stored)
            # Anything recorded before the load is not stored yet, so it stays pending.
            self._baseline = synced
            self._last_sync = self._clock.now()
            self._last_sync_monotonic = self._clock.monotonic()

    async def sync(self, *, force: bool = False) -> None:
        """Merge with the stored state and write it back, if the policy says it is time.

        ``force`` syncs now under every policy but in-memory. Periodic syncs once
        ``sync_interval`` has passed, pending changes or not, so another instance's
        deactivation is adopted. Immediate syncs whenever a change is pending, and also
        once ``sync_interval`` has passed without one, so an idle instance adopts others'
        changes too.
        """
        if self.policy is SyncPolicy.IN_MEMORY:
            return
        if not force:
            if self.policy is SyncPolicy.SYNC_ON_BOUNDARY:
                return
            due = self._clock.monotonic() - self._last_sync_monotonic >= self.sync_interval
            if not due and not (self.policy is SyncPolicy.IMMEDIATE and self._pending):
                return
        async with self._syncing:
            await self._sync_locked()

    async def save(self) -> None:
        """Sync now (``sync(force=True)``); a no-op for in-memory."""
        await self.sync(force=True)

    async def close(self) -> None:
        """The final save at shutdown; the storage connector is left open for its owner."""
        await self.save()

    def get_sync_status(self) -> SyncStatus:
        """Where persistence stands; ``next_sync`` is when an interval sync falls due
        (periodic and immediate), None for the policies that never sync on time."""
        next_sync = None
        if self.policy in (SyncPolicy.PERIODIC, SyncPolicy.IMMEDIATE):
            elapsed = self._clock.monotonic() - self._last_sync_monotonic
            next_sync = self._clock.now() + timedelta(
                seconds=max(0.0, self.sync_interval - elapsed)
            )
        return SyncStatus(
            last_sync=self._last_sync,
            next_sync=next_sync,
            pending_changes=self._pending,
            locked=self._lock is not None,
            lock_owner=self.instance_id if self._lock is not None else None,
        )

    async def acquire_lock(self) -> LockHandle | None:
        """Take the storage lock on the state key (waiting up to ``lock_timeout``); None
        when the storage has no locking. StateError when the wait times out."""
        if self._lock is not None or not isinstance(self.storage, Locking):
            return self._lock
        try:
            self._lock = await self.storage.acquire(self.key, timeout=self.lock_timeout)
        except TimeoutError as exc:
            raise StateError(
                self.key,
                f"could not take the storage lock within {self.lock_timeout}s: another "
                "instance holds it; the changes stay pending for the next sync",
                retryable=True,
            ) from exc
        return self._lock

    async def release_lock(self) -> None:
        """Release the storage lock this manager holds, if any."""
        lock, self._lock = self._lock, None
        if lock is not None and isinstance(self.storage, Locking):
            await self.storage.release(lock)

    # --- internals ---------------------------------------------------------------------

    async def _sync_locked(self) -> None:
        """Load, merge, save: under the storage lock unless the caller already holds it."""
        owned = self._lock is None
        if owned:
            await self.acquire_lock()
        try:
            stored = await self._read()
            synced = baseline_of(stored)
            pending = self._pending
            merge_into(self._state, self._baseline, stored)
            self._baseline = baseline_of(self._state)
            self._state.saved_at = self._clock.now()
            self._state.saved_by = self.instance_id
            entry = StorageEntry(
                key=self.key,
                data=encode_state(self._state),
                metadata={"content_type": CONTENT_TYPE, "format_version": FORMAT_VERSION},
            )
            try:
                await self._storage.save(self.key, entry)
            except BaseException:
                # Storage still holds ``stored``: what we counted stays pending.
                self._baseline = synced
                raise
            self._pending = max(0, self._pending - pending)
            self._last_sync = self._clock.now()
            self._last_sync_monotonic = self._clock.monotonic()
        finally:
            if owned:
                await self.release_lock()

    @property
    def _storage(self) -> StorageConnector:
        """The storage; the constructor refuses None under every policy that persists."""
        if self.storage is None:
            raise ConfigurationError("in-memory state has no storage to read or write")
        return self.storage

    async def _read(self) -> SystemState:
        entry = await self._storage.load(self.key)
        if entry is None:
            return SystemState()
        return decode_state(entry.data, self.key, error_rate_window=self.error_rate_window)


def _count(
    record: ModelState | ProviderState, day: str, month: str, tokens: int, cost: float
) -> None:
    """One request with ``tokens`` and ``cost`` in the record's daily and monthly counters."""
    daily = record.daily
    if daily.period != day:
        daily = record.daily = rolled(daily, day)
    monthly = record.monthly
    if monthly.period != month:
        monthly = record.monthly = rolled(monthly, month)
    daily.requests += 1
    daily.tokens += tokens
    daily.cost += cost
    monthly.requests += 1
    monthly.tokens += tokens
    monthly.cost += cost
