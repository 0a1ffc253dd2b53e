"""Serves the highest-priority active model, with a fallback strategy"""

from collections.abc import Mapping, Sequence
from typing import Any

from modelmesh.config.schema import FallbackStrategy
from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    NoCandidatesError,
    SelectionRequest,
    SelectionResult,
)
from modelmesh_cdk.base.pool_rotation import (
    PoolRotationConfig,
    PoolRotationPolicy,
    PoolSelectionStrategy,
    active_candidates,
    next_in_pool_order,
)


class PrioritySelectionRotationSelection(PoolSelectionStrategy):
    """The first active model of ``model_priority``, else of the first provider of
    ``provider_priority`` with an active model (that provider's models in pool order).

    When no listed model is active the ``fallback_strategy`` decides: ``round-robin``
    (the default) cycles through the other active models, ``error`` raises
    NoCandidatesError. The walk starts again on every request, so a higher-priority
    model takes traffic back as soon as it has recovered.
    """

    def __init__(self, config: PoolRotationConfig | Mapping[str, Any] | None = None) -> None:
        super().__init__(config)
        self._last_fallback: int | None = None

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        active = active_candidates(candidates, request)
        preferred = self.ranker.best(active)
        if preferred is not None:
            return SelectionResult.for_candidate(
                preferred, self.score(preferred, request), "highest priority active"
            )
        if self.config.fallback_strategy is FallbackStrategy.ERROR:
            raise NoCandidatesError(request.capability)
        chosen = next_in_pool_order(active, self._last_fallback)
        self._last_fallback = chosen.priority_index
        return SelectionResult.for_candidate(
            chosen, self.score(chosen, request), "no priority model active: round-robin"
        )


class PrioritySelectionRotation(PoolRotationPolicy):
    """Serves by the pool's ``model_priority`` and ``provider_priority`` lists.

    Options are the pool's own keys; ``fallback_strategy`` (``round-robin`` or
    ``error``) applies when no listed model is active.
    """

    selection_class = PrioritySelectionRotationSelection
