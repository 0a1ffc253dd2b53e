"""Failover end to end: a YAML file, real HTTP to fake upstreams, the router's answer.

Each test scripts how the upstreams misbehave and asserts what the caller got, which
upstream was called how often, the pool's status and the backoff waits on the clock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelmesh.clock import ManualClock
from modelmesh_cdk.testing.fake_upstream import CHAT_PATH, FakeUpstream, error, ok, reset, stall

from .conftest import run, started
from .meshes import calls, chat, mesh_yaml, status_of

# --- retryable failures: retried on the same model, then rotated -------------------------


def test_persistent_429_puts_the_model_on_standby_within_one_request(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(429), error(429), error(429))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        routed = await mesh.get_router().complete(chat())
        assert (routed.model_id, routed.attempts) == ("b.m", 4)
        assert routed.value.content == "Hello from the fake upstream"
        assert status_of(mesh, "a.m")["status"] == "standby"
        assert status_of(mesh, "a.m")["reason"] == "error_threshold"
        assert mesh.pool_status("chat")["chat"]["current_model"] == "b.m"
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (3, 1)
    # Exponential backoff with jitter from 0.5 s between the three calls to a, none after.
    first, second = clock.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_rotates_to_the_next_model(
    status: int, upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(status))

    async def scenario() -> None:
        mesh = await started(a_b("retry: {max_attempts: 1}"), clock)
        routed = await mesh.get_router().complete(chat())
        assert routed.model_id == "b.m"
        # One counted failure is below retry_limit 3: a stays in the pool.
        assert status_of(mesh, "a.m")["status"] == "active"
        assert mesh.state.models["a.m"].failure_count == 1
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)
    assert clock.sleeps == []


def test_server_error_is_retried_on_the_same_model_when_it_recovers(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(503), error(500))

    async def scenario() -> None:
        mesh = await started(a_b("retry: {backoff: fixed, initial_delay: 250ms}"), clock)
        routed = await mesh.get_router().complete(chat())
        assert (routed.model_id, routed.attempts) == ("a.m", 3)
        # A success clears the consecutive failures.
        assert mesh.state.models["a.m"].failure_count == 0
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (3, 0)
    assert clock.sleeps == [0.25, 0.25]


def test_provider_timeout_fails_over(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(stall())

    async def scenario() -> None:
        mesh = await started(
            a_b("retry: {max_attempts: 1}", providers={"a": "timeout: 200ms"}), clock
        )
        routed = await mesh.get_router().complete(chat())
        assert routed.model_id == "b.m"
        # R14: a timeout counts toward deactivation.
        assert mesh.state.models["a.m"].failure_count == 1
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)


def test_timeout_is_retried_on_the_same_model(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(stall(), ok("second try"))

    async def scenario() -> None:
        mesh = await started(a_b(providers={"a": "timeout: 200ms"}), clock)
        routed = await mesh.get_router().complete(chat())
        assert (routed.model_id, routed.value.content) == ("a.m", "second try")
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (2, 0)
    assert len(clock.sleeps) == 1


def test_connection_refused_is_retried_then_counts_the_model_out(
    upstreams: list[FakeUpstream],
    write_config: Callable[[str], Path],
    dead_url: str,
    clock: ManualClock,
) -> None:
    b = upstreams[1]

    async def scenario() -> None:
        mesh = await started(write_config(mesh_yaml([dead_url, b.url])), clock)
        routed = await mesh.get_router().complete(chat())
        assert (routed.model_id, routed.attempts) == ("b.m", 4)
        assert status_of(mesh, "a.m")["status"] == "standby"
        assert status_of(mesh, "a.m")["reason"] == "error_threshold"
        await mesh.shutdown()

    run(scenario())
    assert calls(b) == 1
    assert len(clock.sleeps) == 2


def test_connection_reset_fails_over(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(reset())

    async def scenario() -> None:
        mesh = await started(a_b("retry: {max_attempts: 1}"), clock)
        assert (await mesh.get_router().complete(chat())).model_id == "b.m"
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)


# --- Retry-After --------------------------------------------------------------------------


def test_retry_after_is_honoured_before_the_retry(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(429, retry_after=2))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        routed = await mesh.get_router().complete(chat())
        assert (routed.model_id, routed.attempts) == ("a.m", 2)
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (2, 0)
    assert clock.sleeps == [2.0]


def test_retry_after_longer_than_max_delay_rotates_instead_of_waiting(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(429, retry_after=30))

    async def scenario() -> None:
        mesh = await started(a_b("retry: {max_delay: 5s}"), clock)
        routed = await mesh.get_router().complete(chat())
        assert (routed.model_id, routed.attempts) == ("b.m", 2)
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)
    assert clock.sleeps == []


# --- retry_limit: standby within one request and across requests --------------------------


def test_retry_limit_is_reached_across_requests(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(500), error(500), error(500))
    pool = """
        strategy: priority-selection
        model_priority: [a.m, b.m]
        retry: {max_attempts: 1}
        deactivation: {retry_limit: 3}
    """

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        router = mesh.get_router()
        for expected_failures in (1, 2):
            assert (await router.complete(chat())).model_id == "b.m"
            assert status_of(mesh, "a.m")["status"] == "active"
            assert mesh.state.models["a.m"].failure_count == expected_failures
        assert (await router.complete(chat())).model_id == "b.m"
        assert status_of(mesh, "a.m")["status"] == "standby"
        # On standby, a is not even tried.
        assert (await router.complete(chat())).attempts == 1
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (3, 4)


def test_a_success_between_failures_resets_the_consecutive_count(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    a.script(error(500), error(500), ok(), error(500), error(500))
    pool = """
        strategy: priority-selection
        model_priority: [a.m, b.m]
        retry: {max_attempts: 1}
    """

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        served = [(await mesh.get_router().complete(chat())).model_id for _ in range(5)]
        assert served == ["b.m", "b.m", "a.m", "b.m", "b.m"]
        assert status_of(mesh, "a.m")["status"] == "active"
        await mesh.shutdown()

    run(scenario())


# --- cooldown and recovery ------------------------------------------------------------------


def test_cooldown_then_recovery_with_counters_reset(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(429), error(429), error(429))
    pool = """
        strategy: priority-selection
        model_priority: [a.m, b.m]
        recovery: {cooldown: 90s}
    """

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        router = mesh.get_router()
        assert (await router.complete(chat())).model_id == "b.m"
        cooldown_until = status_of(mesh, "a.m")["cooldown_until"]
        assert cooldown_until is not None
        clock.advance(60)
        assert (await router.complete(chat())).model_id == "b.m"
        assert status_of(mesh, "a.m")["status"] == "standby"
        clock.advance(31)
        assert (await router.complete(chat())).model_id == "a.m"
        assert status_of(mesh, "a.m") == {
            "status": "active",
            "provider": "a",
            "reason": None,
            "cooldown_until": None,
        }
        record = mesh.state.models["a.m"]
        assert (record.failure_count, record.error_rate) == (0, 0.0)
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (4, 2)


def test_cooldown_lasts_at_least_the_retry_after_of_the_last_failure(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    upstreams[0].script(error(429, retry_after=120))
    pool = """
        strategy: priority-selection
        model_priority: [a.m, b.m]
        deactivation: {retry_limit: 1}
        recovery: {cooldown: 60s}
        retry: {max_delay: 5s}
    """

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        router = mesh.get_router()
        assert (await router.complete(chat())).model_id == "b.m"
        clock.advance(61)
        assert (await router.complete(chat())).model_id == "b.m"
        clock.advance(60)
        assert (await router.complete(chat())).model_id == "a.m"
        await mesh.shutdown()

    run(scenario())


# --- authentication: the whole provider goes, in every pool ----------------------------------

TWO_POOLS = """
    chat:
      capability: chat-completion
    backup:
      capability: chat-completion
      strategy: priority-selection
      model_priority: [a.m, b.m]
