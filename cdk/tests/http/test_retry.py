"""RetryMixin and the backoff formula it shares with HttpClientMixin."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh_cdk.mixins.retry import (
    RetryMixin,
    additive_jitter,
    backoff_delay,
    no_jitter,
    proportional_jitter,
)

attempts = st.integers(min_value=0, max_value=2000)
delays = st.floats(min_value=0.001, max_value=100, allow_nan=False)
fractions = st.floats(min_value=0, max_value=1, exclude_max=True)
jitters = st.sampled_from([no_jitter, additive_jitter, proportional_jitter])


class Flaky(RetryMixin):
    def __init__(self, failures: int, error: type[Exception] = ConnectionError) -> None:
        self._clock = ManualClock()
        self._retry_jitter = False
        self.failures = failures
        self.error = error
        self.calls = 0

    async def work(self, value: str, *, suffix: str = "") -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")
        return value + suffix


def retry(flaky: Flaky, fn: Any = None) -> Any:
    return asyncio.run(flaky._retry(fn or flaky.work, "ok", suffix="!"))


@given(attempts, delays, jitters, fractions)
def test_delay_never_exceeds_the_cap(attempt, cap, jitter, fraction):
    delay = backoff_delay(attempt, max_delay=cap, jitter=jitter, draw=lambda: fraction)
    assert 0 <= delay <= cap


@given(st.integers(min_value=0, max_value=30), st.floats(min_value=1.01, max_value=4))
def test_delay_grows_with_attempts_without_jitter(attempt, base):
    kwargs = {"exponential_base": base, "max_delay": float("inf")}
    assert backoff_delay(attempt + 1, **kwargs) > backoff_delay(attempt, **kwargs)


@given(attempts, delays)
def test_delay_without_jitter_is_base_times_power_up_to_the_cap(attempt, base_delay):
    expected = min(30.0, base_delay * 2.0 ** min(attempt, 64))
    assert backoff_delay(attempt, base_delay=base_delay) == pytest.approx(expected)


@given(delays, fractions)
def test_proportional_jitter_stays_within_half_and_one_and_a_half(delay, fraction):
    jittered = proportional_jitter(delay, lambda: fraction)
    assert 0.5 * delay <= jittered <= 1.5 * delay  # the open end may round onto the bound


@given(delays, fractions)
def test_additive_jitter_adds_less_than_half_a_second(delay, fraction):
    assert delay <= additive_jitter(delay, lambda: fraction) <= delay + 0.5


def test_default_attributes():
    mixin = RetryMixin()
    assert (
        mixin._retry_max_attempts,
        mixin._retry_base_delay,
        mixin._retry_max_delay,
        mixin._retry_exponential_base,
        mixin._retry_jitter,
    ) == (3, 1.0, 30.0, 2.0, True)


def test_calculate_delay_doubles_from_the_base_delay():
    flaky = Flaky(0)
    assert [flaky._calculate_delay(a) for a in range(3)] == [1.0, 2.0, 4.0]


def test_calculate_delay_with_jitter_stays_within_bounds():
    mixin = RetryMixin()
    assert all(1.0 <= mixin._calculate_delay(1) < 3.0 for _ in range(200))


def test_success_first_time_calls_once_without_sleeping():
    flaky = Flaky(0)
    assert retry(flaky) == "ok!"
    assert (flaky.calls, flaky._clock.sleeps) == (1, [])


def test_failures_are_retried_with_growing_sleeps():
    flaky = Flaky(2)
    assert retry(flaky) == "ok!"
    assert flaky._clock.sleeps == [1.0, 2.0]


def test_max_attempts_counts_every_call():
    flaky = Flaky(5)
    with pytest.raises(ConnectionError, match="failure 3"):
        retry(flaky)
    assert flaky.calls == 3


def test_one_attempt_means_no_retry():
    flaky = Flaky(1)
    flaky._retry_max_attempts = 1
    with pytest.raises(ConnectionError):
        retry(flaky)
    assert flaky.calls == 1


def test_non_retryable_error_is_raised_at_once():
    class Picky(Flaky):
        def _is_retryable_error(self, exc: Exception) -> bool:
            return not isinstance(exc, ValueError)

    picky = Picky(2, ValueError)
    with pytest.raises(ValueError, match="failure 1"):
        retry(picky)
    assert picky.calls == 1


def test_every_error_is_retryable_by_default():
    assert RetryMixin()._is_retryable_error(KeyError("x"))


def test_plain_functions_are_retried_too():
    flaky = Flaky(1)

    def sync_work(value: str, *, suffix: str) -> str:
        flaky.calls += 1
        if flaky.calls == 1:
            raise ConnectionError
        return value + suffix

    assert retry(flaky, sync_work) == "ok!"
    assert flaky.calls == 2
