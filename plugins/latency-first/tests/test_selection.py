"""Latency-first selection: the lowest recent mean latency serves."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime

import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    SelectionRequest,
)
from modelmesh_plugin_latency_first.connector import LatencyFirstRotation

REQUEST = SelectionRequest(capability="chat-completion", now=datetime(2026, 1, 1, tzinfo=UTC))


def model(index: int, *latencies: float, active: bool = True) -> ModelSnapshot:
    return ModelSnapshot(
        f"vendor.model-{index}",
        "openai",
        status=ModelStatus.ACTIVE if active else ModelStatus.STANDBY,
        latency_history=latencies,
        priority_index=index,
    )


def choose(pool: list[ModelSnapshot], **options: object) -> str:
    return LatencyFirstRotation(options).selection.select(pool, REQUEST).model_id


def test_the_lowest_mean_latency_serves() -> None:
    pool = [model(0, 900, 1100), model(1, 300, 500), model(2, 450)]
    assert choose(pool) == "vendor.model-1"


def test_only_the_last_latency_window_entries_count() -> None:
    # model-0 was slow long ago and is fast now; model-1 is steady.
    pool = [model(0, 5000, 5000, 5000, 100, 100), model(1, 400, 400, 400, 400, 400)]
    assert (choose(pool, latency_window=2), choose(pool, latency_window=5)) == (
        "vendor.model-0",
        "vendor.model-1",
    )


def test_an_unmeasured_model_ranks_at_the_median_of_the_measured() -> None:
    # Measured means 300, 300, 900: the unmeasured model counts as 300, and is first.
    assert choose([model(0), model(1, 300), model(2, 300), model(3, 900)]) == "vendor.model-0"
    # Measured means 200, 300, 900: the median 300 loses to 200.
    assert choose([model(0), model(1, 200), model(2, 300), model(3, 900)]) == "vendor.model-1"


def test_an_unmeasured_model_loses_the_tie_to_an_earlier_measured_one() -> None:
    assert choose([model(0, 200), model(1), model(2, 200)]) == "vendor.model-0"


def test_with_no_history_the_pool_order_decides() -> None:
    assert choose([model(0, active=False), model(1), model(2)]) == "vendor.model-1"


def test_ties_go_to_pool_order() -> None:
    assert choose([model(0, 300), model(1, 200), model(2, 200)]) == "vendor.model-1"


def test_a_standby_model_is_never_chosen_however_fast() -> None:
    assert choose([model(0, 1, active=False), model(1, 900)]) == "vendor.model-1"


def test_a_pool_with_only_standby_models_has_no_candidate() -> None:
    with pytest.raises(NoCandidatesError):
        choose([model(0, 1, active=False)])


def test_the_result_says_why_and_scores_minus_the_latency() -> None:
    result = LatencyFirstRotation().selection.select([model(0, 250, 350)], REQUEST)
    assert (result.score, result.reason, result.delay_seconds) == (
        -300.0,
        "lowest mean latency (300.0 ms)",
        0.0,
    )


def test_time_plays_no_part() -> None:
    pool = [model(0, 700), model(1, 90)]
    selection = LatencyFirstRotation().selection
    untimed = SelectionRequest(capability="chat-completion")
    assert selection.select(pool, untimed) == selection.select(pool, REQUEST)


latency = st.floats(0, 60_000)
histories = st.lists(st.lists(latency, max_size=8), min_size=1, max_size=6)


@st.composite
def pools(draw: st.DrawFn) -> list[ModelSnapshot]:
    pool = [
        model(index, *history, active=draw(st.booleans()))
        for index, history in enumerate(draw(histories))
    ]
    if not any(candidate.is_active for candidate in pool):
        pool[0] = model(0, *pool[0].latency_history)
    return pool


@given(pool=pools(), window=st.integers(1, 10))
def test_no_active_model_has_a_lower_filled_mean_than_the_chosen_one(
    pool: list[ModelSnapshot], window: int
) -> None:
    chosen = choose(pool, latency_window=window)
    active = [candidate for candidate in pool if candidate.is_active]
    recent = {c.model_id: c.latency_history[-window:] for c in active if c.latency_history}
    means = {model_id: sum(history) / len(history) for model_id, history in recent.items()}
    fill = statistics.median(means.values()) if means else 0.0
    filled = {candidate.model_id: means.get(candidate.model_id, fill) for candidate in active}
    best = min(filled.values())
    assert filled[chosen] == best
    # Ties go to pool order: every earlier active model is slower.
    position = int(chosen.rsplit("-", 1)[1])
    assert all(filled[c.model_id] > best for c in active if c.priority_index < position)


@given(pool=pools())
def test_never_selects_a_standby_model(pool: list[ModelSnapshot]) -> None:
    chosen = choose(pool)
    assert next(c for c in pool if c.model_id == chosen).is_active
