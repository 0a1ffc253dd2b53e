"""The router: from a requested model name to an answer, across retries and rotations.

For each request: resolve the name to a pool, screen the pool's models (delivery mode,
provider state, model state, budget), let the pool's strategy pick one, call it, and
on failure retry it, rotate to the next candidate or give up, under one deadline for
the whole request. Every outcome goes to the shared state, which every pool reads,
and to the observability sinks.
"""

from __future__ import annotations

import asyncio
import copy
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs

from modelmesh.calendar import Period
from modelmesh.clock import Clock
from modelmesh.config.schema import (
    ProviderConfig,
    ProviderDeactivationTrigger,
    ProviderRecovery,
    RetryScope,
)
from modelmesh.deadline import deadline
from modelmesh.errors import (
    AllProvidersExhaustedError,
    AuthenticationError,
    BudgetExceededError,
    NoActiveModelError,
    ProviderError,
    RequestDeadlineError,
    RoutingError,
    StreamInterruptedError,
    UnknownModelError,
)
from modelmesh.interfaces.observability import (
    AttemptRecord,
    EventType,
    RequestLogEntry,
    Severity,
)
from modelmesh.interfaces.provider import (
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    DeliveryMode,
    EmbeddingRequest,
    EmbeddingResponse,
    ProviderConnector,
    RateLimitStatus,
    TokenUsage,
)
from modelmesh.interfaces.rotation import (
    DeactivationReason,
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    SelectionRequest,
)
from modelmesh.log import get_logger
from modelmesh.observability import Observer
from modelmesh.routing.budget import (
    BudgetBreach,
    check_budget,
    estimate_cost,
    estimate_prompt_tokens,
)
from modelmesh.routing.capabilities import CapabilityTree
from modelmesh.routing.pools import MeshModel, Pool
from modelmesh.routing.retry import Verdict
from modelmesh.state import StateManager

T = TypeVar("T")

_log = get_logger("modelmesh.router")

_PROBE_MESSAGE = ({"role": "user", "content": "ping"},)
# Failures that say the provider's service, not one model, is down.
_OUTAGE_CATEGORIES = frozenset({"server", "timeout", "connection"})
_COUNTED_CATEGORIES = frozenset({"timeout", "connection", "not_found"})
# Seconds a connector may take beyond its own call timeout (parsing, error handling).
_BOUND_MARGIN = 1.0


@attrs.define(eq=False)
class ProviderRuntime:
    """A provider connector with what routing learns about it while running."""

    provider_id: str
    connector: ProviderConnector
    config: ProviderConfig
    rate_limits: RateLimitStatus | None = None
    # Screening asks for every candidate of every request; most providers have none.
    has_budget: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        budget = self.config.budget
        self.has_budget = budget.daily_limit is not None or budget.monthly_limit is not None


@attrs.frozen
class Routed(Generic[T]):
    """A response and who produced it: the proxy's headers and the request log."""

    value: T
    pool_id: str
    model_id: str
    provider_id: str
    attempts: int


@attrs.frozen
class CandidateDecision:
    """One model of a pool as the pipeline judged it for a request."""

    model_id: str
    provider_id: str
    status: str
    kept: bool
    reason: str


@attrs.frozen
class Explanation:
    """What the router would do with a request, computed without calling anyone."""

    model: str
    pool_id: str
    capability: str
    strategy: str
    candidates: tuple[CandidateDecision, ...]
    selected_model: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class _Screened:
    """The result of screening a pool for one request."""

    kept: list[tuple[MeshModel, ModelSnapshot]] = attrs.Factory(list)
    decisions: list[CandidateDecision] = attrs.Factory(list)
    breach: BudgetBreach | None = None


@attrs.define
class _Attempts:
    """Bookkeeping of one request across its attempts."""

    pool: Pool
    mode: DeliveryMode
    deadline: float
    deadline_seconds: float
    estimated_tokens: int
    max_output_tokens: int | None
    session_id: str | None
    metadata: Mapping[str, Any]
    prompt: Any = None
    count: int = 0
    failed: set[str] = attrs.Factory(set)
    last_error: BaseException | None = None
    last_provider: str | None = None
    pending_delay: float = 0.0
    latency_ms: float = 0.0
    attempt_records: list[AttemptRecord] = attrs.Factory(list)


