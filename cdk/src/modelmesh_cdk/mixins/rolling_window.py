"""Per-key rolling windows of observations: success rate, mean and an EWMA score.

Selection strategies and deactivation policies judge a model by its recent
behaviour, not its whole history. Each key keeps at most ``window_size`` samples,
and samples older than ``window_duration_seconds`` are dropped whenever the key is
read, so a window never needs a background task.
"""

from __future__ import annotations

from collections import deque

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock

__all__ = ["RollingWindowMixin", "Sample"]


@attrs.frozen
class Sample:
    """One observation: when (monotonic seconds), what value, and whether it succeeded."""

    timestamp: float
    value: float
    success: bool


class RollingWindowMixin:
    """Rolling windows keyed by model or provider ID; call ``_init_window`` before use.

    Time is read from ``self._clock`` (the system clock unless the instance sets one).
    """

    _clock: Clock = SYSTEM_CLOCK
    _ewma_alpha: float = 0.3
    _window_data: dict[str, deque[Sample]]
    _window_size: int
    _window_duration: float

    def _init_window(self, window_size: int = 100, window_duration_seconds: float = 300.0) -> None:
        """Keep at most ``window_size`` samples per key, none older than the duration."""
        if window_size < 1:
            raise ValueError(f"window_size must be at least 1, got {window_size}")
        if window_duration_seconds <= 0:
            raise ValueError(
                f"window_duration_seconds must be positive, got {window_duration_seconds}"
            )
        self._window_data = {}
        self._window_size = window_size
        self._window_duration = window_duration_seconds

    def _record_sample(self, key: str, value: float, success: bool = True) -> None:
        """Add an observation; the oldest sample goes when the window is full."""
        window = self._window_data.get(key)
        if window is None:
            window = self._window_data[key] = deque(maxlen=self._window_size)
        window.append(Sample(self._clock.monotonic(), value, success))

    def _get_rate(self, key: str) -> float:
        """Fraction of successful samples in the window; 1.0 when there are none."""
        samples = self._window_samples(key)
        return _success_rate(samples) if samples else 1.0

    def _get_average(self, key: str) -> float:
        """Mean value in the window; 0.0 when there are no samples."""
        samples = self._window_samples(key)
        if not samples:
            return 0.0
        return sum(sample.value for sample in samples) / len(samples)

    def _get_score(self, key: str) -> float:
        """EWMA of the values (alpha ``_ewma_alpha``, newest weighs most) times the
        success rate; 0.0 when there are no samples. Record values where higher is
        better (a throughput, an inverse latency) for the score to rank models."""
        samples = self._window_samples(key)
        if not samples:
            return 0.0
        ewma = samples[0].value
        for sample in samples[1:]:
            ewma = self._ewma_alpha * sample.value + (1 - self._ewma_alpha) * ewma
        return ewma * _success_rate(samples)

    def _window_samples(self, key: str) -> list[Sample]:
        """The samples still inside the window, oldest first; drops the expired ones."""
        window = self._window_data.get(key)
        if window is None:
            return []
        cutoff = self._clock.monotonic() - self._window_duration
        while window and window[0].timestamp < cutoff:
            window.popleft()
        if not window:
            del self._window_data[key]
        return list(window)


def _success_rate(samples: list[Sample]) -> float:
    return sum(1 for sample in samples if sample.success) / len(samples)
