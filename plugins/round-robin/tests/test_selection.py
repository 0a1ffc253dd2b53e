"""Round-robin gives every active model its turn, evenly."""

import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    SelectionRequest,
)
from modelmesh_plugin_round_robin.connector import RoundRobinRotation

REQUEST = SelectionRequest(capability="chat-completion")
MODELS = ("openai.gpt-4o", "anthropic.claude", "gemini.flash", "groq.llama", "mistral.small")


def pool(*standby: str) -> list[ModelSnapshot]:
    """The models in pool order, those named on standby."""
    return [
        ModelSnapshot(
            model_id,
            model_id.split(".")[0],
            status=ModelStatus.STANDBY if model_id in standby else ModelStatus.ACTIVE,
            priority_index=index,
        )
        for index, model_id in enumerate(MODELS)
    ]


def choose(policy: RoundRobinRotation, candidates: list[ModelSnapshot]) -> str:
    return policy.selection.select(candidates, REQUEST).model_id


def test_models_take_turns_in_pool_order() -> None:
    policy = RoundRobinRotation()
    assert [choose(policy, pool()) for _ in range(7)] == [*MODELS, *MODELS[:2]]


def test_a_standby_model_is_skipped_and_takes_its_turn_again_once_back() -> None:
    policy = RoundRobinRotation()
    chosen = [choose(policy, pool("anthropic.claude")) for _ in range(3)]
    chosen += [choose(policy, pool()) for _ in range(3)]
    assert chosen == [
        "openai.gpt-4o",
        "gemini.flash",
        "groq.llama",
        "mistral.small",
        "openai.gpt-4o",
        "anthropic.claude",
    ]


def test_the_priority_lists_do_not_change_the_turns() -> None:
    policy = RoundRobinRotation({"model_priority": ["groq.llama"]})
    assert choose(policy, pool()) == "openai.gpt-4o"


def test_no_active_model_raises() -> None:
    with pytest.raises(NoCandidatesError):
        choose(RoundRobinRotation(), pool(*MODELS))


@given(
    standby=st.sets(st.sampled_from(MODELS), max_size=len(MODELS) - 1),
    cycles=st.integers(1, 6),
    warm_up=st.lists(st.sets(st.sampled_from(MODELS), max_size=len(MODELS) - 1), max_size=5),
)
def test_each_active_model_is_chosen_equally_often(
    standby: set[str], cycles: int, warm_up: list[set[str]]
) -> None:
    """Whatever came before, k cycles over a fixed active set choose each model k times
    and never a standby one."""
    policy = RoundRobinRotation()
    for earlier in warm_up:
        choose(policy, pool(*earlier))
    active = [model for model in MODELS if model not in standby]
    chosen = [choose(policy, pool(*standby)) for _ in range(cycles * len(active))]
    assert {model: chosen.count(model) for model in set(chosen)} == dict.fromkeys(active, cycles)
