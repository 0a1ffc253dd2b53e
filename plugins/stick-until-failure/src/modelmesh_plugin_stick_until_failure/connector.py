"""Keeps serving one model until it fails, then moves to the next in pool order"""

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


class StickUntilFailureRotationSelection(PoolSelectionStrategy):
    """Keeps a current model and serves it while it is among the active candidates.

    The first choice is the pool's priority choice (``model_priority``, then
    ``provider_priority``), else the first model in pool order. When the current model
    is no longer a candidate (it went to standby), the next active model after it in
    pool order takes over, wrapping round; a model that recovers meanwhile does not take
    traffic back until the current one fails in turn.
    """

    def __init__(self, config: PoolRotationConfig | Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self._current: tuple[str, int] | None = None

    @property
    def current(self) -> str | None:
        """The model ID the pool sticks to, None before the first selection."""
        return self._current[0] if self._current else None

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        active = active_candidates(candidates, request)
        if self._current is not None:
            current_id, position = self._current
            for candidate in active:
                if candidate.model_id == current_id:
                    return self._result(candidate, request, "current model still active")
            chosen = next_in_pool_order(active, position)
            reason = f"{current_id} unavailable: next in pool order"
        else:
            chosen = self.ranker.best(active) or next_in_pool_order(active, None)
            reason = "first choice"
        self._current = (chosen.model_id, chosen.priority_index)
        return self._result(chosen, request, reason)

    def _result(
        self, candidate: ModelSnapshot, request: SelectionRequest, reason: str
    ) -> SelectionResult:
        return SelectionResult.for_candidate(candidate, self.score(candidate, request), reason)


class StickUntilFailureRotation(PoolRotationPolicy):
    """The default strategy: one model serves until it goes to standby.

    Options are the pool's own keys; ``deactivation`` and ``recovery`` decide when the
    current model fails over and when a model may serve again.
    """

    selection_class = StickUntilFailureRotationSelection
