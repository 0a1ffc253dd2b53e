"""Serves the active model with the lowest recent mean latency"""

from modelmesh.interfaces.rotation import (
    DeactivationPolicy,
    ModelSnapshot,
    RecoveryPolicy,
    SelectionRequest,
    SelectionStrategy,
)
from modelmesh_cdk.base.rotation import (
    BaseDeactivationPolicy,
    BaseRecoveryPolicy,
    BaseRotationPolicy,
    BaseSelectionStrategy,
)


class LatencyFirstRotationSelection(BaseSelectionStrategy):
    """Ranks the active candidates of a pool: the highest score wins, ties go to pool
    order, and a standby model is never chosen."""

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        # Fill in: your preference as a finite number (the router relies on it). The
        # default prefers model_priority, then provider_priority, then the lower error rate.
        return super().score(candidate, request)


class LatencyFirstRotation(BaseRotationPolicy):
    """When a model leaves the pool, when it comes back, and which one serves next.

    Options are BaseRotationConfig's: failure_threshold, cooldown_seconds,
    error_rate_threshold, request_limit, token_limit, budget_limit, model_priority and
    provider_priority.
    """

    def _build_parts(self) -> tuple[DeactivationPolicy, RecoveryPolicy, SelectionStrategy]:
        # Fill in: replace a part to change when models are deactivated (subclass
        # BaseDeactivationPolicy, override _fired_reasons) or recover (BaseRecoveryPolicy).
        return (
            BaseDeactivationPolicy(self.config),
            BaseRecoveryPolicy(self.config),
            LatencyFirstRotationSelection(self.config),
        )
