"""Cycles evenly through the active models of a pool"""

from collections.abc import Mapping, Sequence
from typing import Any

from modelmesh.interfaces.rotation import ModelSnapshot, SelectionRequest, SelectionResult
from modelmesh_cdk.base.pool_rotation import (
    PoolRotationConfig,
    PoolRotationPolicy,
    PoolSelectionStrategy,
    active_candidates,
    next_in_pool_order,
)


class RoundRobinRotationSelection(PoolSelectionStrategy):
    """Each request goes to the next active model in pool order after the last one
    chosen, wrapping round.

    The position, not a counter, is remembered: a model that goes to standby is skipped
    and one that comes back takes its turn again, so with a fixed set of active models
    each is chosen once per cycle. Priority lists are not consulted.
    """

    def __init__(self, config: PoolRotationConfig | Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self._last: int | None = None

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        """Every model is as good as any other; the turn decides."""
        return 1.0

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        chosen = next_in_pool_order(active_candidates(candidates, request), self._last)
        self._last = chosen.priority_index
        return SelectionResult.for_candidate(chosen, self.score(chosen, request), "next in turn")


class RoundRobinRotation(PoolRotationPolicy):
    """Spreads requests evenly over the pool's active models.

    Options are the pool's own keys; ``deactivation`` and ``recovery`` decide which
    models take their turn.
    """

    selection_class = RoundRobinRotationSelection
