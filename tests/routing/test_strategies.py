"""The eight selection strategies end to end, each chosen by its short name in YAML and
judged by which upstream the requests reached."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelmesh.clock import SYSTEM_CLOCK, Clock, ManualClock
from modelmesh.errors import (
    AllProvidersExhaustedError,
    NoActiveModelError,
    RequestDeadlineError,
    SessionModelUnavailableError,
)
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error, ok

from .conftest import run, started
from .meshes import calls, mesh_yaml, served


@pytest.fixture
def mesh_of(
    upstreams: list[FakeUpstream], write_config: Callable[[str], Path]
) -> Callable[..., Path]:
    """A config of the first ``count`` upstreams with the pool's extra keys."""

    def build(pool: str, count: int = 3, **options: Any) -> Path:
        urls = [server.url for server in upstreams[:count]]
        return write_config(mesh_yaml(urls, pool, **options))

    return build


def test_every_short_name_selects_its_strategy(
    mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    async def strategy_of(name: str) -> str:
        mesh = await started(mesh_of(f"strategy: {name}"), clock)
        strategy = mesh.explain("chat").strategy
        await mesh.shutdown()
        return strategy

    names = [
        "stick-until-failure",
        "priority-selection",
        "round-robin",
        "cost-first",
        "latency-first",
        "session-stickiness",
        "rate-limit-aware",
        "load-balanced",
    ]
    for name in names:
        assert run(strategy_of(name)) == f"modelmesh.{name}.v1"


# --- stick-until-failure ------------------------------------------------------------------------


def test_stick_until_failure_moves_on_only_when_the_current_model_fails(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    pool = "strategy: stick-until-failure\nretry: {max_attempts: 1}\ndeactivation: {retry_limit: 1}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool, count=2), clock)
        assert await served(mesh, 2) == ["a.m", "a.m"]
        a.script(error(503))
        assert await served(mesh, 2) == ["b.m", "b.m"]
        clock.advance(61)
        # R10: a is back, but b keeps the traffic while it answers.
        assert await served(mesh, 2) == ["b.m", "b.m"]
        assert mesh.pool_status("chat")["chat"]["active"] == 2
        b.script(error(503))
        assert await served(mesh, 2) == ["a.m", "a.m"]
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (5, 5)


# --- priority-selection ------------------------------------------------------------------------


def test_priority_selection_follows_model_priority_and_returns_eagerly(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    c = upstreams[2]
    pool = """
        strategy: priority-selection
        model_priority: [c.m, a.m]
        retry: {max_attempts: 1}
        deactivation: {retry_limit: 1}
    """

    async def scenario() -> None:
        mesh = await started(mesh_of(pool), clock)
        assert await served(mesh, 2) == ["c.m", "c.m"]
        c.script(error(500))
        assert await served(mesh, 2) == ["a.m", "a.m"]
        clock.advance(61)
        assert await served(mesh) == ["c.m"]
        await mesh.shutdown()

    run(scenario())
    assert calls(upstreams[1]) == 0


def test_priority_selection_falls_back_to_unlisted_models_by_round_robin(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    a.script(error(500))
    pool = """
        strategy: priority-selection
        model_priority: [a.m]
        retry: {max_attempts: 1}
        deactivation: {retry_limit: 1}
    """

    async def scenario() -> None:
        mesh = await started(mesh_of(pool), clock)
        assert await served(mesh, 5) == ["b.m", "c.m", "b.m", "c.m", "b.m"]
        await mesh.shutdown()

    run(scenario())


def test_priority_selection_with_fallback_error_refuses_unlisted_models(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    upstreams[0].script(error(500))
    pool = """
        strategy: priority-selection
        model_priority: [a.m]
        fallback_strategy: error
        retry: {max_attempts: 1}
        deactivation: {retry_limit: 1}
    """

    async def scenario() -> None:
        mesh = await started(mesh_of(pool), clock)
        with pytest.raises(AllProvidersExhaustedError):
            await served(mesh)
        # a is on standby now, and nothing else may serve.
        with pytest.raises(NoActiveModelError):
            await served(mesh)
        await mesh.shutdown()

    run(scenario())
    assert (calls(upstreams[1]), calls(upstreams[2])) == (0, 0)


# --- round-robin -------------------------------------------------------------------------------


def test_round_robin_spreads_requests_evenly(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    async def scenario() -> None:
        mesh = await started(mesh_of("strategy: round-robin"), clock)
        assert await served(mesh, 6) == ["a.m", "b.m", "c.m"] * 2
        await mesh.shutdown()

    run(scenario())
    assert [calls(server) for server in upstreams] == [2, 2, 2]


def test_round_robin_skips_a_model_on_standby(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    upstreams[1].script(error(503))
    pool = "strategy: round-robin\nretry: {max_attempts: 1}\ndeactivation: {retry_limit: 1}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool), clock)
        models = await served(mesh, 7)
        assert Counter(models) == {"a.m": 4, "c.m": 3}
        await mesh.shutdown()

    run(scenario())
    assert calls(upstreams[1]) == 1


# --- cost-first --------------------------------------------------------------------------------


def test_cost_first_picks_the_cheapest_priced_model(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    b, c = upstreams[1], upstreams[2]
    prices = {
        "a": "pricing: {input_per_1k_tokens: 0.01, output_per_1k_tokens: 0.03}",
        "b": "pricing: {input_per_1k_tokens: 0.001, output_per_1k_tokens: 0.002}",
    }
    pool = "strategy: cost-first\nretry: {max_attempts: 1}\ndeactivation: {retry_limit: 1}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool, models=prices), clock)
        assert await served(mesh, 3) == ["b.m"] * 3
        b.script(error(500))
        # b out: the next cheapest priced model; the unpriced c ranks last.
        assert await served(mesh, 2) == ["a.m", "a.m"]
        await mesh.shutdown()

    run(scenario())
    assert calls(c) == 0


# --- latency-first -----------------------------------------------------------------------------


def test_latency_first_prefers_the_faster_upstream(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path]
) -> None:
    """Latency is measured on the mesh's clock, so this mesh runs on the real one; no
    retry waits happen (one attempt per model), only the upstreams' small delays."""
    a, b = upstreams[0], upstreams[1]
    a.script(ok(delay=0.1), error(500))
    b.script(ok(), ok(delay=0.3))
    pool = "strategy: latency-first\nretry: {max_attempts: 1}"
    real: Clock = SYSTEM_CLOCK

    async def scenario() -> None:
        mesh = await ModelMesh(mesh_of(pool, count=2), clock=real).initialize()
        # 1: nothing known, pool order: a answers in 100 ms. 2: b, unknown, gets the median
        # (a's 100 ms), a tie that pool order settles for a, which fails: b answers fast.
        # 3: b is the faster, answers in 300 ms, and its mean passes a's. 4: a again.
        assert await served(mesh, 4) == ["a.m", "b.m", "b.m", "a.m"]
        await mesh.shutdown()

    run(scenario())


# --- session-stickiness ------------------------------------------------------------------------


def test_session_stickiness_keeps_each_user_on_one_model(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    async def scenario() -> None:
        mesh = await started(mesh_of("strategy: session-stickiness"), clock)
        order = ["alice", "bob", "alice", "carol", "bob", "alice", "carol"]
        models = [(await served(mesh, user=user))[0] for user in order]
        assert models == ["a.m", "b.m", "a.m", "c.m", "b.m", "a.m", "c.m"]
        await mesh.shutdown()

    run(scenario())


def test_session_moves_when_its_model_fails_and_stays_moved(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    pool = "strategy: session-stickiness\nretry: {max_attempts: 1}\ndeactivation: {retry_limit: 1}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool, count=2), clock)
        assert await served(mesh, user="alice") == ["a.m"]
        a.script(error(500))
        assert await served(mesh, 2, user="alice") == ["b.m", "b.m"]
        clock.advance(61)
        assert await served(mesh, 2, user="alice") == ["b.m", "b.m"]
        # A new session takes the least used model: a, back from its cooldown.
        assert await served(mesh, user="dave") == ["a.m"]
        await mesh.shutdown()

    run(scenario())


def test_session_header_in_the_request_metadata_names_the_session(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    pool = "strategy: session-stickiness\nsession_header: x-session-id"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool), clock)
        first = await served(mesh, metadata={"X-Session-Id": "s1"})
        second = await served(mesh, metadata={"X-Session-Id": "s2"})
        again = await served(mesh, 3, metadata={"x-session-id": "s1"})
        assert (first, second, again) == (["a.m"], ["b.m"], ["a.m"] * 3)
        await mesh.shutdown()

    run(scenario())


# --- rate-limit-aware --------------------------------------------------------------------------

LOW = {"x-ratelimit-remaining-requests": "1", "x-ratelimit-limit-requests": "100"}
HIGH = {"x-ratelimit-remaining-requests": "90", "x-ratelimit-limit-requests": "100"}


def test_rate_limit_aware_switches_when_headroom_runs_low(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(ok(headers=HIGH), ok(headers=LOW))
    b.script(ok(headers=HIGH), ok(headers=HIGH))

    async def scenario() -> None:
        mesh = await started(mesh_of("strategy: rate-limit-aware", count=2), clock)
        assert await served(mesh, 4) == ["a.m", "a.m", "b.m", "b.m"]
        # Switching is not deactivation: a stays active.
        assert mesh.pool_status("chat")["chat"]["active"] == 2
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (2, 2)


def test_rate_limit_aware_threshold_is_read_from_yaml(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    half = {"x-ratelimit-remaining-requests": "40", "x-ratelimit-limit-requests": "100"}
    upstreams[0].script(ok(headers=half), ok(headers=half))
    pool = "strategy: rate-limit-aware\nrate_limit: {threshold: 0.5}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool, count=2), clock)
        assert await served(mesh, 2) == ["a.m", "b.m"]
        await mesh.shutdown()

    run(scenario())


# --- load-balanced -----------------------------------------------------------------------------


def test_load_balanced_spreads_traffic_by_headroom(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    roomy = {"x-ratelimit-remaining-requests": "90", "x-ratelimit-limit-requests": "100"}
    tight = {"x-ratelimit-remaining-requests": "10", "x-ratelimit-limit-requests": "100"}
    upstreams[0].script(*[ok(headers=roomy)] * 60)
    upstreams[1].script(*[ok(headers=tight)] * 60)
    pool = "strategy: load-balanced\nstrategy_options: {seed: 1}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool, count=2), clock)
        counts = Counter(await served(mesh, 60))
        # Weights 0.9 and 0.1 once both have answered: about nine in ten go to a.
        assert counts["a.m"] >= 45
        assert counts["b.m"] >= 2
        await mesh.shutdown()

    run(scenario())


def test_load_balanced_without_limits_spreads_evenly(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    pool = "strategy: load-balanced\nstrategy_options: {seed: 1}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool), clock)
        counts = Counter(await served(mesh, 60))
        assert set(counts) == {"a.m", "b.m", "c.m"}
        assert all(10 <= count <= 30 for count in counts.values())
        await mesh.shutdown()

    run(scenario())


def test_load_balanced_with_a_seed_is_reproducible(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    pool = "strategy: load-balanced\nstrategy_options: {seed: 7}"

    async def sequence() -> list[str]:
        mesh = await started(mesh_of(pool), clock)
        models = await served(mesh, 12)
        await mesh.shutdown()
        return models

    assert run(sequence()) == run(sequence())


def test_rate_limit_aware_delay_request_waits_instead_of_switching(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(ok(headers=LOW))
    pool = "strategy: rate-limit-aware\nrate_limit: {action: delay_request}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool, count=2), clock)
        assert await served(mesh, 2) == ["a.m", "a.m"]
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (2, 0)
    # The headers put a at its limit: the wait lets our last minute of sends pass.
    assert clock.sleeps == [60.0]


def test_a_strategy_wait_beyond_the_deadline_ends_the_request_unsent(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    a.script(ok(headers=LOW))
    pool = "strategy: rate-limit-aware\nrate_limit: {action: delay_request}\nretry: {deadline: 30s}"

    async def scenario() -> None:
        mesh = await started(mesh_of(pool, count=2), clock)
        assert await served(mesh) == ["a.m"]
        with pytest.raises(RequestDeadlineError) as caught:
            await served(mesh)
        assert caught.value.attempts == 0
        await mesh.shutdown()

    run(scenario())
    assert calls(a) == 1
    assert clock.sleeps == []


def test_strict_affinity_refuses_to_move_a_session(
    upstreams: list[FakeUpstream], mesh_of: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    pool = """
        strategy: session-stickiness
        affinity_mode: strict
        retry: {max_attempts: 1}
        deactivation: {retry_limit: 1}
    """

    async def scenario() -> None:
        mesh = await started(mesh_of(pool, count=2), clock)
        assert await served(mesh, user="alice") == ["a.m"]
        a.script(error(500))
        for _ in range(2):
            with pytest.raises(SessionModelUnavailableError):
                await served(mesh, user="alice")
        assert await served(mesh, user="bob") == ["b.m"]
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (2, 1)
