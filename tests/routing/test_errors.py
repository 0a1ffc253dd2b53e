"""What the caller gets when routing cannot or must not go on, and how names reach a pool.

Driven through a YAML file and real HTTP to fake upstreams, like a user's request.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import (
    AllProvidersExhaustedError,
    BadRequestError,
    ContentFilterError,
    ContextLengthError,
    NoActiveModelError,
    ProviderServerError,
    RequestDeadlineError,
    UnknownModelError,
)
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import (
    Error,
    FakeUpstream,
    content_filtered,
    context_length_exceeded,
    error,
    stall,
)

from .conftest import run, started
from .meshes import calls, chat, mesh_yaml

# --- the request's own fault: straight back to the caller, nobody blamed -------------------


@pytest.mark.parametrize(
    ("behaviour", "raised"),
    [
        (error(400), BadRequestError),
        (context_length_exceeded(), ContextLengthError),
        (content_filtered(), ContentFilterError),
    ],
    ids=["bad-request", "context-length", "content-filter"],
)
def test_request_errors_reach_the_caller_at_once_and_never_count(
    behaviour: Error,
    raised: type[BadRequestError],
    upstreams: list[FakeUpstream],
    a_b: Callable[..., Path],
    clock: ManualClock,
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(behaviour)

    async def scenario() -> None:
        mesh = await started(a_b("deactivation: {retry_limit: 1}"), clock)
        with pytest.raises(raised):
            await mesh.get_router().complete(chat())
        status = mesh.pool_status("chat")["chat"]
        assert status["models"]["a.m"]["status"] == "active"
        assert status["current_model"] is None
        record = mesh.state.models["a.m"]
        assert (record.failure_count, record.total_failures) == (0, 0)
        # The next request still goes to a: no rotation happened.
        assert (await mesh.get_router().complete(chat())).model_id == "a.m"
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (2, 0)
    assert clock.sleeps == []


def test_request_error_after_a_failover_still_raises_at_once(
    upstreams: list[FakeUpstream],
    write_config: Callable[[str], Path],
    clock: ManualClock,
) -> None:
    a, b, c = upstreams
    a.script(error(500))
    b.script(context_length_exceeded())

    async def scenario() -> None:
        path = write_config(mesh_yaml([a.url, b.url, c.url], "retry: {max_attempts: 1}"))
        mesh = await started(path, clock)
        with pytest.raises(ContextLengthError):
            await mesh.get_router().complete(chat())
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b), calls(c)) == (1, 1, 0)


# --- the deadline ---------------------------------------------------------------------------


def test_the_deadline_ends_a_request_that_hangs(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(stall())

    async def scenario() -> None:
        mesh = await started(a_b("retry: {deadline: 150ms}"), clock)
        with pytest.raises(RequestDeadlineError) as caught:
            await mesh.get_router().complete(chat())
        assert caught.value.attempts == 1
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 0)


def test_a_retry_wait_beyond_the_deadline_is_not_taken(
    upstreams: list[FakeUpstream],
    write_config: Callable[[str], Path],
    clock: ManualClock,
) -> None:
    """Waiting out a Retry-After that would outlast the deadline serves nobody: the
    model is given up instead, and with none left the request fails without waiting."""
    a = upstreams[0]
    a.script(error(429, retry_after=4), error(429, retry_after=4))
    pool = "retry: {deadline: 6s, max_delay: 5s, max_attempts: 3}"

    async def scenario() -> None:
        mesh = await started(write_config(mesh_yaml([a.url], pool)), clock)
        with pytest.raises(AllProvidersExhaustedError) as caught:
            await mesh.get_router().complete(chat())
        assert caught.value.attempts == 2
        await mesh.shutdown()

    run(scenario())
    # The first wait fits the deadline; a second 4 s wait would not, so a is given up.
    assert clock.sleeps == [4.0]
    assert calls(a) == 2


# --- nothing left to try ----------------------------------------------------------------------


def test_all_providers_exhausted_when_every_model_fails(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(500))
    b.script(error(503))

    async def scenario() -> None:
        mesh = await started(a_b("retry: {max_attempts: 1}"), clock)
        with pytest.raises(AllProvidersExhaustedError) as caught:
            await mesh.get_router().complete(chat())
        assert caught.value.attempts == 2
        assert isinstance(caught.value.last_error, ProviderServerError)
        assert caught.value.last_error.status_code == 503
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)


def test_no_active_model_when_all_are_on_standby(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    a.script(error(500))
    b.script(error(500))
    pool = "retry: {max_attempts: 1}\ndeactivation: {retry_limit: 1}"

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        with pytest.raises(AllProvidersExhaustedError):
            await mesh.get_router().complete(chat())
        assert mesh.pool_status("chat")["chat"]["standby"] == 2
        with pytest.raises(NoActiveModelError):
            await mesh.get_router().complete(chat())
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (1, 1)


def test_unknown_model_name(a_b: Callable[..., Path], clock: ManualClock) -> None:
    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        with pytest.raises(UnknownModelError, match="no-such-thing"):
            await mesh.get_router().complete(chat("no-such-thing"))
        with pytest.raises(UnknownModelError):
            mesh.explain("text-to-image")
        await mesh.shutdown()

    run(scenario())


# --- names that reach the pool ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "chat",
        "chat-completion",
        "generation",
        "generation.text-generation.chat-completion",
    ],
)
def test_pool_id_alias_and_capability_node_reach_the_pool(
    name: str, upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        routed = await mesh.get_router().complete(chat(name))
        assert (routed.pool_id, routed.model_id) == ("chat", "a.m")
        assert mesh.explain(name).pool_id == "chat"
        await mesh.shutdown()

    run(scenario())
    assert calls(upstreams[0]) == 1
    assert upstreams[0].requests[0].body["model"] == "m"


def test_a_pool_id_wins_over_an_earlier_pool_of_the_same_capability(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    pools = """
        general:
          capability: chat-completion
          models: [a.m]
          providers: [a]
        special:
          capability: chat-completion
          providers: [b]
    """

    async def scenario() -> None:
        mesh = await started(a_b(pools=pools), clock)
        assert (await mesh.get_router().complete(chat("special"))).model_id == "b.m"
        # A capability name reaches the first pool in configuration order.
        assert (await mesh.get_router().complete(chat("chat-completion"))).pool_id == "general"
        await mesh.shutdown()

    run(scenario())


# --- explain -------------------------------------------------------------------------------------


def test_explain_gives_each_candidate_a_reason_and_calls_no_upstream(
    upstreams: list[FakeUpstream],
    write_config: Callable[[str], Path],
    clock: ManualClock,
) -> None:
    a, b, c = upstreams
    a.script(error(500))
    path = write_config(
        mesh_yaml(
            [a.url, b.url, c.url],
            "retry: {max_attempts: 1}\ndeactivation: {retry_limit: 1}",
            models={"c": "delivery: {streaming: false}"},
        )
    )

    async def scenario() -> None:
        mesh = await started(path, clock)
        await mesh.get_router().complete(chat())
        before = [len(server.requests) for server in upstreams]
        explanation = mesh.explain("chat-completion", stream=True)
        assert [len(server.requests) for server in upstreams] == before
        assert explanation.pool_id == "chat"
        assert explanation.strategy == "modelmesh.stick-until-failure.v1"
        assert explanation.selected_model == "b.m"
        decisions = {d.model_id: d for d in explanation.candidates}
        assert list(decisions) == ["a.m", "b.m", "c.m"]
        assert not decisions["a.m"].kept
        assert decisions["a.m"].status == "standby"
        assert decisions["a.m"].reason.startswith("standby (error_threshold) until ")
        assert (decisions["b.m"].kept, decisions["b.m"].reason) == (True, "eligible")
        assert not decisions["c.m"].kept
        assert decisions["c.m"].reason == "does not serve streaming requests"
        # Explaining changes nothing: the same answer twice, the state untouched.
        assert mesh.explain("chat-completion", stream=True) == explanation
        assert mesh.explain("chat").candidates[2].kept
        await mesh.shutdown()

    run(scenario())


def test_explain_names_a_deactivated_provider(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    upstreams[0].script(error(401))

    async def scenario() -> None:
        mesh = await started(a_b(), clock)
        await mesh.get_router().complete(chat())
        decision = mesh.explain("chat").candidates[0]
        assert (decision.model_id, decision.kept) == ("a.m", False)
        assert decision.reason == "provider deactivated (auth_failure)"
        await mesh.shutdown()

    run(scenario())


def test_explain_with_every_model_out_selects_none(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    upstreams[0].script(error(500))
    upstreams[1].script(error(500))

    async def scenario() -> None:
        mesh: ModelMesh = await started(
            a_b("retry: {max_attempts: 1}\ndeactivation: {retry_limit: 1}"), clock
        )
        with pytest.raises(AllProvidersExhaustedError):
            await mesh.get_router().complete(chat())
        explanation = mesh.explain("chat")
        assert explanation.selected_model is None
        assert explanation.reason == "no active candidate"
        assert not any(d.kept for d in explanation.candidates)
        await mesh.shutdown()

    run(scenario())
