"""The live state records: one per model, one per provider, one per pool.

Records are shared by every pool that holds the model or provider, so a deactivation seen
by one pool holds in all of them. They are plain mutable attrs classes because the
manager updates them on every request; policies never see them, only the frozen
``ModelSnapshot`` built from them.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

import attrs

from modelmesh.calendar import Period, next_period_start, period_key, period_start
from modelmesh.interfaces.provider import ModelPricing, RateLimitStatus
from modelmesh.interfaces.rotation import DeactivationReason, ModelSnapshot, ModelStatus

__all__ = [
    "DEFAULT_ERROR_RATE_WINDOW",
    "LATENCY_HISTORY",
    "ModelState",
    "PoolState",
    "ProviderState",
    "SyncStatus",
    "SystemState",
    "UsageCounter",
    "current_period_key",
    "day_and_month_keys",
]

DEFAULT_ERROR_RATE_WINDOW = 20
LATENCY_HISTORY = 100
# Weight of the newest outcome in a provider's availability score.
AVAILABILITY_ALPHA = 0.1


def _outcomes() -> deque[bool]:
    return deque(maxlen=DEFAULT_ERROR_RATE_WINDOW)


def _latencies() -> deque[float]:
    return deque(maxlen=LATENCY_HISTORY)


@attrs.define
class UsageCounter:
    """Requests, tokens and USD of one calendar period; ``period`` is its ``period_key``.

    An empty ``period`` is a counter that never counted anything.
    """

    period: str
    requests: int = 0
    tokens: int = 0
    cost: float = 0.0


class _PeriodKeys:
    """The ``period_key`` of a time for each of ``periods``, recomputed only when the time
    leaves the cached ``window`` period (which must lie inside each of them), because
    every request asks. The cache is one tuple, so threads never see half of an update."""

    def __init__(self, window: Period, periods: tuple[Period, ...]) -> None:
        self.window = window
        self.periods = periods
        self._cached: tuple[datetime, datetime, tuple[str, ...]] | None = None

    def keys(self, now: datetime) -> tuple[str, ...]:
        cached = self._cached
        if cached is None or not cached[0] <= now < cached[1]:
            cached = self._cached = (
                period_start(now, self.window),
                next_period_start(now, self.window),
                tuple(period_key(now, period) for period in self.periods),
            )
        return cached[2]


_KEYS = {period: _PeriodKeys(period, (period,)) for period in Period}


def current_period_key(now: datetime, period: Period) -> str:
    """The ``period_key`` of ``now``, cheap when asked again within the same period."""
    return _KEYS[period].keys(now)[0]


# Both keys every counted request needs; a UTC day never straddles two months.
day_and_month_keys = _PeriodKeys(Period.DAILY, (Period.DAILY, Period.MONTHLY)).keys


def rolled(counter: UsageCounter, key: str) -> UsageCounter:
    """``counter`` if it counts period ``key`` (or a later one), else a fresh one for ``key``.

    Periods only move forward, so an instance whose clock lags another's adds to the
    newer period instead of resetting it.
    """
    return counter if counter.period >= key else UsageCounter(key)


@attrs.define
class ModelState:
    """What one model has done, shared by every pool that holds it.

    ``changed_at`` is the time of the last outcome or status change and decides, when
    two instances merge, whose health (failure count, outcomes, latencies) is kept;
    ``status_changed_at`` is the time of the last deactivation or activation and decides
    whose status, reason and cooldown are kept.
    """

    model_id: str
    provider_id: str
    status: ModelStatus = ModelStatus.ACTIVE
    deactivation_reason: DeactivationReason | None = None
    deactivated_at: datetime | None = None
    cooldown_until: datetime | None = None
    failure_count: int = 0
    outcomes: deque[bool] = attrs.field(factory=_outcomes)
    total_requests: int = 0
    total_failures: int = 0
    total_tokens: int = 0
    total_cost: float = 0.0
    daily: UsageCounter = attrs.field(factory=lambda: UsageCounter(""))
    monthly: UsageCounter = attrs.field(factory=lambda: UsageCounter(""))
    latency_history: deque[float] = attrs.field(factory=_latencies)
    last_request: datetime | None = None
    last_failure: datetime | None = None
    changed_at: datetime | None = None
    status_changed_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.status is ModelStatus.ACTIVE

    @property
    def error_samples(self) -> int:
        """How many recent outcomes the error rate rests on."""
        return len(self.outcomes)

    @property
    def error_rate(self) -> float:
        """Failures among the recent outcomes, 0 to 1; 0 without outcomes."""
        return sum(self.outcomes) / len(self.outcomes) if self.outcomes else 0.0

    def usage(self, period: Period, now: datetime) -> UsageCounter:
        """The live counter of the period holding ``now``, started afresh at a new period."""
        key = current_period_key(now, period)
        if period is Period.DAILY:
            self.daily = rolled(self.daily, key)
            return self.daily
        self.monthly = rolled(self.monthly, key)
        return self.monthly

    def snapshot(
        self,
        *,
        now: datetime,
        period: Period,
        priority_index: int = 0,
        pricing: ModelPricing | None = None,
        rate_limits: RateLimitStatus | None = None,
    ) -> ModelSnapshot:
        """The frozen view policies read, with the counters of ``period`` at ``now``.

        Reading does not roll the counters over: a counter of an earlier period reads 0.
        """
        counter = self.daily if period is Period.DAILY else self.monthly
        if counter.period < current_period_key(now, period):
            counter = UsageCounter("")
        limits = rate_limits or _NO_LIMITS
        # Every field comes from this record, which only valid outcomes change, so the
        # snapshot's checks are skipped: the router makes one per candidate per request.
        snapshot = _new(ModelSnapshot)
        _set(
            snapshot,
            "__dict__",
            {
                "model_id": self.model_id,
                "provider_id": self.provider_id,
                "status": self.status,
                "failure_count": self.failure_count,
                "error_rate": self.error_rate,
                "error_samples": len(self.outcomes),
                "cooldown_until": self.cooldown_until,
                "quota_used": counter.requests,
                "tokens_used": counter.tokens,
                "cost_accumulated": counter.cost,
                "latency_history": tuple(self.latency_history),
                "last_request": self.last_request,
                "last_failure": self.last_failure,
                "deactivation_reason": self.deactivation_reason,
                "requests_remaining": limits.requests_remaining,
                "requests_limit": limits.requests_limit,
                "tokens_remaining": limits.tokens_remaining,
                "tokens_limit": limits.tokens_limit,
                "priority_index": priority_index,
                "taken_at": now,
                "pricing": pricing,
            },
        )
        return snapshot


_NO_LIMITS = RateLimitStatus()
_new = object.__new__
_set = object.__setattr__


@attrs.define
class ProviderState:
    """One provider's availability and spend, shared by every pool using its models.

    ``daily`` and ``monthly`` count every request to any of its models, for provider
    budgets. ``availability_score`` is an exponentially weighted mean of counted
    outcomes (1 success, 0 failure; the newest weighs ``AVAILABILITY_ALPHA``).
    """

    provider_id: str
    available: bool = True
    deactivation_reason: str | None = None
    deactivated_at: datetime | None = None
    auth_valid: bool = True
    last_probe: datetime | None = None
    availability_score: float = 1.0
    consecutive_failures: int = 0
    daily: UsageCounter = attrs.field(factory=lambda: UsageCounter(""))
    monthly: UsageCounter = attrs.field(factory=lambda: UsageCounter(""))
    changed_at: datetime | None = None
    status_changed_at: datetime | None = None

    def usage(self, period: Period, now: datetime) -> UsageCounter:
        """The live counter of the period holding ``now``, started afresh at a new period."""
        key = current_period_key(now, period)
        if period is Period.DAILY:
            self.daily = rolled(self.daily, key)
            return self.daily
        self.monthly = rolled(self.monthly, key)
        return self.monthly


@attrs.define
class PoolState:
    """Which model a pool is on and how often it moved."""

    pool_id: str
    current_model: str | None = None
    rotation_count: int = 0
    last_rotation: datetime | None = None


@attrs.define
class SystemState:
    """Everything persisted, as one unit: one storage entry holds it all, so a save is
    atomic across records."""

    models: dict[str, ModelState] = attrs.field(factory=dict)
    providers: dict[str, ProviderState] = attrs.field(factory=dict)
    pools: dict[str, PoolState] = attrs.field(factory=dict)
    saved_at: datetime | None = None
    saved_by: str | None = None


@attrs.frozen
class SyncStatus:
    """Where persistence stands: ``pending_changes`` counts mutations not yet synced;
    ``locked`` and ``lock_owner`` say whether this manager holds the storage lock."""

    last_sync: datetime | None
    next_sync: datetime | None
    pending_changes: int
    locked: bool
    lock_owner: str | None
