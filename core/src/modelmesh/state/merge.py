"""Merging this instance's state into the stored one, when several instances share it.

Counts add up: each instance adds what it counted since its last sync (its record minus
the ``Baseline`` it last synced) to the stored values, so no instance loses another's
requests, tokens or spend; a free-tier quota is shared. Everything else is a judgement
of the moment (status, cooldown, failure streak, latencies) and is taken whole from
whichever side changed it last.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from modelmesh.state.records import ModelState, PoolState, ProviderState, SystemState, UsageCounter

__all__ = ["Baseline", "baseline_of", "merge_into"]

_Count = tuple[str, int, int, float]


def _count(counter: UsageCounter) -> _Count:
    return (counter.period, counter.requests, counter.tokens, counter.cost)


@attrs.frozen
class Baseline:
    """The additive counts of every record as last synced, keyed like the records."""

    models: Mapping[str, tuple[_Count, _Count, int, int, int, float]] = attrs.field(factory=dict)
    providers: Mapping[str, tuple[_Count, _Count]] = attrs.field(factory=dict)
    pools: Mapping[str, int] = attrs.field(factory=dict)


def baseline_of(state: SystemState) -> Baseline:
    """The counts of ``state`` as they are now: what a sync has just made the stored ones."""
    return Baseline(
        models={
            key: (
                _count(m.daily),
                _count(m.monthly),
                m.total_requests,
                m.total_failures,
                m.total_tokens,
                m.total_cost,
            )
            for key, m in state.models.items()
        },
        providers={key: (_count(p.daily), _count(p.monthly)) for key, p in state.providers.items()},
        pools={key: p.rotation_count for key, p in state.pools.items()},
    )


def merge_into(ours: SystemState, baseline: Baseline, stored: SystemState) -> None:
    """Make ``ours`` the merge of itself and ``stored``, changing its records in place.

    Records stay the same objects, so references the mesh holds stay live. A record
    only ``stored`` has is adopted; one only ``ours`` has is kept whole.
    """
    for key, theirs in stored.models.items():
        mine = ours.models.get(key)
        if mine is None:
            ours.models[key] = theirs
        else:
            _merge_model(mine, baseline.models.get(key), theirs)
    for key, theirs in stored.providers.items():
        mine = ours.providers.get(key)
        if mine is None:
            ours.providers[key] = theirs
        else:
            _merge_provider(mine, baseline.providers.get(key), theirs)
    for key, theirs in stored.pools.items():
        mine = ours.pools.get(key)
        if mine is None:
            ours.pools[key] = theirs
        else:
            _merge_pool(mine, baseline.pools.get(key), theirs)


def _stored_newer(mine: datetime | None, theirs: datetime | None) -> bool:
    """Whether the stored side changed last; a tie goes to storage, so instances agree."""
    return theirs is not None and (mine is None or theirs >= mine)


def _latest(mine: datetime | None, theirs: datetime | None) -> datetime | None:
    if mine is None or theirs is None:
        return mine or theirs
    return max(mine, theirs)


def _merge_counter(mine: UsageCounter, base: _Count | None, theirs: UsageCounter) -> UsageCounter:
    """Stored plus what we counted since the baseline, in the newest period either knows."""
    if theirs.period > mine.period:
        # What we counted belongs to a period that is over.
        return UsageCounter(theirs.period, theirs.requests, theirs.tokens, theirs.cost)
    if theirs.period < mine.period:
        # Storage knows nothing of our period yet.
        return mine
    if base is None or base[0] != mine.period:
        base = (mine.period, 0, 0, 0.0)
    return UsageCounter(
        mine.period,
        theirs.requests + mine.requests - base[1],
        theirs.tokens + mine.tokens - base[2],
        theirs.cost + mine.cost - base[3],
    )


def _merge_model(
    mine: ModelState, base: tuple[_Count, _Count, int, int, int, float] | None, theirs: ModelState
) -> None:
    mine.daily = _merge_counter(mine.daily, base and base[0], theirs.daily)
    mine.monthly = _merge_counter(mine.monthly, base and base[1], theirs.monthly)
    synced = base[2:] if base else (0, 0, 0, 0.0)
    mine.total_requests = theirs.total_requests + mine.total_requests - synced[0]
    mine.total_failures = theirs.total_failures + mine.total_failures - synced[1]
    mine.total_tokens = theirs.total_tokens + mine.total_tokens - synced[2]
    mine.total_cost = theirs.total_cost + mine.total_cost - synced[3]
    if _stored_newer(mine.status_changed_at, theirs.status_changed_at):
        mine.status = theirs.status
        mine.deactivation_reason = theirs.deactivation_reason
        mine.deactivated_at = theirs.deactivated_at
        mine.cooldown_until = theirs.cooldown_until
        mine.status_changed_at = theirs.status_changed_at
    if _stored_newer(mine.changed_at, theirs.changed_at):
        mine.failure_count = theirs.failure_count
        mine.outcomes.clear()
        mine.outcomes.extend(theirs.outcomes)
        mine.latency_history.clear()
        mine.latency_history.extend(theirs.latency_history)
        mine.changed_at = theirs.changed_at
    mine.last_request = _latest(mine.last_request, theirs.last_request)
    mine.last_failure = _latest(mine.last_failure, theirs.last_failure)


def _merge_provider(
    mine: ProviderState, base: tuple[_Count, _Count] | None, theirs: ProviderState
) -> None:
    mine.daily = _merge_counter(mine.daily, base and base[0], theirs.daily)
    mine.monthly = _merge_counter(mine.monthly, base and base[1], theirs.monthly)
    if _stored_newer(mine.status_changed_at, theirs.status_changed_at):
        mine.available = theirs.available
        mine.deactivation_reason = theirs.deactivation_reason
        mine.deactivated_at = theirs.deactivated_at
        mine.auth_valid = theirs.auth_valid
        mine.status_changed_at = theirs.status_changed_at
    if _stored_newer(mine.changed_at, theirs.changed_at):
        mine.availability_score = theirs.availability_score
        mine.consecutive_failures = theirs.consecutive_failures
        mine.changed_at = theirs.changed_at
    mine.last_probe = _latest(mine.last_probe, theirs.last_probe)


def _merge_pool(mine: PoolState, base: int | None, theirs: PoolState) -> None:
    mine.rotation_count = theirs.rotation_count + mine.rotation_count - (base or 0)
    if _stored_newer(mine.last_rotation, theirs.last_rotation):
        mine.current_model = theirs.current_model
        mine.last_rotation = theirs.last_rotation