"""


def test_401_deactivates_the_provider_in_every_pool_at_once(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(401))

    async def scenario() -> None:
        mesh = await started(a_b(pools=TWO_POOLS), clock)
        routed = await mesh.get_router().complete(chat())
        assert (routed.model_id, routed.attempts) == ("b.m", 2)
        for pool in ("chat", "backup"):
            assert status_of(mesh, "a.m", pool)["status"] == "standby"
            assert status_of(mesh, "a.m", pool)["reason"] == "provider auth_failure"
            assert mesh.pool_status(pool)[pool]["active"] == 1
        assert mesh.active_providers() == ["b"]
        # backup prefers a, but its provider is out: straight to b.
        assert (await mesh.get_router().complete(chat("backup"))).attempts == 1
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 2)
    assert clock.sleeps == []


def test_deactivated_provider_recovers_by_probe_after_the_cooldown(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    a.script(error(401))

    async def scenario() -> None:
        mesh = await started(a_b(pools=TWO_POOLS), clock)
        router = mesh.get_router()
        await router.complete(chat())
        clock.advance(30)
        await router.complete(chat("backup"))
        await router.drain()
        assert not any(r.path != CHAT_PATH for r in a.requests)  # too early to probe
        clock.advance(31)
        assert (await router.complete(chat("backup"))).model_id == "b.m"
        await router.drain()
        assert [r.path for r in a.requests if r.path != CHAT_PATH] == ["/v1/models"]
        for pool in ("chat", "backup"):
            assert status_of(mesh, "a.m", pool)["status"] == "active"
        assert mesh.active_providers() == ["a", "b"]
        assert (await router.complete(chat("backup"))).model_id == "a.m"
        await mesh.shutdown()

    run(scenario())
    assert calls(a) == 2


def test_failed_probe_keeps_the_provider_out(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    a.script(error(401))
    a.script(error(401), path="/v1/models")

    async def scenario() -> None:
        mesh = await started(a_b(pools=TWO_POOLS), clock)
        router = mesh.get_router()
        await router.complete(chat())
        clock.advance(61)
        await router.complete(chat())
        await router.drain()
        assert status_of(mesh, "a.m")["status"] == "standby"
        assert mesh.active_providers() == ["b"]
        await mesh.shutdown()

    run(scenario())
    assert [r.path for r in a.requests] == [CHAT_PATH, "/v1/models"]


def test_403_rotates_without_retrying(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(403))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        assert (await mesh.get_router().complete(chat())).model_id == "b.m"
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)
    assert clock.sleeps == []


def test_an_api_outage_deactivates_the_provider_when_configured(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(503), error(503), error(503))
    pools = """
        chat:
          capability: chat-completion
          provider_deactivation: [on_auth_failure, on_api_outage]
        backup:
          capability: chat-completion
          strategy: priority-selection
          model_priority: [a.m, b.m]
    """

    async def scenario() -> None:
        mesh = await started(a_b(pools=pools), clock)
        assert (await mesh.get_router().complete(chat())).model_id == "b.m"
        assert mesh.active_providers() == ["b"]
        assert status_of(mesh, "a.m", "backup")["reason"] == "error_threshold"
        assert (await mesh.get_router().complete(chat("backup"))).model_id == "b.m"
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (3, 2)


def test_provider_recovery_on_manual_never_probes(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    a.script(error(401))
    pool = """
        strategy: priority-selection
        model_priority: [a.m, b.m]
        provider_recovery: on_manual
    """

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        router = mesh.get_router()
        assert (await router.complete(chat())).model_id == "b.m"
        clock.advance(3600)
        assert (await router.complete(chat())).model_id == "b.m"
        await router.drain()
        assert mesh.active_providers() == ["b"]
        mesh.recover_provider("a")
        assert (await router.complete(chat())).model_id == "a.m"
        await mesh.shutdown()

    run(scenario())
    assert [r.path for r in a.requests] == [CHAT_PATH, CHAT_PATH]


def test_error_rate_over_the_window_puts_the_model_on_standby(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    a.script(error(500), ok(), error(500), ok())
    pool = """
        strategy: priority-selection
        model_priority: [a.m, b.m]
        retry: {max_attempts: 1}
        deactivation: {retry_limit: 10, error_rate_threshold: 0.5, error_rate_window: 4}
    """

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        router = mesh.get_router()
        served = [(await router.complete(chat())).model_id for _ in range(4)]
        assert served == ["b.m", "a.m", "b.m", "a.m"]
        # Never two failures in a row, but half of the last four calls failed.
        assert status_of(mesh, "a.m")["reason"] == "error_threshold"
        assert (await router.complete(chat())).model_id == "b.m"
        await mesh.shutdown()

    run(scenario())
    assert calls(a) == 4


def test_a_retryable_code_outside_error_codes_is_retried_but_never_counted(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(502), error(502), error(502))

    async def scenario() -> None:
        mesh = await started(a_b("deactivation: {retry_limit: 1}"), clock)
        assert (await mesh.get_router().complete(chat())).model_id == "b.m"
        assert status_of(mesh, "a.m")["status"] == "active"
        assert mesh.state.models["a.m"].failure_count == 0
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (3, 1)
    assert len(clock.sleeps) == 2


def test_an_unknown_upstream_model_rotates_without_retrying_and_counts(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(404, code="model_not_found"))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        assert (await mesh.get_router().complete(chat())).model_id == "b.m"
        assert mesh.state.models["a.m"].failure_count == 1
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)
    assert clock.sleeps == []


def test_retry_scope_any_moves_to_the_next_model_instead_of_retrying(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(429))

    async def scenario() -> None:
        mesh = await started(a_b("retry: {scope: any}"), clock)
        assert (await mesh.get_router().complete(chat())).model_id == "b.m"
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)


def test_a_provider_taken_out_by_command_serves_nothing_until_recovered(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    pool = """
        strategy: priority-selection
        model_priority: [a.m, b.m]
    """

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        router = mesh.get_router()
        router.deactivate_provider("a", "health_check")
        assert (mesh.active_providers(), (await router.complete(chat())).model_id) == (["b"], "b.m")
        with pytest.raises(KeyError, match="no provider 'c'; known: a, b"):
            router.deactivate_provider("c")
        router.recover_provider("a", trigger="health_check")
        assert (await router.complete(chat())).model_id == "a.m"
        await mesh.shutdown()

    run(scenario())
    assert [r.path for r in upstreams[0].requests] == [CHAT_PATH]
