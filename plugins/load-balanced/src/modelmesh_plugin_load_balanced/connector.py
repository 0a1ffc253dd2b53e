"""Spreads requests at random, weighted by each model's rate-limit headroom."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence

import attrs

from modelmesh.config.schema import BalanceMode
from modelmesh.interfaces.rotation import ModelSnapshot, SelectionRequest, SelectionResult
from modelmesh_cdk.base.pool_rotation import (
    PoolRotationConfig,
    PoolRotationPolicy,
    PoolSelectionStrategy,
    active_candidates,
)

__all__ = ["LoadBalancedConfig", "LoadBalancedRotation", "LoadBalancedSelection"]


@attrs.frozen(kw_only=True)
class LoadBalancedConfig(PoolRotationConfig):
    """The pool's options plus ``seed``: an integer makes the random choices reproducible."""

    seed: int | None = None


class LoadBalancedSelection(PoolSelectionStrategy):
    """Picks at random, each active model with a chance proportional to its weight.

    ``balance_mode: relative`` (the default) weighs by headroom, the fraction of the
    rate limit left; ``absolute`` by the requests left (the tokens left for a model
    that reports only those), so larger quotas take more traffic. A model that
    reports no limits weighs the median of those that do; when none does, or every
    weight is 0, the choice is even.
    """

    config_class = LoadBalancedConfig

    def __init__(self, config: LoadBalancedConfig) -> None:
        super().__init__(config)
        self._absolute = self.config.balance_mode is BalanceMode.ABSOLUTE
        self._random = random.Random(self.config.seed)

    def weight(self, candidate: ModelSnapshot) -> float | None:
        """The model's own weight, None when its provider reported no limit."""
        if not self._absolute:
            return candidate.headroom
        remaining = candidate.requests_remaining
        if remaining is None:
            remaining = candidate.tokens_remaining
        return None if remaining is None else float(remaining)

    def weights(self, candidates: Sequence[ModelSnapshot]) -> list[float]:
        """The weights the choice uses, unknown ones filled, never all zero."""
        own = [self.weight(candidate) for candidate in candidates]
        known = [weight for weight in own if weight is not None]
        fill = statistics.median(known) if known else 1.0
        weights = [fill if weight is None else weight for weight in own]
        return weights if sum(weights) > 0 else [1.0] * len(weights)

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        """The model's weight (1 when it reports no limit)."""
        return self.weights([candidate])[0]

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        active = active_candidates(candidates, request)
        weights = self.weights(active)
        total = sum(weights)
        point = self._random.random() * total
        # Rounding may leave the point past every weight: then the last weighted model.
        chosen = max(range(len(active)), key=lambda i: (weights[i] > 0, i))
        for index, weight in enumerate(weights):
            if point < weight:
                chosen = index
                break
            point -= weight
        share = weights[chosen] / total
        return SelectionResult.for_candidate(
            active[chosen], share, f"weighted random pick ({share:.0%} chance)"
        )


class LoadBalancedRotation(PoolRotationPolicy):
    """The pool's deactivation and recovery, with traffic spread by headroom.

    Options are the pool's (PoolRotationConfig), of which ``balance_mode`` applies here,
    plus ``seed`` (LoadBalancedConfig, from the pool's ``strategy_options``).
    """

    config_class = LoadBalancedConfig
    selection_class = LoadBalancedSelection
