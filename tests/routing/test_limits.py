"""Usage limits end to end: request, token and budget limits per model, provider budgets,
quota periods on the UTC calendar and maintenance windows, all set in YAML.

The fake upstreams report usage in every answer, and the mesh's ManualClock starts at
2026-01-01 00:00 UTC, so every limit is reached and every period ends exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import BudgetExceededError, NoActiveModelError
from modelmesh.interfaces.provider import CompletionRequest
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, ok

from .conftest import run, started
from .meshes import calls, chat, mesh_yaml, served, status_of

# a first whenever it is active, so a model coming back is seen taking traffic again.
A_FIRST = "strategy: priority-selection\nmodel_priority: [a.m, b.m]\n"


def usage(prompt: int, completion: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


# --- per-model limits ---------------------------------------------------------------------


def test_request_limit_puts_the_model_on_standby_until_the_next_day(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    pool = A_FIRST + "deactivation: {request_limit: 2, quota_window: daily}"

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        assert await served(mesh, 3) == ["a.m", "a.m", "b.m"]
        assert status_of(mesh, "a.m") == {
            "status": "standby",
            "provider": "a",
            "reason": "request_limit",
            "cooldown_until": "2026-01-02T00:00:00+00:00",
        }
        await mesh.shutdown()

    run(scenario())
    assert (calls(upstreams[0]), calls(upstreams[1])) == (2, 1)


def test_token_limit_counts_the_usage_the_upstream_reports(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    upstreams[0].script(ok(usage=usage(6, 4)), ok(usage=usage(6, 4)))
    pool = A_FIRST + "deactivation: {token_limit: 20}"

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        assert await served(mesh) == ["a.m"]
        assert status_of(mesh, "a.m")["status"] == "active"
        assert mesh.state.models["a.m"].total_tokens == 10
        assert await served(mesh, 2) == ["a.m", "b.m"]
        assert status_of(mesh, "a.m")["reason"] == "token_limit"
        await mesh.shutdown()

    run(scenario())
    assert calls(upstreams[0]) == 2


def test_budget_limit_of_a_model_prices_its_usage_from_yaml(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    upstreams[0].script(ok(usage=usage(200, 300)), ok(usage=usage(200, 300)))
    pricing = "pricing: {input_per_1k_tokens: 1.0, output_per_1k_tokens: 1.0}"
    pool = A_FIRST + "deactivation: {budget_limit: 1.0}"

    async def scenario() -> None:
        mesh = await started(a_b(pool, models={"a": pricing}), clock)
        assert await served(mesh) == ["a.m"]
        assert mesh.state.models["a.m"].total_cost == pytest.approx(0.5)
        assert await served(mesh, 2) == ["a.m", "b.m"]
        assert status_of(mesh, "a.m")["reason"] == "budget_exceeded"
        await mesh.shutdown()

    run(scenario())
    assert calls(upstreams[0]) == 2


def test_daily_quota_resets_at_utc_midnight(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    # The limit holds for every model of the pool, b included.
    pool = A_FIRST + "deactivation: {request_limit: 2, quota_window: daily}"

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        clock.set(datetime(2026, 1, 1, 22, 0, tzinfo=UTC))
        assert await served(mesh, 3) == ["a.m", "a.m", "b.m"]
        clock.set(datetime(2026, 1, 1, 23, 59, 59, tzinfo=UTC))
        assert await served(mesh) == ["b.m"]
        assert mesh.pool_status("chat")["chat"]["standby"] == 2
        clock.set(datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC))
        assert await served(mesh, 3) == ["a.m", "a.m", "b.m"]
        assert status_of(mesh, "a.m")["cooldown_until"] == "2026-01-03T00:00:00+00:00"
        assert mesh.state.models["a.m"].total_requests == 4
        await mesh.shutdown()

    run(scenario())
    assert (calls(upstreams[0]), calls(upstreams[1])) == (4, 3)


def test_monthly_quota_window_holds_until_the_first_of_the_next_month(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    pool = A_FIRST + "deactivation: {request_limit: 2, quota_window: monthly}"

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        assert await served(mesh, 3) == ["a.m", "a.m", "b.m"]
        clock.set(datetime(2026, 1, 31, 23, 0, tzinfo=UTC))
        assert await served(mesh) == ["b.m"]
        clock.set(datetime(2026, 2, 1, 0, 0, tzinfo=UTC))
        assert await served(mesh) == ["a.m"]
        await mesh.shutdown()

    run(scenario())


def test_without_quota_reset_the_model_waits_out_its_cooldown(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    pool = A_FIRST + (
        "deactivation: {request_limit: 2, quota_window: daily}\n"
        "recovery: {on_quota_reset: false, cooldown: 10m}"
    )

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        assert await served(mesh, 3) == ["a.m", "a.m", "b.m"]
        assert status_of(mesh, "a.m")["cooldown_until"] == "2026-01-01T00:10:00+00:00"
        await mesh.shutdown()

    run(scenario())


# --- provider budgets: refused before sending -----------------------------------------------


def test_provider_daily_budget_refuses_a_request_before_sending_it(
    upstreams: list[FakeUpstream], write_config: Callable[[str], Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    path = write_config(
        mesh_yaml(
            [a.url],
            providers={"a": "budget: {daily_limit: 0.01}"},
            models={"a": "pricing: {per_request: 0.05}"},
        )
    )

    async def scenario() -> None:
        mesh = await started(path, clock)
        with pytest.raises(BudgetExceededError) as caught:
            await mesh.get_router().complete(chat())
        error = caught.value
        assert (error.limit_type, error.limit_value) == ("daily", 0.01)
        assert error.actual_value == pytest.approx(0.05)
        assert "provider 'a'" in str(error)
        # Refusing is not a failure of the model.
        assert status_of(mesh, "a.m")["status"] == "active"
        await mesh.shutdown()

    run(scenario())
    assert a.requests == []


def test_provider_budget_spent_during_the_day_sends_traffic_elsewhere_until_midnight(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    a, b = upstreams[0], upstreams[1]
    options = {
        "providers": {"a": "budget: {daily_limit: 1.0}"},
        "models": {"a": "pricing: {per_request: 0.4}"},
    }

    async def scenario() -> None:
        mesh = await started(a_b(A_FIRST, **options), clock)
        assert await served(mesh, 3) == ["a.m", "a.m", "b.m"]
        decision = mesh.explain("chat").candidates[0]
        assert not decision.kept
        assert decision.reason == "daily budget of provider a spent"
        clock.set(datetime(2026, 1, 2, tzinfo=UTC))
        assert await served(mesh) == ["a.m"]
        await mesh.shutdown()

    run(scenario())
    assert (calls(a), calls(b)) == (3, 1)


def test_provider_budget_estimate_counts_max_tokens(
    upstreams: list[FakeUpstream], write_config: Callable[[str], Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    path = write_config(
        mesh_yaml(
            [a.url],
            providers={"a": "budget: {monthly_limit: 0.5}"},
            models={"a": "pricing: {input_per_1k_tokens: 0.0, output_per_1k_tokens: 1.0}"},
        )
    )

    async def scenario() -> None:
        mesh = await started(path, clock)
        router = mesh.get_router()
        small = CompletionRequest("chat", [{"role": "user", "content": "hi"}], max_tokens=100)
        assert (await router.complete(small)).model_id == "a.m"
        large = CompletionRequest("chat", [{"role": "user", "content": "hi"}], max_tokens=1000)
        with pytest.raises(BudgetExceededError) as caught:
            await router.complete(large)
        assert caught.value.limit_type == "monthly"
        await mesh.shutdown()

    run(scenario())
    assert calls(a) == 1


# --- maintenance windows ----------------------------------------------------------------------


def test_maintenance_window_keeps_the_model_out_during_its_window(
    upstreams: list[FakeUpstream], write_config: Callable[[str], Path], clock: ManualClock
) -> None:
    a = upstreams[0]
    pool = 'deactivation: {maintenance_window: "0 2 * * *", maintenance_duration: 1h}'
    path = write_config(mesh_yaml([a.url], pool))

    async def scenario() -> None:
        mesh = await started(path, clock)
        clock.set(datetime(2026, 1, 1, 1, 59, tzinfo=UTC))
        assert await served(mesh) == ["a.m"]
        clock.set(datetime(2026, 1, 1, 2, 30, tzinfo=UTC))
        with pytest.raises(NoActiveModelError):
            await served(mesh)
        assert status_of(mesh, "a.m") == {
            "status": "standby",
            "provider": "a",
            "reason": "maintenance_window",
            "cooldown_until": "2026-01-01T03:00:00+00:00",
        }
        clock.set(datetime(2026, 1, 1, 3, 0, 1, tzinfo=UTC))
        assert await served(mesh) == ["a.m"]
        clock.set(datetime(2026, 1, 2, 2, 0, 0, tzinfo=UTC))
        with pytest.raises(NoActiveModelError):
            await served(mesh)
        await mesh.shutdown()

    run(scenario())
    assert calls(a) == 2


def test_a_maintenance_window_of_one_pool_keeps_the_model_out_of_every_pool(
    upstreams: list[FakeUpstream], write_config: Callable[[str], Path], clock: ManualClock
) -> None:
    """Status is shared: a model a pool takes out for maintenance is out everywhere
    until the window ends."""
    a, b = upstreams[0], upstreams[1]
    text = mesh_yaml([a.url, b.url], A_FIRST).replace(
        "pools:\n",
        "pools:\n  night:\n    models: [a.m]\n"
        '    deactivation: {maintenance_window: "0 2 * * *", maintenance_duration: 1h}\n',
    )

    async def scenario() -> None:
        mesh = await started(write_config(text), clock)
        router = mesh.get_router()
        clock.set(datetime(2026, 1, 1, 2, 30, tzinfo=UTC))
        with pytest.raises(NoActiveModelError):
            await router.complete(CompletionRequest("night", [{"role": "user", "content": "x"}]))
        assert await served(mesh) == ["b.m"]
        clock.set(datetime(2026, 1, 1, 3, 0, 1, tzinfo=UTC))
        assert await served(mesh) == ["a.m"]
        await mesh.shutdown()

    run(scenario())


def test_explain_shows_the_maintenance_window_without_deactivating(
    upstreams: list[FakeUpstream], a_b: Callable[..., Path], clock: ManualClock
) -> None:
    pool = 'deactivation: {maintenance_window: "0 2 * * *", maintenance_duration: 1h}'

    async def scenario() -> None:
        mesh = await started(a_b(pool), clock)
        clock.set(datetime(2026, 1, 1, 2, 30, tzinfo=UTC))
        decision = mesh.explain("chat").candidates[0]
        assert (decision.kept, decision.reason) == (False, "deactivated now: maintenance_window")
        assert status_of(mesh, "a.m")["status"] == "active"
        await mesh.shutdown()

    run(scenario())
    assert upstreams[0].requests == []
