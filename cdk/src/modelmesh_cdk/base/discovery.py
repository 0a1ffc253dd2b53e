"""Discovery base class: catalogue diffs and probe bookkeeping, plus an HTTP health prober.

``BaseDiscovery`` does the bookkeeping both halves of discovery need: it diffs the
known models against what a provider lists now, and keeps per provider a count of
consecutive probe failures and the last 100 probe outcomes. A connector author
supplies the two ways of reaching a provider, ``_discover_provider_models`` and
``_probe_provider``; neither has a made-up default, because an invented catalogue or
probe result would be read as real.

In a mesh, ``start(context)`` runs the rounds a subclass names in ``_rounds`` (each
``interval`` seconds of the context's clock) as background tasks that ``close`` cancels
and awaits, so shutdown leaves no task behind.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs
import httpx

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.errors import ModelMeshError
from modelmesh.interfaces.discovery import (
    DeprecationAction,
    DiscoveryConnector,
    DiscoveryContext,
    HealthReport,
    HealthStatus,
    ProbeResult,
    SyncAction,
    SyncResult,
    SyncStatus,
)
from modelmesh.interfaces.provider import ModelInfo, ProviderConnector
from modelmesh.log import get_logger
from modelmesh.redaction import redact, redact_text
from modelmesh_cdk.mixins.http_client import HttpClientMixin
from modelmesh_cdk.options import Duration, load_options, parse_duration

__all__ = [
    "HISTORY_SIZE",
    "BaseDiscovery",
    "BaseDiscoveryConfig",
    "HttpHealthDiscovery",
    "HttpHealthDiscoveryConfig",
]

HISTORY_SIZE = 100
"""Probe outcomes kept per provider; the availability score is computed over them."""

Round = tuple[float, Callable[[], Awaitable[None]]]
"""A background round: its interval in seconds and the coroutine function it runs."""

_log = get_logger("modelmesh_cdk.discovery")


def _providers(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen
class BaseDiscoveryConfig:
    """Options every discovery connector shares; ``providers`` None means every
    provider the connector knows of."""

    providers: tuple[str, ...] | None = attrs.field(default=None, converter=_providers)
    sync_interval: Duration = attrs.field(default=3600.0, converter=parse_duration)
    health_interval: Duration = attrs.field(default=60.0, converter=parse_duration)
    health_timeout: Duration = attrs.field(
        default=10.0, converter=parse_duration, validator=attrs.validators.gt(0)
    )
    failure_threshold: int = attrs.field(default=3, validator=attrs.validators.ge(1))
    on_new_model: SyncAction = attrs.field(default=SyncAction.REGISTER, converter=SyncAction)
    on_deprecated_model: DeprecationAction = attrs.field(
        default=DeprecationAction.NOTIFY, converter=DeprecationAction
    )
    auto_register: bool = True
    sync_enabled: bool = True
    health_enabled: bool = True


@attrs.frozen
class _Outcome:
    success: bool
    latency_ms: float | None


class BaseDiscovery(DiscoveryConnector):
    """Registry sync and health bookkeeping over two hooks a subclass provides.

    Sync reports model IDs as ``<provider>/<model>``; new models are reported unless
    ``on_new_model`` is ``ignore``, vanished ones unless ``on_deprecated_model`` is
    ``ignore``; what to do with them is the mesh's part. Health status is
    ``unavailable`` once consecutive failures reach ``failure_threshold``,
    ``degraded`` after a failure below it, ``healthy`` after a success.
    """

    config_class: ClassVar[type[BaseDiscoveryConfig]] = BaseDiscoveryConfig

    def __init__(
        self,
        config: BaseDiscoveryConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self._clock = clock or SYSTEM_CLOCK
        self._known: dict[str, frozenset[str]] = {}
        self._sync_status = SyncStatus()
        self._history: dict[str, deque[_Outcome]] = {}
        self._failures: dict[str, int] = {}
        self._last_probe: dict[str, datetime] = {}
        self.context: DiscoveryContext | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # Lifecycle

    async def start(self, context: DiscoveryContext) -> None:
        """Keep ``context`` (its clock replaces the one given at construction) and run
        the rounds of ``_rounds`` in the background."""
        if self._tasks:
            raise RuntimeError(f"{type(self).__name__} is already started")
        self.context = context
        self._clock = context.clock
        loop = asyncio.get_running_loop()
        for interval, round_ in self._rounds():
            self._tasks.append(loop.create_task(self._every(interval, round_)))

    def _rounds(self) -> Sequence[Round]:
        """The background rounds this connector runs once started; none by default."""
        return ()

    async def _every(self, interval: float, round_: Callable[[], Awaitable[None]]) -> None:
        """Run ``round_`` now and then every ``interval``; a failing round is logged and
        the next one runs on time, since one bad answer must not stop discovery."""
        while True:
            try:
                await round_()
            except Exception as error:
                _log.warning(
                    "discovery round failed", connector=type(self).__name__, error=_describe(error)
                )
            await self._clock.sleep(interval)

    async def close(self) -> None:
        """Cancel the background rounds and wait for them to end."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def provider_connector(self, provider_id: str) -> ProviderConnector | None:
        """The mesh's connector of ``provider_id``, when started in a mesh that has it."""
        return None if self.context is None else self.context.providers.get(provider_id)

    # Hooks

    async def _discover_provider_models(self, provider_id: str) -> Sequence[str]:
        """The model names a provider serves now; raise when they cannot be read."""
        raise NotImplementedError(
            f"{type(self).__name__} must override _discover_provider_models(provider_id) "
            "to list the models a provider serves"
        )

    async def _probe_provider(self, provider_id: str) -> ProbeResult:
        """Probe one provider; raising counts as a failed probe."""
        raise NotImplementedError(
            f"{type(self).__name__} must override _probe_provider(provider_id) "
            "to check a provider's health"
        )

    # Registry sync

    def set_known_models(self, provider_id: str, models: Sequence[str]) -> None:
        """Start from a known catalogue, so the first sync reports only what changed."""
        self._known[provider_id] = frozenset(models)

    def _sync_targets(self, providers: Sequence[str] | None) -> list[str]:
        if providers is not None:
            return list(providers)
        if self.config.providers is not None:
            return list(self.config.providers)
        if self.context is not None:
            return sorted(set(self._known) | set(self.context.providers))
        return sorted(self._known)

    async def sync(self, providers: Sequence[str] | None = None) -> SyncResult:
        targets = self._sync_targets(providers)
        self._sync_status = attrs.evolve(self._sync_status, status="running")
        outcomes = await asyncio.gather(
            *(self._discover_provider_models(pid) for pid in targets), return_exceptions=True
        )
        new: list[str] = []
        deprecated: list[str] = []
        errors: dict[str, str] = {}
        for pid, outcome in zip(targets, outcomes, strict=True):
            if isinstance(outcome, NotImplementedError):
                self._sync_status = attrs.evolve(self._sync_status, status="failed")
                raise outcome
            if isinstance(outcome, BaseException):
                errors[pid] = _describe(outcome)
                continue
            found = frozenset(outcome)
            known = self._known.get(pid, frozenset())
            new.extend(f"{pid}/{model}" for model in sorted(found - known))
            deprecated.extend(f"{pid}/{model}" for model in sorted(known - found))
            self._known[pid] = found
        now = self._clock.now()
        self._sync_status = SyncStatus(
            last_sync=now,
            next_sync=now + timedelta(seconds=self.config.sync_interval),
            models_synced=sum(len(models) for models in self._known.values()),
            status="failed" if targets and len(errors) == len(targets) else "idle",
        )
        return SyncResult(
            new_models=new if self.config.on_new_model is not SyncAction.IGNORE else (),
            deprecated_models=deprecated
            if self.config.on_deprecated_model is not DeprecationAction.IGNORE
            else (),
            errors=errors,
        )

    async def get_sync_status(self) -> SyncStatus:
        return self._sync_status

    # Health monitoring

    async def probe(self, provider_id: str) -> ProbeResult:
        try:
            result = await self._probe_provider(provider_id)
        except NotImplementedError:
            raise
        except Exception as error:
            result = ProbeResult(provider_id, success=False, error=_describe(error))
        self._record(result)
        return result

    def _record(self, result: ProbeResult) -> None:
        pid = result.provider_id
        self._history.setdefault(pid, deque(maxlen=HISTORY_SIZE)).append(
            _Outcome(result.success, result.latency_ms)
        )
        self._failures[pid] = 0 if result.success else self._failures.get(pid, 0) + 1
        self._last_probe[pid] = self._clock.now()

    def consecutive_failures(self, provider_id: str) -> int:
        return self._failures.get(provider_id, 0)

    def is_provider_degraded(self, provider_id: str) -> bool:
        """True once consecutive probe failures reach ``failure_threshold``: the mesh
        then takes the provider's models out of rotation."""
        return self.consecutive_failures(provider_id) >= self.config.failure_threshold

    async def get_health_report(self, provider_id: str | None = None) -> list[HealthReport]:
        """Reports for probed providers only: a provider never probed has no health."""
        ids = sorted(self._history) if provider_id is None else [provider_id]
        return [self._report(pid) for pid in ids if pid in self._history]

    def _report(self, pid: str) -> HealthReport:
        history = self._history[pid]
        failures = self.consecutive_failures(pid)
        if failures >= self.config.failure_threshold:
            status = HealthStatus.UNAVAILABLE
        elif failures:
            status = HealthStatus.DEGRADED
        else:
            status = HealthStatus.HEALTHY
        latencies = [o.latency_ms for o in history if o.success and o.latency_ms is not None]
        return HealthReport(
            provider_id=pid,
            status=status,
            availability_score=sum(o.success for o in history) / len(history),
            timestamp=self._last_probe[pid],
            consecutive_failures=failures,
            latency_avg_ms=sum(latencies) / len(latencies) if latencies else None,
        )


