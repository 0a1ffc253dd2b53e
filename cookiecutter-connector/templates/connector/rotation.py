"""{{ cookiecutter.description }}"""

from collections.abc import Sequence

from modelmesh.interfaces.rotation import ModelSnapshot, SelectionRequest, SelectionResult
from modelmesh_cdk.base.pool_rotation import (
    PoolRotationPolicy,
    PoolSelectionStrategy,
    active_candidates,
)


class {{ cookiecutter.__class_name }}Selection(PoolSelectionStrategy):
    """Picks the model that serves next among the pool's active candidates.

    ``self.config`` holds the pool's options (a PoolRotationConfig: model_priority,
    provider_priority, fallback_strategy, rate_limit, ...) and ``self.ranker`` ranks
    models by the pool's priority lists.
    """

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        # Fill in: your preference as a finite number (the router relies on it). The
        # default ranks by model_priority, then provider_priority.
        return super().score(candidate, request)

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        # Fill in: a stateful strategy keeps its state on self (one instance per pool).
        # Choose among active_candidates only: it never holds a standby model. The
        # default takes the highest score, ties to pool order.
        return super().select(active_candidates(candidates, request), request)


class {{ cookiecutter.__class_name }}(PoolRotationPolicy):
    """When a model leaves the pool, when it comes back, and which one serves next.

    Options are the pool's own keys (PoolRotationConfig): its ``deactivation`` and
    ``recovery`` sections decide when a model goes to standby and comes back, and the
    selection above decides which active model serves.
    """

    selection_class = {{ cookiecutter.__class_name }}Selection
