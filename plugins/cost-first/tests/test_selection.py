"""Cost-first serves the active model that prices the request lowest."""

import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.interfaces.provider import ModelPricing
from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    SelectionRequest,
)
from modelmesh_plugin_cost_first.connector import CostFirstRotation, request_cost

REQUEST = SelectionRequest(capability="chat-completion")


def model(
    model_id: str, index: int, pricing: ModelPricing | None, *, active: bool = True
) -> ModelSnapshot:
    return ModelSnapshot(
        model_id,
        model_id.split(".")[0],
        status=ModelStatus.ACTIVE if active else ModelStatus.STANDBY,
        priority_index=index,
        pricing=pricing,
    )


def choose(candidates: list[ModelSnapshot], request: SelectionRequest = REQUEST) -> str:
    return CostFirstRotation().selection.select(candidates, request).model_id


def test_the_cheapest_model_serves() -> None:
    pool = [
        model("openai.gpt-4o", 0, ModelPricing(2.5, 10.0)),
        model("openai.mini", 1, ModelPricing(0.15, 0.6)),
        model("anthropic.claude", 2, ModelPricing(3.0, 15.0)),
    ]
    assert choose(pool) == "openai.mini"


def test_a_request_is_priced_by_its_tokens_split_evenly_plus_the_call() -> None:
    pricing = ModelPricing(input_per_1k_tokens=1.0, output_per_1k_tokens=3.0, per_request=0.5)
    snapshot = model("a.b", 0, pricing)
    assert (
        request_cost(snapshot, REQUEST),
        request_cost(snapshot, SelectionRequest(capability="chat", estimated_tokens=4000)),
    ) == (2.5, 8.5)


def test_the_request_size_decides_between_per_token_and_per_call_prices() -> None:
    pool = [
        model("tokens.cheap-call", 0, ModelPricing(0.0, 0.0, per_request=0.01)),
        model("calls.free", 1, ModelPricing(0.002, 0.002)),
    ]
    small = SelectionRequest(capability="chat", estimated_tokens=100)
    large = SelectionRequest(capability="chat", estimated_tokens=100_000)
    assert (choose(pool, small), choose(pool, large)) == ("calls.free", "tokens.cheap-call")


def test_a_standby_model_is_never_chosen_however_cheap() -> None:
    pool = [
        model("free.local", 0, ModelPricing(), active=False),
        model("openai.mini", 1, ModelPricing(0.15, 0.6)),
    ]
    assert choose(pool) == "openai.mini"


def test_unpriced_models_rank_after_priced_ones_in_pool_order() -> None:
    pool = [
        model("unknown.one", 0, None),
        model("openai.gpt-4o", 1, ModelPricing(2.5, 10.0)),
        model("unknown.two", 2, None),
    ]
    assert (choose(pool), choose([pool[0], pool[2]])) == ("openai.gpt-4o", "unknown.one")


def test_equal_prices_go_to_pool_order() -> None:
    pool = [model(f"vendor.m{index}", index, ModelPricing(1.0, 1.0)) for index in range(3)]
    assert choose(pool[::-1]) == "vendor.m0"


def test_no_active_model_raises() -> None:
    with pytest.raises(NoCandidatesError):
        choose([model("a.b", 0, ModelPricing(), active=False)])


_prices = st.none() | st.builds(
    ModelPricing,
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 100, allow_nan=False),
    st.floats(0, 1, allow_nan=False),
)


@given(
    entries=st.lists(st.tuples(_prices, st.booleans()), min_size=1, max_size=8).filter(
        lambda entries: any(active for _, active in entries)
    ),
    tokens=st.integers(0, 100_000),
)
def test_no_active_model_is_cheaper_than_the_one_chosen(
    entries: list[tuple[ModelPricing | None, bool]], tokens: int
) -> None:
    pool = [
        model(f"vendor.m{index}", index, pricing, active=active)
        for index, (pricing, active) in enumerate(entries)
    ]
    request = SelectionRequest(capability="chat", estimated_tokens=tokens)
    chosen = next(m for m in pool if m.model_id == choose(pool, request))
    priced = [cost for m in pool if m.is_active and (cost := request_cost(m, request)) is not None]
    assert chosen.is_active
    assert request_cost(chosen, request) == (min(priced) if priced else None)
