from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh_cdk.mixins.rate_limiter import RateLimiterMixin


class Limited(RateLimiterMixin):
    def __init__(self, rpm: int = 60, tpm: int = 100_000, min_delay: float = 0.0) -> None:
        self._clock = ManualClock()
        self._rate_limit_rpm = rpm
        self._rate_limit_tpm = tpm
        self._rate_limit_min_delay = min_delay
        self.__init_rate_limiter__()

    def acquire(self, estimated_tokens: int = 0) -> float:
        """Acquire; return how long the clock was made to wait."""
        before = self._clock.monotonic()
        asyncio.run(self._rate_limit_acquire(estimated_tokens))
        return self._clock.monotonic() - before


def test_the_defaults_are_60_rpm_100000_tpm_and_no_delay():
    limiter = RateLimiterMixin()
    assert (limiter._rate_limit_rpm, limiter._rate_limit_tpm, limiter._rate_limit_min_delay) == (
        60,
        100_000,
        0.0,
    )


def test_requests_within_the_limit_pass_at_once():
    limiter = Limited(rpm=3)
    assert [limiter.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter._clock.sleeps == []


def test_a_request_over_the_limit_waits_until_the_oldest_leaves_the_window():
    limiter = Limited(rpm=2)
    limiter.acquire()
    limiter._clock.advance(10)
    limiter.acquire()
    limiter._clock.advance(5)
    assert limiter.acquire() == pytest.approx(45.0)


def test_tokens_over_the_budget_wait_until_enough_tokens_leave_the_window():
    limiter = Limited(tpm=1000)
    limiter.acquire()
    limiter._rate_limit_record_tokens(600)
    limiter._clock.advance(20)
    limiter._rate_limit_record_tokens(300)
    assert limiter.acquire(estimated_tokens=200) == pytest.approx(40.0)


def test_an_estimate_within_the_remaining_budget_passes_at_once():
    limiter = Limited(tpm=1000)
    limiter._rate_limit_record_tokens(600)
    assert limiter.acquire(estimated_tokens=400) == 0.0


def test_an_estimate_above_the_whole_budget_waits_for_an_empty_window():
    limiter = Limited(tpm=1000)
    limiter._rate_limit_record_tokens(10)
    assert limiter.acquire(estimated_tokens=5000) == pytest.approx(60.0)


def test_the_minimum_delay_spaces_requests():
    limiter = Limited(min_delay=0.5)
    limiter.acquire()
    limiter._clock.advance(0.2)
    assert limiter.acquire() == pytest.approx(0.3)


@settings(max_examples=50, deadline=None)
@given(
    rpm=st.integers(1, 5),
    gaps=st.lists(st.sampled_from([0.0, 1.0, 7.0, 30.0, 61.0]), min_size=1, max_size=20),
)
def test_no_60_second_window_ever_holds_more_than_rpm_requests(rpm, gaps):
    limiter = Limited(rpm=rpm)
    admitted = []
    for gap in gaps:
        limiter._clock.advance(gap)
        limiter.acquire()
        admitted.append(limiter._clock.monotonic())
    for start in admitted:
        assert sum(1 for t in admitted if start <= t < start + 60 - 1e-6) <= rpm


def test_a_limit_that_admits_nothing_is_refused():
    with pytest.raises(ValueError, match="_rate_limit_rpm"):
        Limited(rpm=0)
