"""Statistics are the history of what was recorded, per model, provider and pool."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.config.schema import StatisticsScope
from modelmesh.observability.statistics import StatisticsAggregator, percentile, scope_id

REQUESTS = st.lists(
    st.fixed_dictionaries(
        {
            "model_id": st.sampled_from(["m1", "m2", "m3"]),
            "provider_id": st.sampled_from(["p1", "p2"]),
            "pool_id": st.sampled_from(["chat", "code", None]),
            "success": st.booleans(),
            "latency_ms": st.floats(0, 10_000, allow_nan=False),
            "tokens_in": st.integers(0, 5000),
            "tokens_out": st.integers(0, 5000),
            "cost": st.floats(0, 10, allow_nan=False),
        }
    ),
    max_size=60,
)


def expected(history: list[dict], scope: StatisticsScope, name: str) -> dict:
    key = f"{scope.value}_id"
    mine = [request for request in history if request[key] == name]
    latencies = [request["latency_ms"] for request in mine]
    return {
        "requests_total": len(mine),
        "requests_success": sum(request["success"] for request in mine),
        "requests_failed": sum(not request["success"] for request in mine),
        "tokens_in": sum(request["tokens_in"] for request in mine),
        "tokens_out": sum(request["tokens_out"] for request in mine),
        "cost_total": pytest.approx(sum(request["cost"] for request in mine)),
        "latency_avg": pytest.approx(sum(latencies) / len(latencies)),
        "latency_p95": percentile(latencies, 0.95),
    }


@given(REQUESTS)
def test_statistics_equal_the_history_of_recorded_requests(history):
    aggregator = StatisticsAggregator()
    for request in history:
        aggregator.record_request(**request)

    stats = aggregator.drain()

    names = {
        scope_id(scope, request[f"{scope.value}_id"])
        for request in history
        for scope in StatisticsScope
        if request[f"{scope.value}_id"] is not None
    }
    assert set(stats) == names
    for key, scope_stats in stats.items():
        scope, name = key.split(".", 1)
        want = expected(history, StatisticsScope(scope), name)
        have = {field: getattr(scope_stats, field) for field in want}
        assert have == want


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300))
def test_the_latency_sample_stays_bounded_and_holds_recorded_latencies(latencies):
    aggregator = StatisticsAggregator(reservoir_size=16)
    for latency in latencies:
        aggregator.record_request(
            model_id="m", provider_id=None, pool_id=None, success=True, latency_ms=latency
        )

    (totals,) = aggregator._totals.values()
    stats = aggregator.drain()["model.m"]

    assert len(totals.latencies) == min(16, len(latencies))
    assert stats.latency_p95 in latencies
    assert stats.latency_avg == pytest.approx(sum(latencies) / len(latencies))


def test_draining_starts_a_new_period():
    aggregator = StatisticsAggregator()
    aggregator.record_request(
        model_id="m", provider_id="p", pool_id="chat", success=True, latency_ms=5
    )

    assert aggregator.drain()
    assert aggregator.drain() == {}
    assert not aggregator


def test_only_the_scopes_asked_for_are_kept():
    aggregator = StatisticsAggregator([StatisticsScope.POOL])
    aggregator.record_request(
        model_id="m", provider_id="p", pool_id="chat", success=False, latency_ms=5
    )

    assert set(aggregator.drain()) == {"pool.chat"}


def test_state_changes_count_in_their_scopes():
    aggregator = StatisticsAggregator()
    aggregator.record_standby(model_id="m", provider_id="p", pool_id="chat")
    aggregator.record_recovery(model_id="m", provider_id="p", pool_id="chat", downtime_s=30)
    aggregator.record_recovery(model_id="m", provider_id="p", pool_id=None, downtime_s=12.5)
    aggregator.record_rotation(pool_id="chat", model_id="m")
    aggregator.record_quota_reset(model_id="m", provider_id="p")

    stats = aggregator.drain()

    model, provider, pool = stats["model.m"], stats["provider.p"], stats["pool.chat"]
    assert (model.standby_events, provider.standby_events, pool.standby_events) == (1, 1, 1)
    assert (model.downtime_total, provider.downtime_total, pool.downtime_total) == (
        42.5,
        42.5,
        30,
    )
    assert (model.rotation_events, provider.rotation_events, pool.rotation_events) == (1, 0, 1)
    assert (model.quota_resets, provider.quota_resets, pool.quota_resets) == (1, 1, 0)
    assert model.requests_total == 0


@pytest.mark.parametrize("field", ["latency_ms", "tokens_in", "tokens_out", "cost"])
def test_a_negative_quantity_is_refused_where_it_is_recorded(field):
    request = {"model_id": "m", "provider_id": "p", "pool_id": None, "success": True}
    request |= {"latency_ms": 1.0, field: -1}

    with pytest.raises(ValueError, match=field):
        StatisticsAggregator().record_request(**request)


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))

    assert percentile(values, 0.95) == 95
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.95) == 0.0
