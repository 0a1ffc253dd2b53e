"""Request metrics a connector keeps about itself: counts, tokens, cost, latency.

Totals are exact for the connector's lifetime (or since the last reset); latency
percentiles are computed over the most recent ``_metrics_max_samples`` requests so
that memory stays bounded however long the connector runs.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock

__all__ = ["MetricSnapshot", "MetricsMixin"]

_MINUTE = 60.0


@attrs.frozen
class MetricSnapshot:
    """Counters and latency figures at one moment; latencies in milliseconds."""

    total_requests: int
    successful: int
    failed: int
    total_tokens: int
    total_cost: float
    avg_latency_ms: float
    p50: float
    p95: float
    p99: float
    error_rate: float
    requests_per_minute: float
    """Requests that finished in the last 60 seconds."""


class MetricsMixin:
    """Track requests with ``with self._metrics_track_request(): ...``; call
    ``__init_metrics__()`` first. Time is read from ``self._clock``."""

    _clock: Clock = SYSTEM_CLOCK
    _metrics_max_samples: int = 1000
    _metrics_successful: int
    _metrics_failed: int
    _metrics_tokens: int
    _metrics_cost: float
    _metrics_latency_total_ms: float
    _metrics_latencies: deque[float]
    _metrics_finished_at: deque[float]

    def __init_metrics__(self) -> None:
        self._metrics_reset()

    @contextmanager
    def _metrics_track_request(self) -> Iterator[None]:
        """Time the block; it counts as failed when it raises an exception. A block
        left by cancellation is not counted at all: nothing was learned about the
        upstream."""
        started = self._clock.monotonic()
        try:
            yield
        except Exception:
            self._metrics_finish(started, success=False)
            raise
        self._metrics_finish(started, success=True)

    def _metrics_record_tokens(self, tokens: int, cost: float = 0.0) -> None:
        self._metrics_tokens += tokens
        self._metrics_cost += cost

    def _metrics_snapshot(self) -> MetricSnapshot:
        total = self._metrics_successful + self._metrics_failed
        latencies = sorted(self._metrics_latencies)
        self._metrics_prune(self._clock.monotonic())
        return MetricSnapshot(
            total_requests=total,
            successful=self._metrics_successful,
            failed=self._metrics_failed,
            total_tokens=self._metrics_tokens,
            total_cost=self._metrics_cost,
            avg_latency_ms=self._metrics_latency_total_ms / total if total else 0.0,
            p50=_percentile(latencies, 50),
            p95=_percentile(latencies, 95),
            p99=_percentile(latencies, 99),
            error_rate=self._metrics_failed / total if total else 0.0,
            requests_per_minute=float(len(self._metrics_finished_at)),
        )

    def _metrics_reset(self) -> None:
        self._metrics_successful = 0
        self._metrics_failed = 0
        self._metrics_tokens = 0
        self._metrics_cost = 0.0
        self._metrics_latency_total_ms = 0.0
        self._metrics_latencies = deque(maxlen=self._metrics_max_samples)
        self._metrics_finished_at = deque()

    def _metrics_finish(self, started: float, *, success: bool) -> None:
        now = self._clock.monotonic()
        latency_ms = (now - started) * 1000
        if success:
            self._metrics_successful += 1
        else:
            self._metrics_failed += 1
        self._metrics_latency_total_ms += latency_ms
        self._metrics_latencies.append(latency_ms)
        self._metrics_finished_at.append(now)
        self._metrics_prune(now)

    def _metrics_prune(self, now: float) -> None:
        finished = self._metrics_finished_at
        while finished and finished[0] <= now - _MINUTE:
            finished.popleft()


def _percentile(ordered: list[float], percent: float) -> float:
    """Nearest-rank percentile of sorted values; 0.0 when there are none."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]
