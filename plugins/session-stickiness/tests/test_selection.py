"""Session stickiness: a session stays on its model, within the rules of the pool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.errors import ConfigurationError, SessionModelUnavailableError
from modelmesh.interfaces.rotation import (
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    SelectionRequest,
)
from modelmesh_plugin_session_stickiness.connector import (
    SessionStickinessRotation,
    SessionStickinessSelection,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def model(index: int, *, active: bool = True, provider: str = "openai") -> ModelSnapshot:
    return ModelSnapshot(
        f"vendor.model-{index}",
        provider,
        status=ModelStatus.ACTIVE if active else ModelStatus.STANDBY,
        priority_index=index,
    )


def request(
    session: str | None = None, *, at: float | None = 0.0, **metadata: str
) -> SelectionRequest:
    return SelectionRequest(
        capability="chat-completion",
        session_id=session,
        metadata=metadata,
        now=None if at is None else T0 + timedelta(seconds=at),
    )


def strategy(**options: object) -> SessionStickinessSelection:
    selection = SessionStickinessRotation(options).selection
    assert isinstance(selection, SessionStickinessSelection)
    return selection


POOL = [model(0), model(1), model(2)]


def test_a_session_keeps_its_model() -> None:
    selection = strategy()
    first = selection.select(POOL, request("s1")).model_id
    again = [selection.select(POOL, request("s1", at=t)).model_id for t in (1, 2, 3)]
    assert again == [first] * 3


def test_new_sessions_spread_over_the_pool_when_no_priority_is_set() -> None:
    selection = strategy()
    chosen = [selection.select(POOL, request(f"s{i}")).model_id for i in range(6)]
    assert chosen == [f"vendor.model-{i % 3}" for i in range(6)]


def test_new_sessions_get_the_priority_choice_when_a_priority_is_set() -> None:
    selection = strategy(model_priority=["vendor.model-2"], provider_priority=["anthropic"])
    pool = [model(0), model(1, provider="anthropic"), model(2)]
    assert {selection.select(pool, request(f"s{i}")).model_id for i in range(4)} == {
        "vendor.model-2"
    }
    pool[2] = model(2, active=False)
    assert selection.select(pool, request("later")).model_id == "vendor.model-1"


def test_a_request_without_a_session_gets_the_priority_choice_and_is_not_remembered() -> None:
    selection = strategy(provider_priority=["anthropic"])
    pool = [model(0), model(1, provider="anthropic")]
    result = selection.select(pool, request())
    assert (result.model_id, result.reason, len(selection.sessions)) == (
        "vendor.model-1",
        "no session: priority choice",
        0,
    )


def test_the_session_header_names_a_metadata_entry_matched_case_insensitively() -> None:
    selection = strategy(session_header="X-Session-ID")
    first = selection.select(POOL, request(**{"x-session-id": "abc"})).model_id
    selection.select(POOL, request("other"))
    assert selection.select(POOL, request(**{"X-Session-Id": "abc"})).model_id == first
    assert selection.session_of(request("explicit", **{"x-session-id": "abc"})) == "explicit"


def test_metadata_is_ignored_without_a_session_header() -> None:
    assert strategy().session_of(request(**{"x-session-id": "abc"})) is None


def test_fallback_moves_the_session_when_its_model_is_on_standby_and_keeps_it_there() -> None:
    selection = strategy()
    assert selection.select(POOL, request("s")).model_id == "vendor.model-0"
    degraded = [model(0, active=False), model(1), model(2)]
    moved = selection.select(degraded, request("s", at=1))
    assert (moved.model_id, moved.reason) == (
        "vendor.model-1",
        "session moved: its model vendor.model-0 is not available",
    )
    # The recovered model does not take the session back.
    assert selection.select(POOL, request("s", at=2)).model_id == "vendor.model-1"


def test_fallback_moves_the_session_when_its_model_is_no_longer_a_candidate() -> None:
    selection = strategy()
    selection.select(POOL, request("s"))
    assert selection.select(POOL[1:], request("s", at=1)).model_id == "vendor.model-1"


def test_strict_raises_when_the_pinned_model_is_unavailable_and_keeps_the_pin() -> None:
    selection = strategy(affinity_mode="strict")
    selection.select(POOL, request("s"))
    with pytest.raises(SessionModelUnavailableError) as raised:
        selection.select([model(0, active=False), model(1)], request("s", at=1))
    assert (raised.value.session_id, raised.value.model_id) == ("s", "vendor.model-0")
    assert selection.select(POOL, request("s", at=2)).model_id == "vendor.model-0"


def test_a_pin_expires_session_timeout_after_its_last_use() -> None:
    selection = strategy(session_timeout="10s", affinity_mode="strict")
    selection.select(POOL, request("s"))
    # Used at 9 s, so still pinned at 18 s; unused from 18 s, so free at 28 s.
    assert selection.select(POOL, request("s", at=9)).reason == "session pinned to this model"
    assert selection.select(POOL, request("s", at=18)).reason == "session pinned to this model"
    standby_first = [model(0, active=False), model(1), model(2)]
    result = selection.select(standby_first, request("s", at=28))
    assert (result.model_id, result.reason) == ("vendor.model-1", "new session")


def test_without_time_pins_never_expire() -> None:
    selection = strategy(session_timeout="1s")
    selection.select(POOL, request("s", at=None))
    assert selection.select(POOL, request("s", at=None)).reason == "session pinned to this model"


def test_expired_pins_are_dropped_and_no_longer_count_as_load() -> None:
    selection = strategy(session_timeout="10s")
    for i in range(3):
        selection.select(POOL, request(f"old{i}"))
    selection.select(POOL, request("fresh", at=20))
    assert (len(selection.sessions), selection.sessions.load("vendor.model-0")) == (1, 1)


def test_the_table_is_bounded_and_forgets_the_least_recently_used_session() -> None:
    selection = strategy(max_sessions=2, model_priority=["vendor.model-0"])
    selection.select(POOL, request("a"))
    selection.select(POOL, request("b", at=1))
    selection.select(POOL, request("a", at=2))
    selection.select(POOL, request("c", at=3))
    assert (len(selection.sessions), selection.sessions.get("b", None)) == (2, None)
    assert selection.sessions.get("a", None) == "vendor.model-0"


def test_the_score_marks_the_pinned_model() -> None:
    selection = strategy()
    selection.select(POOL, request("s"))
    assert [selection.score(c, request("s", at=1)) for c in POOL] == [1.0, 0.0, 0.0]
    assert [selection.score(c, request()) for c in POOL] == [0.0, 0.0, 0.0]


def test_no_active_model_is_no_candidate_even_for_a_strict_session() -> None:
    selection = strategy(affinity_mode="strict")
    selection.select(POOL, request("s"))
    with pytest.raises(NoCandidatesError):
        selection.select([model(0, active=False)], request("s", at=1))


def test_unknown_options_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="max_sessions"):
        SessionStickinessRotation({"max_session": 5})
    with pytest.raises(ConfigurationError, match="max_sessions"):
        SessionStickinessRotation({"max_sessions": 0})


# A run of requests from a few sessions against a pool whose models come and go.
steps = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", None]),
        st.lists(st.booleans(), min_size=4, max_size=4).filter(any),
        st.integers(0, 30),
    ),
    min_size=1,
    max_size=40,
)


def index_of(model_id: str) -> int:
    return int(model_id.rsplit("-", 1)[1])


@given(steps=steps, timeout=st.integers(5, 60), capacity=st.integers(1, 5))
def test_a_pinned_session_stays_while_its_model_is_active_and_no_standby_model_is_chosen(
    steps: list[tuple[str | None, list[bool], int]], timeout: int, capacity: int
) -> None:
    selection = strategy(session_timeout=timeout, max_sessions=capacity)
    clock = 0
    for session, states, gap in steps:
        clock += gap
        pool = [model(i, active=up) for i, up in enumerate(states)]
        now = request(session, at=clock)
        pinned = None if session is None else selection.sessions.get(session, now.now)
        chosen = selection.select(pool, now).model_id
        assert pool[index_of(chosen)].is_active
        if pinned is not None and states[index_of(pinned)]:
            assert chosen == pinned
        assert len(selection.sessions) <= capacity


@given(steps=steps, timeout=st.integers(5, 60))
def test_a_session_used_within_the_timeout_keeps_its_model_while_that_model_is_active(
    steps: list[tuple[str | None, list[bool], int]], timeout: int
) -> None:
    selection = strategy(session_timeout=timeout)
    last: dict[str, tuple[str, int]] = {}
    clock = 0
    for session, states, gap in steps:
        clock += gap
        pool = [model(i, active=up) for i, up in enumerate(states)]
        chosen = selection.select(pool, request(session, at=clock)).model_id
        if session is None:
            continue
        if session in last:
            model_id, used = last[session]
            if clock - used < timeout and states[index_of(model_id)]:
                assert chosen == model_id
        last[session] = (chosen, clock)
