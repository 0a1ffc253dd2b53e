"""Stick-until-failure keeps one model until it fails, then moves on in pool order."""

import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    SelectionRequest,
)
from modelmesh_plugin_stick_until_failure.connector import StickUntilFailureRotation

REQUEST = SelectionRequest(capability="chat-completion")
MODELS = ("openai.gpt-4o", "anthropic.claude", "gemini.flash", "groq.llama")


def pool(*standby: str) -> list[ModelSnapshot]:
    """The four models in pool order, those named on standby."""
    return [
        ModelSnapshot(
            model_id,
            model_id.split(".")[0],
            status=ModelStatus.STANDBY if model_id in standby else ModelStatus.ACTIVE,
            priority_index=index,
        )
        for index, model_id in enumerate(MODELS)
    ]


def active(*standby: str) -> list[ModelSnapshot]:
    """What the mesh hands the strategy: the active models only."""
    return [model for model in pool(*standby) if model.is_active]


def choose(policy: StickUntilFailureRotation, candidates: list[ModelSnapshot]) -> str:
    return policy.selection.select(candidates, REQUEST).model_id


def test_the_first_model_in_pool_order_serves_first() -> None:
    assert choose(StickUntilFailureRotation(), pool()) == "openai.gpt-4o"


def test_the_priority_choice_serves_first() -> None:
    policy = StickUntilFailureRotation({"model_priority": ["gemini.flash"]})
    assert choose(policy, pool()) == "gemini.flash"


def test_the_current_model_serves_while_active() -> None:
    policy = StickUntilFailureRotation()
    assert [choose(policy, pool()) for _ in range(3)] == ["openai.gpt-4o"] * 3


def test_the_next_active_model_after_the_current_one_takes_over() -> None:
    policy = StickUntilFailureRotation()
    choose(policy, pool())
    assert choose(policy, active("openai.gpt-4o", "anthropic.claude")) == "gemini.flash"


def test_moving_on_wraps_round_to_the_start_of_the_pool() -> None:
    policy = StickUntilFailureRotation({"model_priority": ["groq.llama"]})
    choose(policy, pool())
    assert choose(policy, active("groq.llama")) == "openai.gpt-4o"


def test_a_recovered_model_does_not_take_traffic_back() -> None:
    policy = StickUntilFailureRotation()
    choose(policy, pool())
    failed_over = choose(policy, active("openai.gpt-4o"))
    assert (failed_over, choose(policy, pool())) == ("anthropic.claude", "anthropic.claude")


def test_a_standby_candidate_is_passed_over() -> None:
    policy = StickUntilFailureRotation()
    choose(policy, pool())
    assert choose(policy, pool("openai.gpt-4o")) == "anthropic.claude"


def test_no_active_model_raises() -> None:
    with pytest.raises(NoCandidatesError):
        choose(StickUntilFailureRotation(), pool(*MODELS))


@given(st.lists(st.sets(st.sampled_from(MODELS)), min_size=1, max_size=20))
def test_the_choice_changes_only_when_the_current_model_fails(
    standby_sets: list[set[str]],
) -> None:
    """Over any sequence of pool states: never a standby model; the same model while
    it stays active; otherwise the next active one after it in pool order."""
    policy = StickUntilFailureRotation()
    previous: str | None = None
    for standby in standby_sets:
        candidates = pool(*standby)
        if len(standby) == len(MODELS):
            with pytest.raises(NoCandidatesError):
                choose(policy, candidates)
            continue
        chosen = choose(policy, candidates)
        assert chosen not in standby
        if previous is not None and previous not in standby:
            assert chosen == previous
        elif previous is not None:
            after = MODELS.index(previous)
            order = MODELS[after + 1 :] + MODELS[: after + 1]
            assert chosen == next(model for model in order if model not in standby)
        previous = chosen
