"""Aggregate statistics per model, provider and pool over one flush period.

Counters and sums are exact. The 95th latency percentile is exact while a scope has
seen at most ``reservoir_size`` requests in the period; past that it is estimated from
a uniform reservoir sample, so memory per scope stays bounded however busy the mesh.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence

import attrs

from modelmesh.config.schema import StatisticsScope
from modelmesh.interfaces.observability import AggregateStats

DEFAULT_RESERVOIR_SIZE = 1024

__all__ = [
    "DEFAULT_RESERVOIR_SIZE",
    "StatisticsAggregator",
    "percentile",
    "scope_id",
]


def scope_id(scope: StatisticsScope, name: str) -> str:
    """The key of a scope's statistics: ``model.<id>``, ``provider.<id>``, ``pool.<id>``."""
    return f"{scope.value}.{name}"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in (0, 1]); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ValueError(f"{name} cannot be negative (got {value})")


@attrs.define(slots=True)
class _ScopeTotals:
    """One scope's running totals; ``latencies`` is the reservoir, ``seen`` how many
    latencies were offered to it."""

    requests_total: int = 0
    requests_success: int = 0
    requests_failed: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_total: float = 0.0
    latency_sum: float = 0.0
    seen: int = 0
    latencies: list[float] = attrs.Factory(list)
    downtime_total: float = 0.0
    standby_events: int = 0
    quota_resets: int = 0
    rotation_events: int = 0

    def stats(self) -> AggregateStats:
        return AggregateStats(
            requests_total=self.requests_total,
            requests_success=self.requests_success,
            requests_failed=self.requests_failed,
            tokens_in=self.tokens_in,
            tokens_out=self.tokens_out,
            cost_total=self.cost_total,
            latency_avg=self.latency_sum / self.seen if self.seen else 0.0,
            latency_p95=percentile(self.latencies, 0.95),
            downtime_total=self.downtime_total,
            standby_events=self.standby_events,
            quota_resets=self.quota_resets,
            rotation_events=self.rotation_events,
        )


class StatisticsAggregator:
    """Running statistics of the scopes asked for, since the last ``drain``.

    Names given as None (a request that never reached a model, a rotation without a
    provider) are skipped for their scope. ``seed`` makes the latency sample
    reproducible.
    """

    def __init__(
        self,
        scopes: Iterable[StatisticsScope] = tuple(StatisticsScope),
        *,
        reservoir_size: int = DEFAULT_RESERVOIR_SIZE,
        seed: int | None = 0,
    ) -> None:
        if reservoir_size < 1:
            raise ValueError(f"reservoir_size must be at least 1 (got {reservoir_size})")
        wanted = frozenset(scopes)
        self._model = StatisticsScope.MODEL in wanted
        self._provider = StatisticsScope.PROVIDER in wanted
        self._pool = StatisticsScope.POOL in wanted
        self._reservoir_size = reservoir_size
        self._random = random.Random(seed)
        self._totals: dict[str, _ScopeTotals] = {}

    def _scopes(
        self, model_id: str | None, provider_id: str | None, pool_id: str | None
    ) -> list[_ScopeTotals]:
        found = []
        for wanted, scope, name in (
            (self._model, StatisticsScope.MODEL, model_id),
            (self._provider, StatisticsScope.PROVIDER, provider_id),
            (self._pool, StatisticsScope.POOL, pool_id),
        ):
            if wanted and name is not None:
                key = scope_id(scope, name)
                totals = self._totals.get(key)
                if totals is None:
                    totals = self._totals[key] = _ScopeTotals()
                found.append(totals)
        return found

    def record_request(
        self,
        *,
        model_id: str | None,
        provider_id: str | None,
        pool_id: str | None,
        success: bool,
        latency_ms: float,
        tokens_in: int = 0,
        tokens_out: int = 0,
        cost: float = 0.0,
    ) -> None:
        """Count one finished request (successful or not) in each of its scopes."""
        _non_negative("latency_ms", latency_ms)
        _non_negative("tokens_in", tokens_in)
        _non_negative("tokens_out", tokens_out)
        _non_negative("cost", cost)
        size = self._reservoir_size
        for totals in self._scopes(model_id, provider_id, pool_id):
            totals.requests_total += 1
            if success:
                totals.requests_success += 1
            else:
                totals.requests_failed += 1
            totals.tokens_in += tokens_in
            totals.tokens_out += tokens_out
            totals.cost_total += cost
            totals.latency_sum += latency_ms
            totals.seen += 1
            if len(totals.latencies) < size:
                totals.latencies.append(latency_ms)
            else:
                slot = self._random.randrange(totals.seen)
                if slot < size:
                    totals.latencies[slot] = latency_ms

    def record_standby(
        self, *, model_id: str | None, provider_id: str | None, pool_id: str | None
    ) -> None:
        """A model went to standby."""
        for totals in self._scopes(model_id, provider_id, pool_id):
            totals.standby_events += 1

    def record_recovery(
        self,
        *,
        model_id: str | None,
        provider_id: str | None,
        pool_id: str | None,
        downtime_s: float,
    ) -> None:
        """A model came back after ``downtime_s`` seconds in standby."""
        _non_negative("downtime_s", downtime_s)
        for totals in self._scopes(model_id, provider_id, pool_id):
            totals.downtime_total += downtime_s

    def record_rotation(self, *, pool_id: str | None, model_id: str | None) -> None:
        """A pool moved to another model (``model_id``, the one it moved to)."""
        for totals in self._scopes(model_id, None, pool_id):
            totals.rotation_events += 1

    def record_quota_reset(self, *, model_id: str | None, provider_id: str | None) -> None:
        """A model's quota period started again."""
        for totals in self._scopes(model_id, provider_id, None):
            totals.quota_resets += 1

    def __bool__(self) -> bool:
        return bool(self._totals)

    def snapshot(self) -> dict[str, AggregateStats]:
        """The statistics so far, keyed by scope ID, without resetting them."""
        return {key: totals.stats() for key, totals in self._totals.items()}

    def drain(self) -> dict[str, AggregateStats]:
        """The statistics of the period now ending; the next period starts empty."""
        stats = self.snapshot()
        self._totals = {}
        return stats
