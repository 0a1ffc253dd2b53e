from __future__ import annotations

import asyncio
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh_cdk.mixins.metrics import MetricsMixin, MetricSnapshot


class Measured(MetricsMixin):
    def __init__(self, max_samples: int = 1000) -> None:
        self._clock = ManualClock()
        self._metrics_max_samples = max_samples
        self.__init_metrics__()

    def request(self, seconds: float, *, fail: bool = False) -> None:
        with self._metrics_track_request():
            self._clock.advance(seconds)
            if fail:
                raise RuntimeError("upstream failed")


def test_a_fresh_snapshot_is_all_zero():
    assert Measured()._metrics_snapshot() == MetricSnapshot(0, 0, 0, 0, 0.0, 0.0, 0, 0, 0, 0, 0)


def test_a_request_is_timed_on_the_clock():
    metrics = Measured()
    metrics.request(0.25)
    snapshot = metrics._metrics_snapshot()
    assert (snapshot.successful, snapshot.avg_latency_ms, snapshot.p50) == (1, 250.0, 250.0)


def test_a_block_that_raises_counts_as_failed_and_the_error_propagates():
    metrics = Measured()
    with pytest.raises(RuntimeError):
        metrics.request(0.1, fail=True)
    snapshot = metrics._metrics_snapshot()
    assert (snapshot.total_requests, snapshot.failed, snapshot.error_rate) == (1, 1, 1.0)


def test_a_cancelled_block_is_not_counted():
    metrics = Measured()

    async def cancelled() -> None:
        with metrics._metrics_track_request():
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(cancelled())
    assert metrics._metrics_snapshot().total_requests == 0


def test_the_tracker_works_around_awaits():
    metrics = Measured()

    async def call() -> None:
        with metrics._metrics_track_request():
            await metrics._clock.sleep(0.5)

    asyncio.run(call())
    assert metrics._metrics_snapshot().avg_latency_ms == 500.0


def test_tokens_and_cost_add_up():
    metrics = Measured()
    metrics._metrics_record_tokens(100, 0.5)
    metrics._metrics_record_tokens(50, 0.25)
    snapshot = metrics._metrics_snapshot()
    assert (snapshot.total_tokens, snapshot.total_cost) == (150, 0.75)


def test_percentiles_use_the_nearest_rank():
    metrics = Measured()
    for ms in range(1, 101):
        metrics.request(ms / 1000)
    snapshot = metrics._metrics_snapshot()
    assert (snapshot.p50, snapshot.p95, snapshot.p99) == pytest.approx((50.0, 95.0, 99.0))


def test_requests_per_minute_counts_the_last_60_seconds():
    metrics = Measured()
    metrics.request(0)
    metrics._clock.advance(30)
    metrics.request(0)
    metrics._clock.advance(45)
    assert metrics._metrics_snapshot().requests_per_minute == 1.0


def test_latency_memory_is_bounded_but_totals_stay_exact():
    metrics = Measured(max_samples=10)
    for _ in range(50):
        metrics.request(0.001)
    assert len(metrics._metrics_latencies) == 10
    assert metrics._metrics_snapshot().total_requests == 50


def test_reset_forgets_everything():
    metrics = Measured()
    metrics.request(0.1)
    metrics._metrics_record_tokens(5, 1.0)
    metrics._metrics_reset()
    assert metrics._metrics_snapshot() == Measured()._metrics_snapshot()


@settings(deadline=None)
@given(st.lists(st.tuples(st.floats(0, 10), st.booleans()), max_size=30))
def test_the_snapshot_is_consistent(requests):
    metrics = Measured(max_samples=8)
    for seconds, fail in requests:
        with contextlib.suppress(RuntimeError):
            metrics.request(seconds, fail=fail)
    snapshot = metrics._metrics_snapshot()
    assert snapshot.successful + snapshot.failed == snapshot.total_requests == len(requests)
    assert 0.0 <= snapshot.error_rate <= 1.0
    assert snapshot.p50 <= snapshot.p95 <= snapshot.p99