class Router:
    """Routes requests through pools; built and owned by ModelMesh."""

    def __init__(
        self,
        *,
        pools: Mapping[str, Pool],
        providers: Mapping[str, ProviderRuntime],
        state: StateManager,
        observer: Observer,
        tree: CapabilityTree,
        clock: Clock,
    ) -> None:
        self.pools = dict(pools)
        self.providers = dict(providers)
        self.state = state
        self.observer = observer
        self.tree = tree
        self.clock = clock
        self._resolved: dict[str, Pool] = {}
        # Each model with the first pool holding it, whose policy manual commands use.
        self._homes: dict[str, tuple[Pool, MeshModel]] = {}
        for pool in self.pools.values():
            for model in pool.members:
                self._homes.setdefault(model.model_id, (pool, model))
        self._tasks: set[asyncio.Task[None]] = set()
        self._probing: set[str] = set()
        self._model_probe_at: dict[str, datetime] = {}

    # --- resolution ------------------------------------------------------------------

    def resolve(self, name: str) -> Pool:
        """The pool serving ``name``: a pool ID, else the first pool in configuration
        order whose capability node meets the name's (C4)."""
        pool = self._resolved.get(name)
        if pool is not None:
            return pool
        pool = self.pools.get(name)
        if pool is None:
            leaves = set(self.tree.resolve(self.tree.canonical(name)))
            pool = next((p for p in self.pools.values() if leaves and p.serves(leaves)), None)
        if pool is None:
            raise UnknownModelError(name, list(self.pools))
        self._resolved[name] = pool
        return pool

    def explain(
        self, name: str, *, stream: bool = False, session_id: str | None = None
    ) -> Explanation:
        """The pool, strategy, candidates (kept or dropped, and why) and the model the
        strategy would pick now, without calling a provider or changing any state."""
        pool = self.resolve(name)
        mode = DeliveryMode.STREAM if stream else DeliveryMode.SYNC
        now = self.clock.now()
        screened = self._screen(pool, mode, now, set(), 1, None, apply=False)
        selected, reason = None, "no active candidate"
        if screened.kept:
            selection = copy.deepcopy(pool.policy.selection)
            try:
                result = selection.select(
                    [snapshot for _, snapshot in screened.kept],
                    SelectionRequest(
                        capability=pool.node, delivery_mode=mode, session_id=session_id, now=now
                    ),
                )
                selected, reason = result.model_id, result.reason
            except NoCandidatesError as error:
                reason = str(error)
        return Explanation(
            model=name,
            pool_id=pool.pool_id,
            capability=pool.node,
            strategy=pool.config.strategy,
            candidates=tuple(screened.decisions),
            selected_model=selected,
            reason=reason,
        )

    @property
    def models(self) -> list[MeshModel]:
        """Every model of some pool, in the order pools and their members first name it."""
        return [model for _, model in self._homes.values()]

    def add_model(self, model: MeshModel, pool_ids: Sequence[str]) -> None:
        """Make a model found at run time (registry sync) a member of the named pools,
        after those it has; its state record starts active and empty."""
        for pool_id in pool_ids:
            pool = self.pools[pool_id]
            if all(member.model_id != model.model_id for member in pool.members):
                pool.members = (*pool.members, model)
                self._homes.setdefault(model.model_id, (pool, model))
        if pool_ids:
            self.state.model(model.model_id, model.provider_id)

    def _home(self, model_id: str) -> tuple[Pool, MeshModel]:
        try:
            return self._homes[model_id]
        except KeyError:
            known = ", ".join(self._homes) or "none"
            raise KeyError(f"no model {model_id!r} in any pool; known: {known}") from None

    # --- manual commands -------------------------------------------------------------

    def deactivate_model(self, model_id: str, *, pool_id: str | None = None) -> None:
        """Put a model on manual standby, in every pool, until ``recover_model``."""
        pool, model = self._home(model_id)
        if pool_id is not None:
            pool = self.pools[pool_id]
        now = self.clock.now()
        snapshot = self._snapshot(pool, model, now, 0)
        self._deactivate(pool, model, snapshot, DeactivationReason.MANUAL, now)
        self.persist_soon()

    def recover_model(self, model_id: str) -> None:
        """Bring a model back now, whatever put it on standby."""
        pool, model = self._home(model_id)
        self._activate(pool, model, "manual")
        self.persist_soon()

    def recover_provider(self, provider_id: str, *, trigger: str = "manual") -> None:
        """Bring a deactivated provider back now; ``trigger`` says why in its event."""
        self._activate_provider(provider_id, trigger)
        self.persist_soon()

    def deactivate_provider(self, provider_id: str, reason: str = "manual") -> None:
        """Take a provider out of every pool until ``recover_provider`` (a health
        monitor's verdict, an operator's command)."""
        if provider_id not in self.providers:
            known = ", ".join(self.providers) or "none"
            raise KeyError(f"no provider {provider_id!r}; known: {known}")
        self._deactivate_provider(provider_id, reason, None)
        self.persist_soon()

    # --- the three calls -------------------------------------------------------------

    async def complete(
        self,
        request: CompletionRequest,
        *,
        timeout: float | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Routed[CompletionResponse]:
        """A chat completion from the first model of the pool that answers it."""
        run = self._start(request.model, request, DeliveryMode.SYNC, timeout, session_id, metadata)

        async def call(model: MeshModel) -> CompletionResponse:
            routed = request.with_model(model.upstream_name)
            return await self.providers[model.provider_id].connector.complete(routed)

        return await self._run(run, call, _completion_outcome)

    async def embed(
        self,
        request: EmbeddingRequest,
        *,
        timeout: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Routed[EmbeddingResponse]:
        """Embeddings from the first model of the pool that answers."""
        run = self._start(request.model, request, DeliveryMode.SYNC, timeout, None, metadata)

        async def call(model: MeshModel) -> EmbeddingResponse:
            routed = request.with_model(model.upstream_name)
            return await self.providers[model.provider_id].connector.embed(routed)

        return await self._run(run, call, lambda response: (response.usage, None))

    async def stream(
        self,
        request: CompletionRequest,
        *,
        timeout: float | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> RoutedStream:
        """A stream whose first chunk has arrived: failover happens in here, before the
        caller sees anything; after it, a failure ends the stream with an error."""
        run = self._start(
            request.model, request, DeliveryMode.STREAM, timeout, session_id, metadata
        )

        async def call(model: MeshModel) -> tuple[CompletionChunk, AsyncIterator[CompletionChunk]]:
            routed = attrs.evolve(request, model=model.upstream_name, stream=True)
            chunks = aiter(self.providers[model.provider_id].connector.stream(routed))
            try:
                first = await anext(chunks)
            except StopAsyncIteration:
                raise StreamInterruptedError(
                    "stream ended before its first chunk",
                    provider_id=model.provider_id,
                    model_id=model.model_id,
                ) from None
            except BaseException:
                await _close(chunks)
                raise
            return first, chunks

        started = self.clock.monotonic()
        routed = await self._run(run, call, None)
        first, chunks = routed.value
        return RoutedStream(self, run, routed, first, chunks, started)

    # --- the attempt loop --------------------------------------------------------------

    def _start(
        self,
        name: str,
        request: CompletionRequest | EmbeddingRequest,
        mode: DeliveryMode,
        timeout: float | None,
        session_id: str | None,
        metadata: Mapping[str, Any] | None,
    ) -> _Attempts:
        pool = self.resolve(name)
        seconds = timeout if timeout is not None else pool.retry.config.deadline
        if isinstance(request, CompletionRequest):
            prompt: Any = request.messages
            max_output = request.max_tokens
            session_id = session_id or request.user
        else:
            prompt = request.input
            max_output = None
        return _Attempts(
            pool=pool,
            mode=mode,
            deadline=self.clock.monotonic() + seconds,
            deadline_seconds=seconds,
            estimated_tokens=estimate_prompt_tokens(prompt),
            max_output_tokens=max_output,
            session_id=session_id,
            metadata=metadata or {},
            prompt=prompt,
        )

    async def _run(
        self,
        run: _Attempts,
        call: Callable[[MeshModel], Awaitable[T]],
        outcome_of: Callable[[T], tuple[TokenUsage, str | None]] | None,
    ) -> Routed[T]:
        """Select, call, retry, rotate until a model answers or none is left.

        ``outcome_of`` reads a result's usage and text for the records; without it (a
        stream) the success is recorded when the stream ends.
        """
        pool = run.pool
        started = self.clock.monotonic()
        try:
            while True:
                model, before = self._select(run)
                for attempt in range(1, pool.retry.config.max_attempts + 1):
                    result = await self._attempt(run, model, call)
                    if not isinstance(result, ProviderError):
                        routed = Routed(
                            result, pool.pool_id, model.model_id, model.provider_id, run.count
                        )
                        if outcome_of is not None:
                            usage, text = outcome_of(result)
                            self._succeeded(run, model, before, usage, started, text)
                            await self.state.sync()
                        return routed
                    if pool.retry.classify(result) is Verdict.RAISE:
                        raise result
                    delay = self._retry_delay(run, model, result, attempt)
                    if delay is None or pool.retry.config.scope is not RetryScope.SAME_MODEL:
                        break
                    await self.clock.sleep(delay)
                run.failed.add(model.model_id)
        except (ProviderError, RoutingError, BudgetExceededError) as error:
            self._request_failed(run, error, started)
            await self.state.sync()
            raise

    def _select(self, run: _Attempts) -> tuple[MeshModel, ModelSnapshot]:
        """The strategy's choice among the models this request may still use, and the
        snapshot it was chosen on."""
        pool = run.pool
        now = self.clock.now()
        screened = self._screen(
            pool, run.mode, now, run.failed, run.estimated_tokens, run.max_output_tokens
        )
        if not screened.kept:
            if run.count:
                raise AllProvidersExhaustedError(pool.pool_id, run.count, run.last_error)
            if screened.breach is not None:
                raise screened.breach.error()
            raise NoActiveModelError(pool.pool_id)
        if pool.retry.config.scope is RetryScope.SAME_PROVIDER and run.last_provider:
            same = [c for c in screened.kept if c[0].provider_id == run.last_provider]
            screened.kept = same or screened.kept
        by_id = {model.model_id: (model, snapshot) for model, snapshot in screened.kept}
        try:
            selection = pool.policy.selection.select(
                [snapshot for _, snapshot in screened.kept],
                SelectionRequest(
                    capability=pool.node,
                    delivery_mode=run.mode,
                    session_id=run.session_id,
                    estimated_tokens=run.estimated_tokens,
                    metadata=run.metadata,
                    now=now,
                ),
            )
        except NoCandidatesError:
            if run.count:
                raise AllProvidersExhaustedError(pool.pool_id, run.count, run.last_error) from None
            raise NoActiveModelError(pool.pool_id) from None
        run.pending_delay = selection.delay_seconds
        return by_id[selection.model_id]

    async def _attempt(
        self, run: _Attempts, model: MeshModel, call: Callable[[MeshModel], Awaitable[T]]
    ) -> T | ProviderError:
        """One call under what is left of the deadline; a failure is recorded and
        returned, so the loop decides what follows."""
        delay, run.pending_delay = run.pending_delay, 0.0
        if delay:
            self._check_deadline(run, delay)
            await self.clock.sleep(delay)
        remaining = self._check_deadline(run, 0.0)
        run.count += 1
        runtime = self.providers[model.provider_id]
        if self.observer.wants_trace(Severity.DEBUG):
            self.observer.trace(
                Severity.DEBUG,
                "router",
                f"attempt {run.count}: {model.model_id}",
                pool=run.pool.pool_id,
                provider=model.provider_id,
            )
        # Each call's record, for sinks that take request logs (tracing spans).
        started_at = self.clock.now() if self.observer.wants_logs else None
        started = self.clock.monotonic()
        # A stream's first chunk is not bounded by the connector's call timeout.
        bound = runtime.connector.call_timeout if run.mode is DeliveryMode.SYNC else None
        try:
            if bound is not None and bound + _BOUND_MARGIN < remaining:
                result = await call(model)  # the connector's timeout ends it in time
            else:
                with deadline(remaining):
                    result = await call(model)
        except ProviderError as error:
            await self._learn_rate_limits(runtime)
            run.last_error = error
            run.last_provider = model.provider_id
            latency_ms = (self.clock.monotonic() - started) * 1000
            if started_at is not None:
                _note(run, model, started_at, latency_ms, error.status_code, error, error.category)
            self._failed(run, model, error, latency_ms)
            return error
        except TimeoutError:
            error = RequestDeadlineError(
                run.pool.pool_id, run.deadline_seconds, run.count, run.last_error
            )
            if started_at is not None:
                latency_ms = (self.clock.monotonic() - started) * 1000
                _note(run, model, started_at, latency_ms, None, error, "timeout")
            raise error from None
        await self._learn_rate_limits(runtime)
        run.latency_ms = (self.clock.monotonic() - started) * 1000
        if started_at is not None:
            _note(run, model, started_at, run.latency_ms, 200, None, None)
        return result

    def _check_deadline(self, run: _Attempts, wait: float) -> float:
        """Seconds left after waiting ``wait``; raises when nothing would be left."""
        remaining = run.deadline - self.clock.monotonic() - wait
        if remaining <= 0:
            raise RequestDeadlineError(
                run.pool.pool_id, run.deadline_seconds, run.count, run.last_error
            )
        return remaining

    def _retry_delay(
        self, run: _Attempts, model: MeshModel, error: ProviderError, attempt: int
    ) -> float | None:
        """The wait before another call to the same model, or None when there is to be
        none: not retryable, attempts used up, the model or its provider deactivated,
        or a wait longer than max_delay or than what is left of the deadline."""
        policy = run.pool.retry
        if not policy.should_retry(error, attempt) or policy.waits_too_long(error.retry_after):
            return None
        if self.state.model(model.model_id, model.provider_id).status is ModelStatus.STANDBY:
            return None
        if not self.state.provider(model.provider_id).available:
            return None
        delay = policy.get_delay(attempt, error.retry_after)
        return delay if run.deadline - self.clock.monotonic() - delay > 0 else None

    # --- outcomes ----------------------------------------------------------------------

    def _failed(
        self, run: _Attempts, model: MeshModel, error: ProviderError, latency_ms: float
    ) -> None:
        """Record a failed call, and deactivate the model or its provider if it must."""
        pool = run.pool
        verdict = pool.retry.classify(error)
        counts = verdict is not Verdict.RAISE and (
            error.status_code in pool.config.deactivation.error_codes
            or error.category in _COUNTED_CATEGORIES
            or isinstance(error, AuthenticationError)
        )
        # Only a timeout says how slow the model is; a refused or broken call is fast
        # and would make a failing model look quick to latency-first.
        self.state.record_failure(
            model.model_id,
            counts=counts,
            latency_ms=latency_ms if error.category == "timeout" else None,
        )
        if self.observer.wants_statistics:
            self.observer.record_request(
                model_id=model.model_id,
                provider_id=model.provider_id,
                pool_id=pool.pool_id,
                success=False,
                latency_ms=latency_ms,
            )
        if self.observer.wants_trace(Severity.WARNING):
            self.observer.trace(
                Severity.WARNING,
                f"pool.{pool.pool_id}",
                f"{model.model_id} failed ({error.category})",
                error=str(error),
                status_code=error.status_code,
                counted=counts,
            )
        triggers = pool.config.provider_deactivation
        provider_state = self.state.provider(model.provider_id)
        if isinstance(error, AuthenticationError):
            if ProviderDeactivationTrigger.ON_AUTH_FAILURE in triggers:
                self._deactivate_provider(
                    model.provider_id, "auth_failure", pool.pool_id, auth_failed=True
                )
        elif (
            ProviderDeactivationTrigger.ON_API_OUTAGE in triggers
            and error.category in _OUTAGE_CATEGORIES
            and provider_state.consecutive_failures >= pool.config.deactivation.retry_limit
        ):
            self._deactivate_provider(model.provider_id, "api_outage", pool.pool_id)
        if counts:
            self._judge(pool, model, self.clock.now(), retry_after=error.retry_after)

    def _succeeded(
        self,
        run: _Attempts,
        model: MeshModel,
        before: ModelSnapshot | None,
        usage: TokenUsage,
        started: float,
        response_preview: str | None,
    ) -> None:
        """Record a success; ``before`` is the snapshot the model was chosen on (None
        when unknown), which lets the policy say the success cannot deactivate it."""
        pool = run.pool
        latency_ms = run.latency_ms
        cost = model.pricing.cost(usage) if model.pricing is not None else 0.0
        self.state.record_success(
            model.model_id, latency_ms=latency_ms, tokens=usage.total_tokens, cost=cost
        )
        self.providers[model.provider_id].connector.report_usage(model.model_id, usage)
        if cost:
            self._budget_alert(model.provider_id, cost)
        if self.observer.wants_statistics:
            self.observer.record_request(
                model_id=model.model_id,
                provider_id=model.provider_id,
                pool_id=pool.pool_id,
                success=True,
                latency_ms=latency_ms,
                tokens_in=usage.prompt_tokens,
                tokens_out=usage.completion_tokens,
                cost=cost,
            )
        pool_state = self.state.pool(pool.pool_id)
        if pool_state.current_model != model.model_id:
            previous = pool_state.current_model
            self.state.record_rotation(pool.pool_id, model.model_id)
            if previous is not None:
                self.observer.event(
                    EventType.MODEL_ROTATED,
                    model_id=model.model_id,
                    provider_id=model.provider_id,
                    pool_id=pool.pool_id,
                    previous_model=previous,
                )
                self.observer.record_rotation(pool_id=pool.pool_id, model_id=model.model_id)
        if before is None or pool.policy.deactivation.may_fire_after_success(before):
            self._judge(pool, model, self.clock.now())
        if self.observer.wants_logs:
            self.observer.log(
                RequestLogEntry(
                    timestamp=self.clock.now(),
                    request_id=uuid.uuid4().hex,
                    model_id=model.model_id,
                    provider_id=model.provider_id,
                    pool_id=pool.pool_id,
                    capability=pool.node,
                    delivery_mode=run.mode,
                    status_code=200,
                    latency_ms=(self.clock.monotonic() - started) * 1000,
                    tokens_in=usage.prompt_tokens,
                    tokens_out=usage.completion_tokens,
                    cost=cost,
                    attempts=run.count,
                    prompt_preview=_preview(run.prompt),
                    attempt_records=tuple(run.attempt_records),
                    response_preview=response_preview,
                )
            )
        self.observer.maybe_flush()

    def _budget_alert(self, provider_id: str, cost: float) -> None:
        """Warn once when a provider's spending crosses ``alert_threshold`` of a limit."""
        budget = self.providers[provider_id].config.budget
        now = self.clock.now()
        state = self.state.provider(provider_id)
        for name, limit, period in (
            ("daily", budget.daily_limit, Period.DAILY),
            ("monthly", budget.monthly_limit, Period.MONTHLY),
        ):
            if not limit:
                continue
            spent = state.usage(period, now).cost
            alert = budget.alert_threshold * limit
            if spent - cost < alert <= spent:
                self.observer.trace(
                    Severity.WARNING,
                    "router",
                    f"provider {provider_id} has spent {spent / limit:.0%} of its {name} budget",
                    spent=spent,
                    limit=limit,
                )
                _log.warning(
                    "budget alert", provider=provider_id, budget=name, spent=spent, limit=limit
                )

    def _request_failed(self, run: _Attempts, error: BaseException, started: float) -> None:
        if self.observer.wants_trace(Severity.ERROR):
            self.observer.trace(
                Severity.ERROR,
                "router",
                f"request to pool {run.pool.pool_id} failed",
                error=str(error),
            )
        if self.observer.wants_logs:
            self.observer.log(
                RequestLogEntry(
                    timestamp=self.clock.now(),
                    request_id=uuid.uuid4().hex,
                    model_id=None,
                    provider_id=None,
                    pool_id=run.pool.pool_id,
                    capability=run.pool.node,
                    delivery_mode=run.mode,
                    status_code=getattr(error, "status_code", None),
                    latency_ms=(self.clock.monotonic() - started) * 1000,
                    attempts=run.count,
                    error=str(error),
                    prompt_preview=_preview(run.prompt),
                    attempt_records=tuple(run.attempt_records),
                )
            )
        self.observer.maybe_flush()

    def _judge(
        self, pool: Pool, model: MeshModel, now: datetime, *, retry_after: float | None = None
    ) -> None:
        """Ask the pool's deactivation policy about the model's state now."""
        snapshot = self._snapshot(pool, model, now, 0)
        if snapshot.status is ModelStatus.STANDBY:
            return
        reason = pool.policy.deactivation.get_reason(snapshot)
        if reason is not None:
            self._deactivate(pool, model, snapshot, reason, now, retry_after)

    def _deactivate(
        self,
        pool: Pool,
        model: MeshModel,
        snapshot: ModelSnapshot,
        reason: DeactivationReason,
        now: datetime,
        retry_after: float | None = None,
    ) -> None:
        standby = attrs.evolve(
            snapshot,
            status=ModelStatus.STANDBY,
            deactivation_reason=reason,
            cooldown_until=None,
            taken_at=now,
        )
        until = pool.policy.recovery.get_recovery_schedule(standby)
        if until is not None and retry_after is not None:
            until = max(until, now + timedelta(seconds=retry_after))
        if not self.state.deactivate(model.model_id, reason, until=until):
            return
        self.observer.event(
            EventType.MODEL_DEACTIVATED,
            model_id=model.model_id,
            provider_id=model.provider_id,
            pool_id=pool.pool_id,
            reason=reason.value,
            until=until.isoformat() if until else None,
        )
        self.observer.record_standby(
            model_id=model.model_id, provider_id=model.provider_id, pool_id=pool.pool_id
        )
        if self.observer.wants_trace(Severity.ERROR):
            self.observer.trace(
                Severity.ERROR,
                f"pool.{pool.pool_id}",
                f"{model.model_id} deactivated: {reason.value}",
                until=until.isoformat() if until else None,
            )

    def _activate(self, pool: Pool, model: MeshModel, trigger: str) -> None:
        state = self.state.model(model.model_id, model.provider_id)
        deactivated_at = state.deactivated_at
        if not self.state.activate(model.model_id):
            return
        downtime = (self.clock.now() - deactivated_at).total_seconds() if deactivated_at else 0.0
        self.observer.event(
            EventType.MODEL_ACTIVATED,
            model_id=model.model_id,
            provider_id=model.provider_id,
            pool_id=pool.pool_id,
            trigger=trigger,
        )
        self.observer.record_recovery(
            model_id=model.model_id,
            provider_id=model.provider_id,
            pool_id=pool.pool_id,
            downtime_s=downtime,
        )
        if self.observer.wants_trace(Severity.INFO):
            self.observer.trace(
                Severity.INFO, f"pool.{pool.pool_id}", f"{model.model_id} reactivated ({trigger})"
            )

    def _deactivate_provider(
        self, provider_id: str, reason: str, pool_id: str | None, *, auth_failed: bool = False
    ) -> None:
        if not self.state.deactivate_provider(provider_id, reason, auth_failed=auth_failed):
            return
        self.observer.event(
            EventType.PROVIDER_DEACTIVATED, provider_id=provider_id, pool_id=pool_id, reason=reason
        )
        if self.observer.wants_trace(Severity.ERROR):
            self.observer.trace(
                Severity.ERROR, "router", f"provider {provider_id} deactivated: {reason}"
            )

    def _activate_provider(self, provider_id: str, trigger: str) -> None:
        if not self.state.activate_provider(provider_id):
            return
        self.observer.event(EventType.PROVIDER_RECOVERED, provider_id=provider_id, trigger=trigger)
        if self.observer.wants_trace(Severity.INFO):
            self.observer.trace(Severity.INFO, "router", f"provider {provider_id} recovered")

    # --- screening -----------------------------------------------------------------------

    def _snapshot(self, pool: Pool, model: MeshModel, now: datetime, index: int) -> ModelSnapshot:
        return self.state.model(model.model_id, model.provider_id).snapshot(
            now=now,
            period=pool.period,
            priority_index=index,
            pricing=model.pricing,
            rate_limits=self.providers[model.provider_id].rate_limits,
        )

    def _screen(
        self,
        pool: Pool,
        mode: DeliveryMode,
        now: datetime,
        failed: set[str],
        estimated_tokens: int,
        max_output_tokens: int | None,
        *,
        apply: bool = True,
    ) -> _Screened:
        """Every model of the pool, kept or dropped. With ``apply`` the screening also
        acts: recovers models whose time has come, deactivates those a policy now
        rejects (maintenance, limits reached elsewhere) and starts probes; without it
        (``explain``) it only writes down each decision and its reason."""
        screened = _Screened()
        spending: dict[str, tuple[float, float]] = {}
        for index, model in enumerate(pool.members):
            reason = ""
            provider_state = self.state.provider(model.provider_id)
            snapshot = self._snapshot(pool, model, now, index)
            if model.model_id in failed:
                reason = "failed earlier in this request"
            elif not model.supports(mode):
                reason = f"does not serve {mode.delivery_key} requests"
            elif not provider_state.available:
                reason = f"provider deactivated ({provider_state.deactivation_reason})"
                if apply:
                    self._maybe_probe_provider(pool, model.provider_id, now)
            elif snapshot.status is ModelStatus.STANDBY:
                if pool.policy.recovery.should_recover(snapshot, now):
                    if apply:
                        self._activate(pool, model, "cooldown_expired")
                        snapshot = self._snapshot(pool, model, now, index)
                    else:  # as the request would see it once recovered
                        snapshot = attrs.evolve(
                            snapshot,
                            status=ModelStatus.ACTIVE,
                            deactivation_reason=None,
                            cooldown_until=None,
                            failure_count=0,
                        )
                else:
                    until = snapshot.cooldown_until
                    reason = f"standby ({_reason_text(snapshot)})" + (
                        f" until {until.isoformat()}" if until else ""
                    )
                    if apply:
                        self._maybe_probe_model(pool, model, snapshot, now)
            else:
                fired = pool.policy.deactivation.get_reason(snapshot)
                if fired is not None:
                    reason = f"deactivated now: {fired.value}"
                    if apply:
                        self._deactivate(pool, model, snapshot, fired, now)
            if not reason and self.providers[model.provider_id].has_budget:
                breach = self._budget_breach(
                    model, estimated_tokens, max_output_tokens, now, spending
                )
                if breach is not None:
                    reason = f"{breach.limit_type} budget of provider {model.provider_id} spent"
                    screened.breach = screened.breach or breach
            if not reason:
                screened.kept.append((model, snapshot))
            if not apply:
                screened.decisions.append(
                    CandidateDecision(
                        model.model_id,
                        model.provider_id,
                        snapshot.status.value,
                        not reason,
                        reason or "eligible",
                    )
                )
        return screened

    def _budget_breach(
        self,
        model: MeshModel,
        estimated_tokens: int,
        max_output_tokens: int | None,
        now: datetime,
        spending: dict[str, tuple[float, float]],
    ) -> BudgetBreach | None:
        budget = self.providers[model.provider_id].config.budget
        if model.provider_id not in spending:
            state = self.state.provider(model.provider_id)
            spending[model.provider_id] = (
                state.usage(Period.DAILY, now).cost,
                state.usage(Period.MONTHLY, now).cost,
            )
        today, month = spending[model.provider_id]
        return check_budget(
            model.provider_id,
            budget,
            spent_today=today,
            spent_this_month=month,
            estimate=estimate_cost(model.pricing, estimated_tokens, max_output_tokens),
        )

    # --- probes --------------------------------------------------------------------------

    def _maybe_probe_provider(self, pool: Pool, provider_id: str, now: datetime) -> None:
        if pool.config.provider_recovery is not ProviderRecovery.ON_PROBE_SUCCESS:
            return
        state = self.state.provider(provider_id)
        # The first probe waits out the cooldown, later ones come every probe_interval.
        if state.last_probe is not None and (
            state.deactivated_at is None or state.last_probe > state.deactivated_at
        ):
            since, wait = state.last_probe, pool.config.recovery.probe_interval
        else:
            since, wait = state.deactivated_at, pool.config.recovery.cooldown
        if since is not None and now - since < timedelta(seconds=wait):
            return
        key = f"provider:{provider_id}"
        if key in self._probing:
            return
        state.last_probe = now
        self._spawn(key, self._probe_provider(provider_id))

    def _maybe_probe_model(
        self, pool: Pool, model: MeshModel, snapshot: ModelSnapshot, now: datetime
    ) -> None:
        if snapshot.deactivation_reason not in (
            DeactivationReason.ERROR_THRESHOLD,
            DeactivationReason.QUOTA_EXHAUSTED,
        ):
            return
        interval = timedelta(seconds=pool.config.recovery.probe_interval)
        since = self._model_probe_at.get(model.model_id) or snapshot.last_failure
        if since is None or now - since < interval:
            return
        key = f"model:{model.model_id}"
        if key in self._probing:
            return
        self._model_probe_at[model.model_id] = now
        self._spawn(key, self._probe_model(pool, model))

    def persist_soon(self) -> None:
        """Sync the state in the background after a change made outside a request (a
        manual command), when an event loop is running; else the next request does."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        if "state-sync" not in self._probing:
            self._spawn("state-sync", self.state.sync())

    def _spawn(self, key: str, coroutine: Awaitable[None]) -> None:
        self._probing.add(key)

        async def run() -> None:
            try:
                await coroutine
            finally:
                self._probing.discard(key)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def probe_provider(self, provider_id: str) -> bool:
        """Check a provider cheaply (its model listing); recover it when it answers."""
        return await self._probe_provider(provider_id)

    async def _probe_provider(self, provider_id: str) -> bool:
        runtime = self.providers[provider_id]
        try:
            try:
                await runtime.connector.discover_models()
            except NotImplementedError:
                model = next(m for m in self.models if m.provider_id == provider_id)
                await runtime.connector.complete(
                    CompletionRequest(model.upstream_name, _PROBE_MESSAGE, max_tokens=1)
                )
        except (ProviderError, StopIteration):
            self.state.record_probe(provider_id, success=False)
            return False
        self.state.record_probe(provider_id, success=True)
        self._activate_provider(provider_id, "probe_success")
        return True

    async def probe_model(self, model_id: str) -> bool:
        """Send a one-token completion to a model; recover it when it answers."""
        return await self._probe_model(*self._home(model_id))

    async def _probe_model(self, pool: Pool, model: MeshModel) -> bool:
        connector = self.providers[model.provider_id].connector
        try:
            await connector.complete(
                CompletionRequest(model.upstream_name, _PROBE_MESSAGE, max_tokens=1)
            )
        except ProviderError:
            return False
        self._activate(pool, model, "probe_success")
        return True

    async def probe_on_start(self) -> None:
        """Probe, in pools that ask for it, the models a restart found out for errors:
        only those can be proven well by a probe; limits and windows end on the calendar."""
        for pool in self.pools.values():
            if not pool.config.recovery.probe_on_start:
                continue
            for model in pool.members:
                record = self.state.model(model.model_id, model.provider_id)
                if record.status is ModelStatus.STANDBY and record.deactivation_reason in (
                    DeactivationReason.ERROR_THRESHOLD,
                    DeactivationReason.QUOTA_EXHAUSTED,
                ):
                    await self._probe_model(pool, model)

    async def drain(self) -> None:
        """Wait for the probes started so far (tests, and a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.drain()

    async def _learn_rate_limits(self, runtime: ProviderRuntime) -> None:
        try:
            runtime.rate_limits = await runtime.connector.get_rate_limits()
        except Exception:  # a connector's headroom report is advisory
            runtime.rate_limits = None


class RoutedStream:
    """The chunks of a routed stream, first one already received.

    Iterate it (``async for``) once. A failure after the first chunk raises
    StreamInterruptedError to the caller; the model is charged for it. Closing early
    (``aclose``) counts as a success with the tokens received.
    """

    def __init__(
        self,
        router: Router,
        run: _Attempts,
        routed: Routed[tuple[CompletionChunk, AsyncIterator[CompletionChunk]]],
        first: CompletionChunk,
        chunks: AsyncIterator[CompletionChunk],
        started: float,
    ) -> None:
        self._router = router
        self._run = run
        self._first: CompletionChunk | None = first
        self._chunks = chunks
        self._started = started
        self._usage: TokenUsage | None = None
        self._text: list[str] = []
        self._done = False
        self.pool_id = routed.pool_id
        self.model_id = routed.model_id
        self.provider_id = routed.provider_id
        self.attempts = routed.attempts
        self._model = router._home(self.model_id)[1]

    def __aiter__(self) -> RoutedStream:
        return self

    async def __anext__(self) -> CompletionChunk:
        if self._first is not None:
            chunk, self._first = self._first, None
            return self._count(chunk)
        if self._done:
            raise StopAsyncIteration
        try:
            chunk = await anext(self._chunks)
        except StopAsyncIteration:
            self._finish()
            await self._router.state.sync()
            raise
        except ProviderError as error:
            self._done = True
            router = self._router
            router._failed(self._run, self._model, error, 0.0)
            router._request_failed(self._run, error, self._started)
            await router.state.sync()
            raise
        return self._count(chunk)

    async def aclose(self) -> None:
        """Stop early: the upstream connection is closed and the stream counted."""
        await _close(self._chunks)
        if not self._done:
            self._finish()
            await self._router.state.sync()

    def _count(self, chunk: CompletionChunk) -> CompletionChunk:
        if chunk.usage is not None:
            self._usage = chunk.usage
        if chunk.content:
            self._text.append(chunk.content)
        return chunk

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        text = "".join(self._text)
        usage = self._usage or TokenUsage(
            self._run.estimated_tokens, estimate_prompt_tokens(text) if text else 0
        )
        self._router._succeeded(self._run, self._model, None, usage, self._started, text or None)


def _note(
    run: _Attempts,
    model: MeshModel,
    started_at: datetime,
    latency_ms: float,
    status_code: int | None,
    error: BaseException | None,
    category: str | None,
) -> None:
    """Keep one call's record for the request log."""
    run.attempt_records.append(
        AttemptRecord(
            model.model_id,
            model.provider_id,
            started_at,
            latency_ms,
            status_code,
            None if error is None else str(error),
            category,
        )
    )


async def _close(chunks: AsyncIterator[Any]) -> None:
    closer = getattr(chunks, "aclose", None)
    if closer is not None:
        await closer()


def _completion_outcome(response: CompletionResponse) -> tuple[TokenUsage, str | None]:
    content = response.content
    return response.usage, content if isinstance(content, str) else None


def _preview(content: Any) -> str | None:
    """The text of a request for the request log; sinks truncate it to their size."""
    if isinstance(content, str):
        return content
    parts = []
    for item in content:
        text = item.get("content") if isinstance(item, Mapping) else item
        if isinstance(text, str):
            parts.append(text)
    return "\n".join(parts) or None


def _reason_text(snapshot: ModelSnapshot) -> str:
    reason = snapshot.deactivation_reason
    return reason.value if reason is not None else "unknown reason"
