"""Serves the cheapest active model by declared price"""

from collections.abc import Sequence

from modelmesh.interfaces.rotation import ModelSnapshot, SelectionRequest, SelectionResult
from modelmesh_cdk.base.pool_rotation import (
    PoolRotationPolicy,
    PoolSelectionStrategy,
    active_candidates,
)

DEFAULT_REQUEST_TOKENS = 1000
"""The request size priced when the router gives no estimate."""


def request_cost(candidate: ModelSnapshot, request: SelectionRequest) -> float | None:
    """USD price of this request on this model, None when the model has no price.

    The request's ``estimated_tokens`` (1000 when 0) are priced half as input, half as
    output, plus the model's ``per_request`` price.
    """
    pricing = candidate.pricing
    if pricing is None:
        return None
    thousands = (request.estimated_tokens or DEFAULT_REQUEST_TOKENS) / 1000
    return (
        thousands / 2 * (pricing.input_per_1k_tokens + pricing.output_per_1k_tokens)
        + pricing.per_request
    )


class CostFirstRotationSelection(PoolSelectionStrategy):
    """The active model whose price for this request is lowest; ties go to pool order.

    Prices are read from the snapshots on every request (the YAML's ``pricing`` first,
    then the connector's), so a price change applies at once. Models without a price
    rank after every priced one, in pool order.
    """

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        """``1 / (1 + cost)``: 1 for a free model, towards 0 as the price grows, and 0
        for a model without a price."""
        cost = request_cost(candidate, request)
        return 0.0 if cost is None else 1.0 / (1.0 + cost)

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        def rank(candidate: ModelSnapshot) -> tuple[bool, float, int]:
            cost = request_cost(candidate, request)
            return (cost is None, cost or 0.0, candidate.priority_index)

        chosen = min(active_candidates(candidates, request), key=rank)
        cost = request_cost(chosen, request)
        reason = "no model has a price" if cost is None else f"cheapest: ${cost:.6f}"
        return SelectionResult.for_candidate(chosen, self.score(chosen, request), reason)


class CostFirstRotation(PoolRotationPolicy):
    """Sends each request to the cheapest active model of the pool.

    Options are the pool's own keys; give models a price under ``models.<id>.pricing``
    when their connector does not report one.
    """

    selection_class = CostFirstRotationSelection
