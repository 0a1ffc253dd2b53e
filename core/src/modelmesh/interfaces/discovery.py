"""Discovery connectors: keeping the model catalogue current and provider health known.

Two halves, each usable alone: registry sync finds new and deprecated models, health
monitoring probes providers. A connector doing one job implements that half. The mesh
builds each connector of the ``discovery:`` section, hands it a ``DiscoveryContext`` with
``start`` (the connector runs its own rounds on the context's clock) and closes it at
shutdown. All methods are async: they reach provider APIs in the background, off the
request path.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from modelmesh.interfaces.provider import ModelInfo, ProviderConnector

if TYPE_CHECKING:
    from modelmesh.clock import Clock
    from modelmesh.observability import Observer
    from modelmesh.state import StateManager

_non_negative = attrs.validators.ge(0)
_optional_non_negative = attrs.validators.optional(attrs.validators.ge(0))


class SyncAction(enum.Enum):
    """What to do with a newly discovered model (``sync.on_new_model``)."""

    REGISTER = "register"
    NOTIFY = "notify"
    IGNORE = "ignore"


class DeprecationAction(enum.Enum):
    """What to do with a model upstream no longer lists (``sync.on_deprecated_model``)."""

    DEACTIVATE = "deactivate"
    NOTIFY = "notify"
    IGNORE = "ignore"


class HealthStatus(enum.Enum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNAVAILABLE = "unavailable"


class ProbeMethod(enum.Enum):
    """How hard a probe tries: list models, a tiny completion, or a full round trip."""

    LIGHTWEIGHT = "lightweight"
    STANDARD = "standard"
    COMPREHENSIVE = "comprehensive"


@attrs.frozen
class SyncResult:
    """What one registry sync changed; model IDs are ``<provider>/<model>``.

    ``errors`` maps a provider ID to why its catalogue could not be read, so one
    failing provider does not hide the others' results.
    """

    new_models: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    deprecated_models: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    updated_models: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    errors: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class SyncStatus:
    """Where the registry sync stands; ``status`` is ``idle``, ``running`` or ``failed``."""

    last_sync: datetime | None = None
    next_sync: datetime | None = None
    models_synced: int = attrs.field(default=0, validator=_non_negative)
    status: str = "idle"


@attrs.frozen
class ProbeResult:
    """The outcome of one health probe against a provider."""

    provider_id: str
    success: bool
    latency_ms: float | None = attrs.field(default=None, validator=_optional_non_negative)
    status_code: int | None = None
    error: str | None = None


@attrs.frozen
class HealthReport:
    """A provider's health over the monitoring window.

    ``availability_score`` is the fraction of successful probes (0 to 1); the mesh
    deactivates a provider whose ``consecutive_failures`` reach the threshold.
    """

    provider_id: str
    status: HealthStatus
    availability_score: float = attrs.field(
        validator=[attrs.validators.ge(0), attrs.validators.le(1)]
    )
    timestamp: datetime
    consecutive_failures: int = attrs.field(default=0, validator=_non_negative)
    latency_avg_ms: float | None = attrs.field(default=None, validator=_optional_non_negative)


@attrs.frozen
class DiscoveryContext:
    """What a running mesh gives its discovery connectors at ``start``.

    ``router`` is the mesh's Router (``deactivate_model``, ``deactivate_provider``,
    ``recover_provider``, ``models``, ``pools``); ``state`` the StateManager, whose
    ``storage`` (None in memory) carries the locks that keep several instances from
    doing the same round; ``observer`` takes events; every timing reads ``clock``.
    ``providers`` maps a provider ID to its built connector. ``register_model`` adds a
    model a provider lists to every pool whose capability it serves and returns those
    pools' IDs (none: no pool wants it, and it stays out of routing).
    """

    router: Any
    state: StateManager
    observer: Observer
    clock: Clock
    providers: Mapping[str, ProviderConnector]
    register_model: Callable[[str, ModelInfo], tuple[str, ...]]


class _Closeable:
    async def start(self, context: DiscoveryContext) -> None:
        """Begin background rounds with what the mesh provides; called once after
        the mesh is built. The default has no background work."""

    async def close(self) -> None:
        """Stop background work and release connections; called once at shutdown."""


class RegistrySync(_Closeable, abc.ABC):
    """Keeps the model catalogue in step with what providers actually serve."""

    @abc.abstractmethod
    async def sync(self, providers: Sequence[str] | None = None) -> SyncResult:
        """Compare the known models with the providers' catalogues (all if None)."""

    @abc.abstractmethod
    async def get_sync_status(self) -> SyncStatus: ...


class HealthMonitor(_Closeable, abc.ABC):
    """Probes providers so that an outage is noticed before requests hit it."""

    @abc.abstractmethod
    async def probe(self, provider_id: str) -> ProbeResult:
        """Probe one provider now; a failure is a result, not an exception."""

    @abc.abstractmethod
    async def get_health_report(self, provider_id: str | None = None) -> list[HealthReport]:
        """Reports for one provider, or for every monitored provider if None."""


class DiscoveryConnector(RegistrySync, HealthMonitor):
    """A connector doing both jobs.

    It has no other defaults than ``close()``: an invented sync result or probe
    result would be read as real and could deactivate a healthy provider.
    """
