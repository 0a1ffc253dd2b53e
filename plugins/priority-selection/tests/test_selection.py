"""Priority selection walks the priority lists, then falls back."""

import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    SelectionRequest,
)
from modelmesh_plugin_priority_selection.connector import PrioritySelectionRotation

REQUEST = SelectionRequest(capability="chat-completion")
MODELS = ("openai.gpt-4o", "openai.mini", "anthropic.claude", "gemini.flash", "groq.llama")


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


def choose(policy: PrioritySelectionRotation, candidates: list[ModelSnapshot]) -> str:
    return policy.selection.select(candidates, REQUEST).model_id


def test_the_first_active_model_of_the_model_priority_serves() -> None:
    policy = PrioritySelectionRotation({"model_priority": ["gemini.flash", "groq.llama"]})
    assert (choose(policy, pool()), choose(policy, pool("gemini.flash"))) == (
        "gemini.flash",
        "groq.llama",
    )


def test_the_provider_priority_comes_after_the_model_priority() -> None:
    policy = PrioritySelectionRotation(
        {"model_priority": ["groq.llama"], "provider_priority": ["anthropic", "openai"]}
    )
    assert [
        choose(policy, pool()),
        choose(policy, pool("groq.llama")),
        choose(policy, pool("groq.llama", "anthropic.claude")),
        choose(policy, pool("groq.llama", "anthropic.claude", "openai.gpt-4o")),
    ] == ["groq.llama", "anthropic.claude", "openai.gpt-4o", "openai.mini"]


def test_a_recovered_higher_priority_model_takes_traffic_back_at_once() -> None:
    policy = PrioritySelectionRotation({"model_priority": ["anthropic.claude", "gemini.flash"]})
    assert [
        choose(policy, pool("anthropic.claude")),
        choose(policy, pool()),
    ] == ["gemini.flash", "anthropic.claude"]


def test_without_an_active_listed_model_the_rest_take_turns() -> None:
    policy = PrioritySelectionRotation({"model_priority": ["openai.gpt-4o"]})
    chosen = [choose(policy, pool("openai.gpt-4o")) for _ in range(8)]
    assert chosen == [*MODELS[1:], *MODELS[1:]]


def test_the_error_fallback_refuses_when_no_listed_model_is_active() -> None:
    policy = PrioritySelectionRotation(
        {"model_priority": ["openai.gpt-4o"], "fallback_strategy": "error"}
    )
    assert choose(policy, pool()) == "openai.gpt-4o"
    with pytest.raises(NoCandidatesError):
        choose(policy, pool("openai.gpt-4o"))


def test_a_bad_fallback_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="fallback_strategy"):
        PrioritySelectionRotation({"fallback_strategy": "random"})


@given(
    priority=st.lists(st.sampled_from(MODELS), unique=True),
    standby=st.sets(st.sampled_from(MODELS), max_size=len(MODELS) - 1),
)
def test_the_best_active_listed_model_serves_and_never_a_standby_one(
    priority: list[str], standby: set[str]
) -> None:
    policy = PrioritySelectionRotation({"model_priority": priority})
    chosen = choose(policy, pool(*standby))
    listed = [model for model in priority if model not in standby]
    assert chosen not in standby
    assert chosen == (listed[0] if listed else next(m for m in MODELS if m not in standby))
