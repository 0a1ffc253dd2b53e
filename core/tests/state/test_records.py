"""Records and the snapshots policies read from them."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.calendar import Period, period_key
from modelmesh.interfaces.provider import ModelPricing, RateLimitStatus
from modelmesh.interfaces.rotation import DeactivationReason, ModelSnapshot, ModelStatus
from modelmesh.state import ModelState, UsageCounter
from modelmesh.state.records import current_period_key, day_and_month_keys

NOW = datetime(2026, 5, 17, 12, 30, tzinfo=UTC)


def test_a_new_model_is_active_with_no_history():
    state = ModelState("m", "p")

    assert state.is_active
    assert (state.error_rate, state.error_samples, state.failure_count) == (0.0, 0, 0)


def test_error_rate_is_the_share_of_failures_among_recent_outcomes():
    state = ModelState("m", "p", outcomes=deque([True, False, False, True], maxlen=20))

    assert state.error_rate == 0.5
    assert state.error_samples == 4


def test_usage_rolls_over_to_a_fresh_counter_in_a_new_period():
    state = ModelState("m", "p", daily=UsageCounter("2026-05-16", requests=9))

    counter = state.usage(Period.DAILY, NOW)

    assert counter == UsageCounter("2026-05-17")
    assert state.daily is counter


def test_usage_keeps_the_counter_of_the_current_period():
    state = ModelState("m", "p", monthly=UsageCounter("2026-05", requests=3, tokens=7, cost=0.5))

    assert state.usage(Period.MONTHLY, NOW) == UsageCounter("2026-05", 3, 7, 0.5)


def test_usage_never_goes_back_to_an_earlier_period():
    state = ModelState("m", "p", daily=UsageCounter("2026-05-18", requests=2))

    assert state.usage(Period.DAILY, NOW).requests == 2


def test_snapshot_carries_the_counters_of_the_requested_period():
    state = ModelState(
        "m",
        "p",
        daily=UsageCounter("2026-05-17", requests=2, tokens=20, cost=0.2),
        monthly=UsageCounter("2026-05", requests=30, tokens=300, cost=3.0),
    )

    daily = state.snapshot(now=NOW, period=Period.DAILY)
    monthly = state.snapshot(now=NOW, period=Period.MONTHLY)

    assert (daily.quota_used, daily.tokens_used, daily.cost_accumulated) == (2, 20, 0.2)
    assert (monthly.quota_used, monthly.tokens_used, monthly.cost_accumulated) == (30, 300, 3.0)


def test_snapshot_of_a_past_period_reads_zero_without_changing_the_record():
    state = ModelState("m", "p", daily=UsageCounter("2026-05-16", requests=5))

    snapshot = state.snapshot(now=NOW, period=Period.DAILY)

    assert snapshot.quota_used == 0
    assert state.daily.requests == 5


def test_snapshot_copies_status_health_and_times():
    cooldown = NOW + timedelta(minutes=1)
    state = ModelState(
        "m",
        "p",
        status=ModelStatus.STANDBY,
        deactivation_reason=DeactivationReason.ERROR_THRESHOLD,
        cooldown_until=cooldown,
        failure_count=3,
        outcomes=deque([True, True, False, True], maxlen=20),
        latency_history=deque([100.0, 300.0], maxlen=100),
        last_request=NOW,
        last_failure=NOW,
    )

    snapshot = state.snapshot(now=NOW, period=Period.DAILY, priority_index=2)

    assert snapshot.status is ModelStatus.STANDBY
    assert snapshot.deactivation_reason is DeactivationReason.ERROR_THRESHOLD
    assert snapshot.cooldown_until == cooldown
    assert (snapshot.failure_count, snapshot.error_rate, snapshot.error_samples) == (3, 0.75, 4)
    assert snapshot.latency_history == (100.0, 300.0)
    assert snapshot.latency_avg == 200.0
    assert (snapshot.last_request, snapshot.last_failure, snapshot.taken_at) == (NOW, NOW, NOW)
    assert snapshot.priority_index == 2


def test_snapshot_takes_headroom_from_rate_limits_and_the_given_pricing():
    pricing = ModelPricing(input_per_1k_tokens=0.5)
    limits = RateLimitStatus(
        requests_remaining=10, requests_limit=100, tokens_remaining=500, tokens_limit=1000
    )

    snapshot = ModelState("m", "p").snapshot(
        now=NOW, period=Period.DAILY, pricing=pricing, rate_limits=limits
    )

    assert snapshot.pricing is pricing
    assert (snapshot.requests_remaining, snapshot.requests_limit) == (10, 100)
    assert (snapshot.tokens_remaining, snapshot.tokens_limit) == (500, 1000)
    assert snapshot.headroom == 0.1


def test_snapshot_without_rate_limits_has_unknown_headroom():
    assert ModelState("m", "p").snapshot(now=NOW, period=Period.DAILY).headroom is None


def test_snapshot_is_detached_from_the_live_history():
    state = ModelState("m", "p", latency_history=deque([1.0], maxlen=100))

    snapshot = state.snapshot(now=NOW, period=Period.DAILY)
    state.latency_history.append(2.0)

    assert snapshot.latency_history == (1.0,)


def test_a_snapshot_made_from_a_record_sets_every_field_and_is_a_valid_one():
    """Records build snapshots without running their checks; the result must still be
    exactly what the checked constructor makes from the same values."""
    state = ModelState(
        "m",
        "p",
        failure_count=2,
        outcomes=deque([True, False], maxlen=20),
        latency_history=deque([120.0], maxlen=100),
        daily=UsageCounter("2026-05-17", requests=4, tokens=40, cost=0.2),
    )
    limits = RateLimitStatus(requests_remaining=1, requests_limit=5)

    snapshot = state.snapshot(now=NOW, period=Period.DAILY, priority_index=1, rate_limits=limits)

    values = vars(snapshot)
    assert set(values) == {field.name for field in attrs.fields(ModelSnapshot)}
    assert ModelSnapshot(**values) == snapshot
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot.failure_count = 0  # type: ignore[misc]


@given(
    st.lists(
        st.datetimes(
            min_value=datetime(2025, 12, 30), max_value=datetime(2026, 3, 2), timezones=st.just(UTC)
        ),
        min_size=1,
        max_size=20,
    )
)
def test_cached_period_keys_match_the_calendar_whatever_order_times_come_in(times):
    for now in times:
        assert day_and_month_keys(now) == (
            period_key(now, Period.DAILY),
            period_key(now, Period.MONTHLY),
        )
        assert current_period_key(now, Period.MONTHLY) == period_key(now, Period.MONTHLY)
