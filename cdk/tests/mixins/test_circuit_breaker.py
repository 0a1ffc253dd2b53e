from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from modelmesh.clock import ManualClock
from modelmesh.errors import ModelMeshError
from modelmesh_cdk.mixins.circuit_breaker import (
    CircuitBreakerMixin,
    CircuitOpenError,
    CircuitState,
)


class Breaker(CircuitBreakerMixin):
    def __init__(self, **settings: float) -> None:
        self._clock = ManualClock()
        if settings:
            self.configure_circuit_breaker(**settings)  # type: ignore[arg-type]

    def state(self) -> CircuitState:
        return self.circuit_breaker_stats().state

    def admitted(self) -> bool:
        try:
            self.check_circuit()
        except CircuitOpenError:
            return False
        return True


def open_breaker(**settings: float) -> Breaker:
    breaker = Breaker(**settings)
    for _ in range(breaker.circuit_breaker_stats().failure_threshold):
        breaker.record_failure()
    return breaker


def test_the_defaults_need_no_configuration():
    stats = Breaker().circuit_breaker_stats()
    assert (stats.state, stats.failure_threshold, stats.reset_timeout) == (
        CircuitState.CLOSED,
        5,
        60.0,
    )
    assert (stats.half_open_max, stats.success_threshold) == (1, 1)


def test_the_circuit_opens_after_failure_threshold_consecutive_failures():
    breaker = Breaker(failure_threshold=3)
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state() is CircuitState.CLOSED
    breaker.record_failure()
    assert breaker.state() is CircuitState.OPEN


def test_a_success_clears_the_failure_count():
    breaker = Breaker(failure_threshold=2)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state() is CircuitState.CLOSED


def test_an_open_circuit_fails_fast_with_the_time_until_half_open():
    breaker = open_breaker(reset_timeout=30.0)
    breaker._clock.advance(10)
    with pytest.raises(CircuitOpenError) as caught:
        breaker.check_circuit()
    assert caught.value.retry_after == 20.0


def test_circuit_open_error_is_a_retryable_modelmesh_error():
    error = CircuitOpenError("open", retry_after=1.0)
    assert isinstance(error, ModelMeshError)
    assert error.retryable


def test_after_the_reset_timeout_the_circuit_is_half_open():
    breaker = open_breaker(reset_timeout=30.0)
    breaker._clock.advance(30)
    assert breaker.state() is CircuitState.HALF_OPEN


def test_half_open_admits_only_half_open_max_probes():
    breaker = open_breaker(reset_timeout=1.0, half_open_max=2)
    breaker._clock.advance(1)
    assert [breaker.admitted() for _ in range(3)] == [True, True, False]


def test_a_half_open_success_closes_the_circuit():
    breaker = open_breaker(reset_timeout=1.0)
    breaker._clock.advance(1)
    breaker.check_circuit()
    breaker.record_success()
    assert breaker.state() is CircuitState.CLOSED


def test_closing_may_need_several_probe_successes():
    breaker = open_breaker(reset_timeout=1.0, success_threshold=2)
    breaker._clock.advance(1)
    breaker.check_circuit()
    breaker.record_success()
    assert breaker.state() is CircuitState.HALF_OPEN
    breaker.check_circuit()
    breaker.record_success()
    assert breaker.state() is CircuitState.CLOSED


def test_a_half_open_failure_reopens_the_circuit():
    breaker = open_breaker(reset_timeout=1.0)
    breaker._clock.advance(1)
    breaker.check_circuit()
    breaker.record_failure()
    assert breaker.state() is CircuitState.OPEN
    assert breaker.circuit_breaker_stats().time_until_half_open == 1.0


def test_reset_closes_the_circuit():
    breaker = open_breaker()
    breaker.reset_circuit()
    assert breaker.admitted()


def test_thresholds_below_one_are_refused():
    with pytest.raises(ValueError, match="failure_threshold"):
        Breaker(failure_threshold=0)


class BreakerProperties(RuleBasedStateMachine):
    FAILURES = 2
    SUCCESSES = 2
    PROBES = 2
    TIMEOUT = 10.0

    def __init__(self) -> None:
        super().__init__()
        self.breaker = Breaker(
            failure_threshold=self.FAILURES,
            reset_timeout=self.TIMEOUT,
            half_open_max=self.PROBES,
            success_threshold=self.SUCCESSES,
        )
        self.consecutive_failures = 0
        self.half_open_successes = 0
        self.pending_probes = 0
        self.last_state = CircuitState.CLOSED

    def observe(self) -> CircuitState:
        """The breaker's state; bookkeeping restarts whenever the state changes."""
        state = self.breaker.state()
        if state is not self.last_state:
            self.consecutive_failures = 0
            self.half_open_successes = 0
            self.pending_probes = 0
            self.last_state = state
        return state

    def finish(self, success: bool) -> None:
        before = self.observe()
        if success:
            self.breaker.record_success()
        else:
            self.breaker.record_failure()
        after = self.breaker.state()
        if before is CircuitState.CLOSED and not success:
            self.consecutive_failures += 1
            expected = CircuitState.OPEN if self.consecutive_failures >= self.FAILURES else before
            assert after is expected
        if before is CircuitState.CLOSED and success:
            self.consecutive_failures = 0
        if before is CircuitState.HALF_OPEN and not success:
            assert after is CircuitState.OPEN
        if before is CircuitState.HALF_OPEN and success:
            self.half_open_successes += 1
            reached = self.half_open_successes >= self.SUCCESSES
            assert after is (CircuitState.CLOSED if reached else CircuitState.HALF_OPEN)
        self.observe()

    @rule(success=st.booleans())
    def a_whole_request(self, success: bool) -> None:
        self.observe()
        if self.breaker.admitted():
            self.finish(success)

    @precondition(lambda self: self.breaker.state() is CircuitState.HALF_OPEN)
    @rule()
    def start_a_probe(self) -> None:
        self.observe()
        full = self.pending_probes >= self.PROBES
        admitted = self.breaker.admitted()
        assert not (full and admitted)
        self.pending_probes += admitted

    @precondition(lambda self: self.pending_probes > 0)
    @rule(success=st.booleans())
    def finish_a_probe(self, success: bool) -> None:
        self.pending_probes -= 1
        self.finish(success)

    @rule(seconds=st.sampled_from([1.0, 5.0, 10.0, 20.0]))
    def advance(self, seconds: float) -> None:
        self.breaker._clock.advance(seconds)

    @rule()
    def reset(self) -> None:
        self.breaker.reset_circuit()
        self.last_state = CircuitState.CLOSED
        self.consecutive_failures = self.half_open_successes = self.pending_probes = 0

    @invariant()
    def never_more_probes_in_flight_than_half_open_max(self) -> None:
        assert self.pending_probes <= self.PROBES

    @invariant()
    def an_open_circuit_admits_nothing(self) -> None:
        if self.observe() is CircuitState.OPEN:
            assert not self.breaker.admitted()


TestBreakerProperties = BreakerProperties.TestCase
TestBreakerProperties.settings = settings(deadline=None)
