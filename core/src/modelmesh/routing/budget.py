"""Provider budgets: refusing a request before it is sent when it would break one.

A provider's ``budget.daily_limit`` and ``budget.monthly_limit`` cap its spending in USD
over the UTC calendar day and month. The cost of a request is not known until it has
run, so the check uses an estimate: the price per request, the prompt's tokens counted
at four characters each, and ``max_tokens`` of output when the request sets it. A
model whose provider would go over is not a candidate; when that leaves none, the
caller gets a BudgetExceededError and nothing was sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from modelmesh.config.schema import BudgetConfig
from modelmesh.errors import BudgetExceededError
from modelmesh.interfaces.provider import ModelPricing, TokenUsage

_CHARS_PER_TOKEN = 4


def estimate_prompt_tokens(messages: Sequence[Mapping[str, Any]] | str | Sequence[Any]) -> int:
    """A rough count of prompt tokens: characters of the text parts over four."""
    if isinstance(messages, str):
        return max(1, len(messages) // _CHARS_PER_TOKEN)
    characters = 0
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else message
        if isinstance(content, str):
            characters += len(content)
        elif content is not None:
            characters += len(json.dumps(content, default=str))
    return max(1, characters // _CHARS_PER_TOKEN)


def estimate_cost(
    pricing: ModelPricing | None, prompt_tokens: int, max_output_tokens: int | None
) -> float:
    """The least a request can cost, by the model's price; 0 for an unpriced model."""
    if pricing is None:
        return 0.0
    return pricing.cost(TokenUsage(prompt_tokens, max_output_tokens or 0))


@attrs.frozen
class BudgetBreach:
    """Which limit a request would break, with the spend it would reach."""

    limit_type: str
    limit_value: float
    actual_value: float
    provider_id: str

    def error(self) -> BudgetExceededError:
        return BudgetExceededError(
            self.limit_type,
            self.limit_value,
            self.actual_value,
            scope=f"provider {self.provider_id!r}",
        )


def check_budget(
    provider_id: str,
    budget: BudgetConfig,
    *,
    spent_today: float,
    spent_this_month: float,
    estimate: float,
) -> BudgetBreach | None:
    """The first limit that spending ``estimate`` more would break, or None.

    A limit is broken by reaching beyond it; a request estimated at nothing is refused
    only once the limit is already spent.
    """
    if not budget.enforce:
        return None
    for limit_type, limit, spent in (
        ("daily", budget.daily_limit, spent_today),
        ("monthly", budget.monthly_limit, spent_this_month),
    ):
        if limit is None:
            continue
        reached = spent + estimate
        if reached > limit or (estimate == 0 and spent >= limit):
            return BudgetBreach(limit_type, limit, reached, provider_id)
    return None
