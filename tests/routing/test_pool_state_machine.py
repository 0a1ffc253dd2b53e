"""A state machine over one pool: requests, failures, time and manual commands.

The providers are in-process scripted connectors (``instance:`` in the config), so the
machine chooses what each model answers next: success, 429, 500 or a timeout. Whatever
the sequence, a model on standby (or whose provider is deactivated) is never called
for a request, the pool's counts add up, and the state's counters equal the calls the
providers saw.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from modelmesh.clock import ManualClock
from modelmesh.errors import (
    ProviderServerError,
    ProviderTimeoutError,
    RateLimitError,
    RoutingError,
)
from modelmesh.interfaces.provider import (
    ChunkChoice,
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    ErrorCategory,
    ErrorClassification,
    ProviderConnector,
    QuotaStatus,
    RateLimitStatus,
    TokenUsage,
)
from modelmesh.interfaces.rotation import DeactivationReason, ModelStatus
from modelmesh.mesh import ModelMesh

MODELS = {"m1": "p1", "m2": "p1", "m3": "p2"}
OUTCOMES = ["ok", "429", "500", "timeout"]
RETRY_LIMIT = 2
PROBE_CONTENT = "ping"


class ScriptedProvider(ProviderConnector):
    """Answers each model with the outcome the machine set for it, and records every call.

    ``check`` (set once the mesh runs) is asked, at each routed call, whether the model
    may be called at all; probes (a one-token "ping") are told apart and not recorded.
    """

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.calls: list[tuple[str, str]] = []
        self.violations: list[str] = []
        self.check: Any = None

    async def complete(self, request: CompletionRequest) -> CompletionResponse:
        outcome = self.outcomes.get(request.model, "ok")
        probe = request.max_tokens == 1 and request.messages[-1]["content"] == PROBE_CONTENT
        if not probe:
            if self.check is not None and (problem := self.check(request.model)):
                self.violations.append(problem)
            self.calls.append((request.model, outcome))
        if outcome == "429":
            raise RateLimitError("scripted 429", status_code=429)
        if outcome == "500":
            raise ProviderServerError("scripted 500", status_code=500)
        if outcome == "timeout":
            raise ProviderTimeoutError("scripted timeout")
        return CompletionResponse("id", request.model, [], TokenUsage(3, 2))

    async def stream(self, request: CompletionRequest):  # type: ignore[override]
        yield CompletionChunk("id", request.model, [ChunkChoice(delta={"content": "hi"})])

    def get_capabilities(self) -> list[str]:
        return ["generation.text-generation.chat-completion"]

    async def list_models(self) -> list[Any]:
        return []

    async def check_quota(self) -> QuotaStatus:
        return QuotaStatus()

    async def get_rate_limits(self) -> RateLimitStatus:
        return RateLimitStatus()

    async def get_pricing(self, model_id: str) -> Any:
        return None

    def report_usage(self, model_id: str, usage: TokenUsage) -> None:
        return None

    def classify_error(self, exc: BaseException) -> ErrorClassification:
        return ErrorClassification(True, ErrorCategory.SERVER)


class PoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = ManualClock()
        self.providers = {"p1": ScriptedProvider(), "p2": ScriptedProvider()}
        config = {
            "providers": {key: {"instance": p} for key, p in self.providers.items()},
            "models": {
                model: {"provider": provider, "capabilities": ["chat-completion"]}
                for model, provider in MODELS.items()
            },
            "pools": {
                "chat": {
                    "capability": "chat-completion",
                    "deactivation": {"retry_limit": RETRY_LIMIT, "error_rate_window": 4},
                    "recovery": {"cooldown": "60s", "probe_interval": "120s"},
                    "retry": {"max_attempts": 2, "initial_delay": "1s", "max_delay": "2s"},
                    "provider_deactivation": ["on_auth_failure", "on_api_outage"],
                }
            },
        }
        self.mesh = ModelMesh(config, clock=self.clock, rng=random.Random(0))
        self.loop.run_until_complete(self.mesh.initialize())
        self.state = self.mesh.state
        for provider in self.providers.values():
            provider.check = self._may_be_called
        self.served: Counter[str] = Counter()

    def teardown(self) -> None:
        self.loop.run_until_complete(self.mesh.shutdown())
        self.loop.close()

    def _may_be_called(self, model: str) -> str | None:
        record = self.state.model(model, MODELS[model])
        if record.status is not ModelStatus.ACTIVE:
            return f"{model} called while on standby ({record.deactivation_reason})"
        if not self.state.provider(MODELS[model]).available:
            return f"{model} called while its provider {MODELS[model]} is deactivated"
        return None

    def _eligible(self) -> set[str]:
        """Models a request may use now: active, or cooling down with the cooldown over,
        and their provider available."""
        now = self.clock.now()
        eligible = set()
        for model, provider in MODELS.items():
            if not self.state.provider(provider).available:
                continue
            record = self.state.model(model, provider)
            automatic = record.deactivation_reason not in (
                DeactivationReason.MANUAL,
                DeactivationReason.PROVIDER_DEACTIVATED,
            )
            cooled = record.cooldown_until is None or record.cooldown_until <= now
            if record.status is ModelStatus.ACTIVE or (automatic and cooled):
                eligible.add(model)
        return eligible

    @rule(model=st.sampled_from(sorted(MODELS)), outcome=st.sampled_from(OUTCOMES))
    def script(self, model: str, outcome: str) -> None:
        self.providers[MODELS[model]].outcomes[model] = outcome

    @rule()
    def request(self) -> None:
        eligible = self._eligible()
        down = {p for p in self.providers if not self.state.provider(p).available}

        async def ask() -> str | None:
            router = self.mesh.get_router()
            try:
                routed = await router.complete(
                    CompletionRequest("chat", [{"role": "user", "content": "hello"}])
                )
            except (RoutingError, RateLimitError, ProviderServerError, ProviderTimeoutError):
                return None
            finally:
                await router.drain()
            return routed.model_id

        served = self.loop.run_until_complete(ask())
        if served is not None:
            # A provider probe started by this request may bring a provider back while
            # the request waits out a retry delay; its models are then eligible too.
            probed_back = {p for p in down if self.state.provider(p).available}
            assert served in eligible or MODELS[served] in probed_back, (
                f"{served} served; eligible were {sorted(eligible)}"
            )
            assert self.providers[MODELS[served]].calls[-1] == (served, "ok")
            self.served[served] += 1

    @rule(seconds=st.sampled_from([1.0, 30.0, 61.0, 130.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(model=st.sampled_from(sorted(MODELS)))
    def deactivate(self, model: str) -> None:
        self.mesh.deactivate(model)
        assert self.state.models[model].status is ModelStatus.STANDBY

    @rule(model=st.sampled_from(sorted(MODELS)))
    def recover(self, model: str) -> None:
        was_standby = self.state.models[model].status is ModelStatus.STANDBY
        self.mesh.recover(model)
        record = self.state.models[model]
        assert record.status is ModelStatus.ACTIVE
        if was_standby:  # counters reset on recovery; an active model is left as it is
            assert record.failure_count == 0

    @precondition(lambda self: not all(self.state.provider(p).available for p in ("p1", "p2")))
    @rule(provider=st.sampled_from(["p1", "p2"]))
    def recover_provider(self, provider: str) -> None:
        self.mesh.recover_provider(provider)
        assert self.state.provider(provider).available

    @invariant()
    def no_unavailable_model_was_called(self) -> None:
        for provider in self.providers.values():
            assert provider.violations == []

    @invariant()
    def pool_counts_add_up(self) -> None:
        status = self.mesh.pool_status("chat")["chat"]
        assert status["active"] + status["standby"] == status["total"] == len(MODELS)
        for model, entry in status["models"].items():
            record = self.state.model(model, MODELS[model])
            available = self.state.provider(MODELS[model]).available
            active = record.status is ModelStatus.ACTIVE and available
            assert entry["status"] == ("active" if active else "standby")

    @invariant()
    def counters_equal_the_calls(self) -> None:
        for model, provider in MODELS.items():
            calls = [outcome for name, outcome in self.providers[provider].calls if name == model]
            record = self.state.model(model, provider)
            assert record.total_requests == len(calls)
            assert record.total_failures == sum(1 for outcome in calls if outcome != "ok")
            assert calls.count("ok") == self.served[model]

    @invariant()
    def a_failing_streak_means_standby(self) -> None:
        for model, provider in MODELS.items():
            record = self.state.model(model, provider)
            if record.failure_count >= RETRY_LIMIT:
                assert record.status is ModelStatus.STANDBY


PoolMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=30, deadline=None)
TestPoolMachine = PoolMachine.TestCase