def _describe(error: BaseException) -> str:
    return redact_text(f"{type(error).__name__}: {error}")


@attrs.frozen
class HttpHealthDiscoveryConfig(BaseDiscoveryConfig):
    """``provider_urls`` maps a provider ID to the URL probed for it, so a connector
    built from configuration alone knows where to look."""

    provider_urls: Mapping[str, str] = attrs.field(factory=dict)


class HttpHealthDiscovery(HttpClientMixin, BaseDiscovery):
    """Probes each registered provider with a GET of its URL (a ``/v1/models``
    endpoint, typically); a 2xx answer within ``health_timeout`` is a success. A
    provider with no URL is reached, once started in a mesh, through the mesh's own
    provider connector: its model listing, which costs no tokens.

    Latency is wall time (``time.perf_counter``), since it measures the network, while
    timestamps come from the injected clock. Sync reads the same URL as an
    OpenAI-style model list (``{"data": [{"id": ...}]}``).
    """

    config_class = HttpHealthDiscoveryConfig
    config: HttpHealthDiscoveryConfig

    def __init__(
        self,
        config: HttpHealthDiscoveryConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self._urls: dict[str, tuple[str, dict[str, str]]] = {}
        self._listed: dict[str, dict[str, ModelInfo]] = {}
        for provider_id, url in self.config.provider_urls.items():
            self.register_provider_url(provider_id, url)
        self._init_http_client(
            "", timeout=self.config.health_timeout, max_retries=0, transport=transport
        )

    def register_provider_url(
        self, provider_id: str, url: str, *, headers: Mapping[str, str] | None = None
    ) -> None:
        """Probe ``provider_id`` at ``url``, sending ``headers`` (an API key) with it."""
        self._urls[provider_id] = (url, dict(headers or {}))
        self._known.setdefault(provider_id, frozenset())

    def _target(self, provider_id: str) -> tuple[str, dict[str, str]]:
        try:
            return self._urls[provider_id]
        except KeyError:
            raise KeyError(
                f"provider {provider_id!r} has no health URL and no connector in the mesh; "
                "call register_provider_url(provider_id, url) first"
            ) from None

    async def probe(self, provider_id: str) -> ProbeResult:
        if self.provider_connector(provider_id) is None:
            self._target(provider_id)  # an unknown provider is a mistake, not an outage
        return await super().probe(provider_id)

    async def _probe_provider(self, provider_id: str) -> ProbeResult:
        connector = self.provider_connector(provider_id)
        if provider_id not in self._urls and connector is not None:
            return await self._timed(provider_id, _listing(connector))
        url, headers = self._target(provider_id)
        started = time.perf_counter()
        try:
            response = await self._http_request("GET", url, headers=headers)
        except httpx.HTTPStatusError as error:
            status = error.response.status_code
            return ProbeResult(
                provider_id,
                success=False,
                latency_ms=_elapsed_ms(started),
                status_code=status,
                error=f"HTTP {status}",
            )
        return ProbeResult(
            provider_id,
            success=True,
            latency_ms=_elapsed_ms(started),
            status_code=response.status_code,
        )

    def model_info(self, provider_id: str, name: str) -> ModelInfo:
        """What the provider's connector last listed about ``name``; a bare entry (its
        name only) when the model was read from a URL's model list."""
        return self._listed.get(provider_id, {}).get(name) or ModelInfo(id=name, name=name)

    async def _timed(self, provider_id: str, call: Awaitable[object]) -> ProbeResult:
        """Probe with ``call``, a request through the provider's connector: a success
        when it answers within ``health_timeout``, a failure naming why otherwise."""
        started = time.perf_counter()
        try:
            await asyncio.wait_for(call, self.config.health_timeout)
        except (ModelMeshError, OSError, TimeoutError) as error:
            return ProbeResult(
                provider_id,
                success=False,
                latency_ms=_elapsed_ms(started),
                status_code=getattr(error, "status_code", None),
                error=_describe(error),
            )
        return ProbeResult(provider_id, success=True, latency_ms=_elapsed_ms(started))

    async def _discover_provider_models(self, provider_id: str) -> Sequence[str]:
        connector = self.provider_connector(provider_id)
        if provider_id not in self._urls and connector is not None:
            listed = {info.id: info for info in await _listing(connector)}
            self._listed[provider_id] = listed
            return list(listed)
        url, headers = self._target(provider_id)
        body = (await self._http_request("GET", url, headers=headers)).json()
        try:
            return [str(item["id"]) for item in body["data"]]
        except (KeyError, TypeError) as error:
            raise ValueError(
                f"{redact_text(url)} did not answer with a model list "
                f"(expected {{'data': [{{'id': ...}}]}}, got {redact(body)!r:.200})"
            ) from error

    async def close(self) -> None:
        await super().close()
        await self._close_http_client()


async def _listing(connector: ProviderConnector) -> list[ModelInfo]:
    """The provider's upstream catalogue (``discover_models``), or its model list when
    it cannot enumerate upstream: both are listings, never a billed call."""
    try:
        return await connector.discover_models()
    except NotImplementedError:
        return await connector.list_models()


def _elapsed_ms(started: float) -> float:
    return max(0.0, (time.perf_counter() - started) * 1000)
