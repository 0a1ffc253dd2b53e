"""Rate-limit-aware selection: keep the preferred model, act when its limit nears."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.interfaces.rotation import ModelSnapshot, ModelStatus, SelectionRequest
from modelmesh_plugin_rate_limit_aware.connector import (
    RateLimitAwareRotation,
    RateLimitAwareSelection,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def model(
    index: int,
    remaining: int | None = None,
    *,
    limit: int = 100,
    active: bool = True,
    provider: str = "openai",
) -> ModelSnapshot:
    """A model whose headers report ``remaining`` of ``limit`` requests (None: no headers)."""
    return ModelSnapshot(
        f"vendor.model-{index}",
        provider,
        status=ModelStatus.ACTIVE if active else ModelStatus.STANDBY,
        requests_remaining=remaining,
        requests_limit=None if remaining is None else limit,
        priority_index=index,
    )


def at(seconds: float | None) -> SelectionRequest:
    now = None if seconds is None else T0 + timedelta(seconds=seconds)
    return SelectionRequest(capability="chat-completion", now=now)


def strategy(rate_limit: dict[str, object] | None = None, **options: object):
    selection = RateLimitAwareRotation({"rate_limit": rate_limit or {}, **options}).selection
    assert isinstance(selection, RateLimitAwareSelection)
    return selection


# Headers: model-0 has used 50%, model-1 90%, model-2 10%.
HALF, MOSTLY_USED, FRESH = model(0, 50), model(1, 10), model(2, 90)


def test_the_preferred_model_stays_while_under_the_threshold() -> None:
    result = strategy().select([HALF, FRESH], at(0))
    assert (result.model_id, result.delay_seconds) == ("vendor.model-0", 0.0)


def test_the_priority_lists_name_the_preferred_model() -> None:
    selection = strategy(provider_priority=["anthropic"])
    pool = [HALF, model(1, 60, provider="anthropic"), FRESH]
    assert selection.select(pool, at(0)).model_id == "vendor.model-1"


def test_switch_model_takes_the_model_with_most_headroom_at_the_threshold() -> None:
    result = strategy().select([MOSTLY_USED, HALF, FRESH], at(0))
    assert (result.model_id, result.reason, result.delay_seconds) == (
        "vendor.model-2",
        "switched: the preferred model is at its rate-limit threshold",
        0.0,
    )


def test_the_threshold_itself_counts_as_over() -> None:
    assert strategy({"threshold": 0.5}).select([HALF, FRESH], at(0)).model_id == "vendor.model-2"


def test_equal_headroom_goes_to_priority_then_pool_order() -> None:
    pool = [MOSTLY_USED, model(1, 70), model(2, 70, provider="anthropic")]
    assert strategy().select(pool, at(0)).model_id == "vendor.model-1"
    assert (
        strategy(provider_priority=["anthropic"]).select(pool[:1] + pool[1:], at(0)).model_id
        == "vendor.model-2"
    )


def test_when_every_model_is_over_the_one_with_most_capacity_serves() -> None:
    pool = [model(0, 5), model(1, 15), model(2, 0)]
    result = strategy().select(pool, at(0))
    assert (result.model_id, result.reason) == (
        "vendor.model-1",
        "every model is at its rate-limit threshold: most capacity left",
    )


def test_a_model_without_headers_counts_its_own_requests_against_max_rpm() -> None:
    selection = strategy({"max_rpm": 5, "threshold": 0.8})
    pool = [model(0), model(1)]
    chosen = [selection.select(pool, at(t)).model_id for t in range(6)]
    # 4 of 5 is the threshold: the fifth request and the next go to model-1.
    assert chosen == ["vendor.model-0"] * 4 + ["vendor.model-1"] * 2
    # A minute after the first request, model-0 is under the threshold again.
    assert selection.select(pool, at(60)).model_id == "vendor.model-0"


def test_reaching_max_rpm_counts_as_over_even_when_the_headers_show_room() -> None:
    selection = strategy({"max_rpm": 2, "threshold": 0.8})
    pool = [model(0, 99), model(1, 50)]
    chosen = [selection.select(pool, at(t)).model_id for t in range(3)]
    assert chosen == ["vendor.model-0", "vendor.model-0", "vendor.model-1"]


def test_delay_request_keeps_the_model_and_waits_until_it_is_under_the_threshold() -> None:
    selection = strategy({"max_rpm": 4, "threshold": 0.5, "action": "delay_request"})
    pool = [model(0), model(1)]
    delays = [selection.select(pool, at(t)).delay_seconds for t in range(3)]
    # Two sends (at 0 and 1) reach half of 4: the third waits for the first to leave.
    assert delays == [0.0, 0.0, 58.0]
    result = selection.select(pool, at(3))
    assert (result.model_id, result.delay_seconds) == ("vendor.model-0", 58.0)


def test_delay_request_on_headers_waits_for_the_last_minute_of_our_requests() -> None:
    selection = strategy({"action": "delay_request"})
    assert selection.select([HALF, FRESH], at(0)).delay_seconds == 0.0
    result = selection.select([MOSTLY_USED, FRESH], at(10))
    assert (result.model_id, result.delay_seconds) == ("vendor.model-1", 0.0)
    # model-1 now has one request of ours in the window, sent at 10 s.
    assert selection.select([MOSTLY_USED, FRESH], at(15)).delay_seconds == 55.0


def test_queue_fills_max_rpm_then_waits_for_a_free_slot() -> None:
    selection = strategy({"max_rpm": 3, "threshold": 0.5, "action": "queue"})
    pool = [model(0), model(1)]
    results = [selection.select(pool, at(t)) for t in range(5)]
    assert [r.model_id for r in results] == ["vendor.model-0"] * 5
    # Slots free at 60, 61, 62 (the first three sends leaving the window).
    assert [r.delay_seconds for r in results] == [0.0, 0.0, 0.0, 57.0, 57.0]


def test_min_delta_spaces_requests_to_the_same_model() -> None:
    selection = strategy({"min_delta": "2s"})
    pool = [model(0), model(1)]
    delays = [selection.select(pool, at(t)).delay_seconds for t in (0, 0, 0.5, 10)]
    assert delays == [0.0, 2.0, 3.5, 0.0]


def test_without_a_time_nothing_is_counted_or_delayed() -> None:
    selection = strategy({"max_rpm": 1, "min_delta": "5s", "action": "queue"})
    results = [selection.select([model(0), model(1)], at(None)) for _ in range(3)]
    assert {(r.model_id, r.delay_seconds) for r in results} == {("vendor.model-0", 0.0)}
    # Headers still count.
    assert strategy().select([MOSTLY_USED, FRESH], at(None)).model_id == "vendor.model-2"


def test_a_standby_model_is_never_chosen_however_much_headroom_it_has() -> None:
    pool = [model(0, 10), model(1, 100, active=False), model(2, 50)]
    assert strategy().select(pool, at(0)).model_id == "vendor.model-2"


def test_the_score_is_the_headroom_left() -> None:
    selection = strategy()
    assert [selection.score(m, at(0)) for m in (HALF, MOSTLY_USED, model(3))] == [
        pytest.approx(0.5),
        pytest.approx(0.1),
        1.0,
    ]


def test_an_exhausted_model_is_switched_away_from_but_never_deactivated() -> None:
    policy = RateLimitAwareRotation()
    assert policy.deactivation.get_reason(model(0, 0)) is None


times = st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=60).map(
    lambda gaps: [sum(gaps[: i + 1]) for i in range(len(gaps))]
)


@given(arrivals=times, max_rpm=st.integers(1, 6), models=st.integers(1, 4))
def test_switch_model_sends_no_model_more_than_max_rpm_a_minute_while_another_has_room(
    arrivals: list[float], max_rpm: int, models: int
) -> None:
    selection = strategy({"max_rpm": max_rpm, "threshold": 1.0})
    pool = [model(i) for i in range(models)]
    sent: dict[str, list[float]] = {m.model_id: [] for m in pool}
    for now in arrivals:
        counts = {m: len([t for t in ts if t > now - 60]) for m, ts in sent.items()}
        result = selection.select(pool, at(now))
        if min(counts.values()) < max_rpm:
            assert counts[result.model_id] < max_rpm
        else:
            assert counts[result.model_id] == min(counts.values())
        assert result.delay_seconds == 0.0
        sent[result.model_id].append(now)


@given(arrivals=times, max_rpm=st.integers(1, 6), min_delta=st.sampled_from([0, 0.5, 3]))
def test_queue_never_schedules_more_than_max_rpm_in_any_minute_nor_closer_than_min_delta(
    arrivals: list[float], max_rpm: int, min_delta: float
) -> None:
    selection = strategy({"max_rpm": max_rpm, "min_delta": min_delta, "action": "queue"})
    scheduled = []
    for now in arrivals:
        result = selection.select([model(0)], at(now))
        assert result.delay_seconds >= 0
        scheduled.append(now + result.delay_seconds)
    scheduled.sort()
    for i, start in enumerate(scheduled):
        assert len([t for t in scheduled[i:] if t < start + 60 - 1e-6]) <= max_rpm
    assert all(b - a >= min_delta - 1e-6 for a, b in itertools.pairwise(scheduled))


headers = st.none() | st.integers(0, 100)


@given(
    states=st.lists(st.tuples(headers, st.booleans()), min_size=1, max_size=6).filter(
        lambda states: any(up for _, up in states)
    ),
    threshold=st.floats(0, 1),
)
def test_switch_model_keeps_the_preferred_model_under_the_threshold_else_most_headroom(
    states: list[tuple[int | None, bool]], threshold: float
) -> None:
    pool = [model(i, remaining, active=up) for i, (remaining, up) in enumerate(states)]
    active = [m for m in pool if m.is_active]
    ratio = {m.model_id: 0.0 if m.headroom is None else 1 - m.headroom for m in active}
    chosen = strategy({"threshold": threshold}).select(pool, at(0)).model_id
    assert chosen in ratio
    preferred = active[0].model_id
    if ratio[preferred] < threshold:
        assert chosen == preferred
    else:
        under = [r for r in ratio.values() if r < threshold]
        assert ratio[chosen] == min(under or ratio.values())
