"""Serves the active model with the lowest recent mean latency."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    SelectionRequest,
    SelectionResult,
)
from modelmesh_cdk.base.pool_rotation import (
    PoolRotationConfig,
    PoolRotationPolicy,
    PoolSelectionStrategy,
    active_candidates,
)

__all__ = ["LatencyFirstRotation", "LatencyFirstSelection"]


class LatencyFirstSelection(PoolSelectionStrategy):
    """Picks the lowest mean of each model's last ``latency_window`` latencies.

    A model without history is judged at the median of the known means, so it is
    neither shunned nor favoured until it has been measured; when no model has history
    the pool order decides. Ties go to pool order. Stateless: the latencies come from
    the snapshots the mesh keeps.
    """

    def __init__(self, config: PoolRotationConfig) -> None:
        super().__init__(config)
        self._window = self.config.latency_window

    def mean_latency(self, candidate: ModelSnapshot) -> float | None:
        """Mean of the model's last ``latency_window`` latencies in ms; None without any."""
        recent = candidate.latency_history[-self._window :]
        return sum(recent) / len(recent) if recent else None

    def latencies(self, candidates: Sequence[ModelSnapshot]) -> list[float]:
        """Each candidate's mean latency, unknown ones filled with the median of the known."""
        return _filled([self.mean_latency(candidate) for candidate in candidates])

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        """Minus the mean latency in ms (higher is faster); 0 for a model never measured."""
        return -self.latencies([candidate])[0]

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        active = active_candidates(candidates, request)
        means = [self.mean_latency(candidate) for candidate in active]
        latencies = _filled(means)
        position = min(range(len(active)), key=lambda index: (latencies[index], index))
        if means[position] is not None:
            reason = f"lowest mean latency ({latencies[position]:.1f} ms)"
        elif any(mean is not None for mean in means):
            reason = "not measured yet, so ranked at the median of the measured models"
        else:
            reason = "no model measured yet: first in pool order"
        return SelectionResult.for_candidate(active[position], -latencies[position], reason)


def _filled(means: list[float | None]) -> list[float]:
    known = [mean for mean in means if mean is not None]
    fill = statistics.median(known) if known else 0.0
    return [fill if mean is None else mean for mean in means]


class LatencyFirstRotation(PoolRotationPolicy):
    """The pool's deactivation and recovery, with selection by lowest recent latency.

    Options are the pool's (PoolRotationConfig); ``latency_window`` (default 50) is how
    many of the most recent latencies each mean covers.
    """

    selection_class = LatencyFirstSelection
