"""Load-balanced selection: traffic shares follow the models' headroom."""

from __future__ import annotations

from collections import Counter

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.rotation import ModelSnapshot, ModelStatus, SelectionRequest
from modelmesh_plugin_load_balanced.connector import LoadBalancedRotation, LoadBalancedSelection

REQUEST = SelectionRequest(capability="chat-completion")


def model(
    index: int,
    remaining: int | None = None,
    *,
    limit: int = 100,
    tokens: int | None = None,
    active: bool = True,
) -> ModelSnapshot:
    return ModelSnapshot(
        f"vendor.model-{index}",
        "openai",
        status=ModelStatus.ACTIVE if active else ModelStatus.STANDBY,
        requests_remaining=remaining,
        requests_limit=None if remaining is None else limit,
        tokens_remaining=tokens,
        priority_index=index,
    )


def strategy(**options: object) -> LoadBalancedSelection:
    selection = LoadBalancedRotation({"seed": 7, **options}).selection
    assert isinstance(selection, LoadBalancedSelection)
    return selection


def shares(selection: LoadBalancedSelection, pool: list[ModelSnapshot], n: int) -> dict[str, float]:
    counts = Counter(selection.select(pool, REQUEST).model_id for _ in range(n))
    return {m.model_id: counts[m.model_id] / n for m in pool}


def test_relative_mode_weighs_by_the_fraction_of_the_limit_left() -> None:
    # 30 of 100 left and 60 of 400 left: relative weights 0.3 and 0.15.
    pool = [model(0, 30), model(1, 60, limit=400)]
    assert strategy().weights(pool) == [pytest.approx(0.3), pytest.approx(0.15)]
    got = shares(strategy(), pool, 6000)
    assert got["vendor.model-0"] == pytest.approx(2 / 3, abs=0.03)


def test_absolute_mode_weighs_by_the_requests_left() -> None:
    pool = [model(0, 30), model(1, 60, limit=400), model(2, tokens=5000)]
    assert strategy(balance_mode="absolute").weights(pool) == [30.0, 60.0, 5000.0]


def test_a_model_without_limits_weighs_the_median_of_the_others() -> None:
    pool = [model(0, 10), model(1), model(2, 40), model(3, 90)]
    assert strategy().weights(pool) == pytest.approx([0.1, 0.4, 0.4, 0.9])


def test_without_any_limit_known_the_choice_is_even() -> None:
    pool = [model(0), model(1), model(2)]
    assert strategy().weights(pool) == [1.0, 1.0, 1.0]
    assert all(
        share == pytest.approx(1 / 3, abs=0.03) for share in shares(strategy(), pool, 6000).values()
    )


def test_when_every_model_is_exhausted_the_choice_is_even() -> None:
    assert strategy().weights([model(0, 0), model(1, 0), model(2)]) == [1.0, 1.0, 1.0]


def test_an_exhausted_model_gets_nothing_while_another_has_room() -> None:
    got = shares(strategy(), [model(0, 0), model(1, 5)], 500)
    assert got == {"vendor.model-0": 0.0, "vendor.model-1": 1.0}


def test_a_standby_model_gets_nothing() -> None:
    got = shares(strategy(), [model(0, 100, active=False), model(1, 1), model(2, 1)], 500)
    assert got["vendor.model-0"] == 0.0


def test_a_seed_makes_the_choices_reproducible() -> None:
    pool = [model(0, 50), model(1, 50), model(2, 50)]

    def run(seed: int) -> list[str]:
        selection = strategy(seed=seed)
        return [selection.select(pool, REQUEST).model_id for _ in range(40)]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_the_result_reports_the_chance_it_had() -> None:
    result = strategy().select([model(0, 75), model(1, 25, active=False), model(2, 25)], REQUEST)
    assert (result.score, result.reason) in {
        (0.75, "weighted random pick (75% chance)"),
        (0.25, "weighted random pick (25% chance)"),
    }


def test_the_seed_must_be_an_integer() -> None:
    with pytest.raises(ConfigurationError, match="seed"):
        LoadBalancedRotation({"seed": "seven"})


pools = st.lists(
    st.tuples(st.none() | st.integers(0, 100), st.booleans()), min_size=1, max_size=5
).filter(lambda models: any(active for _, active in models))


@settings(max_examples=25, deadline=None)
@given(pool_spec=pools, mode=st.sampled_from(["relative", "absolute"]))
def test_shares_match_the_weights_for_a_fixed_seed(
    pool_spec: list[tuple[int | None, bool]], mode: str
) -> None:
    pool = [model(i, remaining, active=up) for i, (remaining, up) in enumerate(pool_spec)]
    selection = strategy(balance_mode=mode)
    active = [m for m in pool if m.is_active]
    weights = selection.weights(active)
    expected = {m.model_id: w / sum(weights) for m, w in zip(active, weights, strict=True)}
    got = shares(selection, pool, 4000)
    for candidate in pool:
        assert got[candidate.model_id] == pytest.approx(
            expected.get(candidate.model_id, 0.0), abs=0.04
        )


@given(pool_spec=pools, seed=st.integers(0, 2**32))
def test_never_selects_a_standby_model(pool_spec: list[tuple[int | None, bool]], seed: int) -> None:
    pool = [model(i, remaining, active=up) for i, (remaining, up) in enumerate(pool_spec)]
    selection = strategy(seed=seed)
    for _ in range(20):
        chosen = selection.select(pool, REQUEST).model_id
        assert pool[int(chosen.rsplit("-", 1)[1])].is_active
