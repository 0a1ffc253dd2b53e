"""A circuit breaker: stop calling an upstream that keeps failing, then probe it.

After ``failure_threshold`` consecutive failures the circuit opens and every call
fails fast with CircuitOpenError, sparing the upstream and the caller's time. Once
``reset_timeout`` seconds have passed the circuit is half-open: at most
``half_open_max`` probe requests are in flight at a time; ``success_threshold``
probe successes close it, and one probe failure opens it again.
"""

from __future__ import annotations

import enum

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.errors import ModelMeshError

__all__ = ["CircuitBreakerMixin", "CircuitBreakerStats", "CircuitOpenError", "CircuitState"]


class CircuitState(enum.Enum):
    CLOSED = "closed"
    """Calls pass."""
    OPEN = "open"
    """Calls fail fast until the reset timeout has passed."""
    HALF_OPEN = "half_open"
    """A few probe calls pass to test whether the upstream has recovered."""


class CircuitOpenError(ModelMeshError):
    """The circuit refuses the call; retry after ``retry_after`` seconds.

    ``retry_after`` is the time until the circuit turns half-open, or 0.0 when it is
    half-open already and every probe slot is taken.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, details={"retry_after": retry_after})
        self.retry_after = retry_after


@attrs.frozen
class CircuitBreakerStats:
    """The breaker's state, its counters and its configuration."""

    state: CircuitState
    consecutive_failures: int
    half_open_successes: int
    probes_in_flight: int
    time_until_half_open: float
    failure_threshold: int
    reset_timeout: float
    half_open_max: int
    success_threshold: int


class CircuitBreakerMixin:
    """A circuit breaker around a connector's calls.

    Call ``check_circuit()`` before each request and exactly one of
    ``record_success()`` or ``record_failure()`` after it. Works with the defaults
    without ``configure_circuit_breaker``. Time is read from ``self._clock``. A result
    is attributed to the state the circuit is in when it is recorded; results arriving
    while the circuit is open are ignored.
    """

    _clock: Clock = SYSTEM_CLOCK
    _cb_failure_threshold: int = 5
    _cb_reset_timeout: float = 60.0
    _cb_half_open_max: int = 1
    _cb_success_threshold: int = 1
    _cb_state: CircuitState = CircuitState.CLOSED
    _cb_failures: int = 0
    _cb_successes: int = 0
    _cb_probes: int = 0
    _cb_opened_at: float = 0.0

    def configure_circuit_breaker(
        self,
        failure_threshold: int = 5,
        reset_timeout: float = 60.0,
        half_open_max: int = 1,
        success_threshold: int = 1,
    ) -> None:
        """Set the thresholds and close the circuit."""
        for name, value in (
            ("failure_threshold", failure_threshold),
            ("half_open_max", half_open_max),
            ("success_threshold", success_threshold),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if reset_timeout < 0:
            raise ValueError(f"reset_timeout must be zero or more, got {reset_timeout}")
        self._cb_failure_threshold = failure_threshold
        self._cb_reset_timeout = reset_timeout
        self._cb_half_open_max = half_open_max
        self._cb_success_threshold = success_threshold
        self.reset_circuit()

    def check_circuit(self) -> None:
        """Admit a call, or raise CircuitOpenError saying when to try again."""
        state = self._cb_current_state()
        if state is CircuitState.OPEN:
            wait = self._cb_time_until_half_open()
            raise CircuitOpenError(
                f"{type(self).__name__}: the circuit is open after repeated failures; "
                f"the next probe is allowed in {wait:.3g}s",
                retry_after=wait,
            )
        if state is CircuitState.HALF_OPEN:
            if self._cb_probes >= self._cb_half_open_max:
                raise CircuitOpenError(
                    f"{type(self).__name__}: the circuit is half-open and "
                    f"{self._cb_probes} probe(s) are already in flight",
                    retry_after=0.0,
                )
            self._cb_probes += 1

    def record_success(self) -> None:
        """A call succeeded: clears the failure count, or counts towards closing."""
        state = self._cb_current_state()
        if state is CircuitState.CLOSED:
            self._cb_failures = 0
        elif state is CircuitState.HALF_OPEN:
            self._cb_probes = max(0, self._cb_probes - 1)
            self._cb_successes += 1
            if self._cb_successes >= self._cb_success_threshold:
                self.reset_circuit()

    def record_failure(self) -> None:
        """A call failed: opens the circuit at the threshold, or again when probing."""
        state = self._cb_current_state()
        if state is CircuitState.CLOSED:
            self._cb_failures += 1
            if self._cb_failures >= self._cb_failure_threshold:
                self._cb_open()
        elif state is CircuitState.HALF_OPEN:
            self._cb_open()

    def reset_circuit(self) -> None:
        """Close the circuit and forget every count."""
        self._cb_state = CircuitState.CLOSED
        self._cb_failures = 0
        self._cb_successes = 0
        self._cb_probes = 0

    def circuit_breaker_stats(self) -> CircuitBreakerStats:
        return CircuitBreakerStats(
            state=self._cb_current_state(),
            consecutive_failures=self._cb_failures,
            half_open_successes=self._cb_successes,
            probes_in_flight=self._cb_probes,
            time_until_half_open=self._cb_time_until_half_open(),
            failure_threshold=self._cb_failure_threshold,
            reset_timeout=self._cb_reset_timeout,
            half_open_max=self._cb_half_open_max,
            success_threshold=self._cb_success_threshold,
        )

    def _cb_open(self) -> None:
        self._cb_state = CircuitState.OPEN
        self._cb_opened_at = self._clock.monotonic()
        self._cb_successes = 0
        self._cb_probes = 0

    def _cb_time_until_half_open(self) -> float:
        if self._cb_state is not CircuitState.OPEN:
            return 0.0
        elapsed = self._clock.monotonic() - self._cb_opened_at
        return max(0.0, self._cb_reset_timeout - elapsed)

    def _cb_current_state(self) -> CircuitState:
        """The state now: an open circuit whose timeout has passed turns half-open."""
        if self._cb_state is CircuitState.OPEN and self._cb_time_until_half_open() == 0.0:
            self._cb_state = CircuitState.HALF_OPEN
        return self._cb_state
