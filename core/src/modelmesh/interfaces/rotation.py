"""Rotation policies: when a model leaves the pool, when it comes back, which one serves.

A policy is three replaceable parts (deactivation, recovery, selection) bundled as one
connector. All of them are synchronous and read only the snapshots and the request
they are given: they run on the routing hot path, must cost microseconds, and must be
testable without a clock, so time arrives as an argument (``now``, ``request.now``,
``snapshot.taken_at``) instead of being read. Snapshots, selection requests and
results are made for every request, so they are dict classes, as the provider value
types are.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from modelmesh.errors import ModelMeshError
from modelmesh.interfaces.provider import DeliveryMode, ModelPricing


def _delivery_mode(value: DeliveryMode | str) -> DeliveryMode:
    """A mode as given, or the one a string names (the router always gives a mode)."""
    return value if type(value) is DeliveryMode else DeliveryMode(value)


class ModelStatus(enum.Enum):
    ACTIVE = "active"
    STANDBY = "standby"


class DeactivationReason(enum.Enum):
    """Why a model is on standby; it decides how the model may recover."""

    ERROR_THRESHOLD = "error_threshold"
    QUOTA_EXHAUSTED = "quota_exhausted"
    BUDGET_EXCEEDED = "budget_exceeded"
    TOKEN_LIMIT = "token_limit"
    REQUEST_LIMIT = "request_limit"
    MAINTENANCE_WINDOW = "maintenance_window"
    MANUAL = "manual"
    PROVIDER_DEACTIVATED = "provider_deactivated"


class RecoveryTrigger(enum.Enum):
    """What brought a standby model back."""

    COOLDOWN_EXPIRED = "cooldown_expired"
    QUOTA_RESET = "quota_reset"
    PROBE_SUCCESS = "probe_success"
    MANUAL = "manual"
    STARTUP_PROBE = "startup_probe"


@attrs.frozen(slots=False)
class ModelSnapshot:
    """A read-only view of one model's shared state, as policies see it.

    Latencies are in milliseconds, costs in USD, times timezone-aware UTC.
    ``priority_index`` is the model's position in the pool, so ties can go to pool
    order; ``taken_at`` is the mesh clock's reading when the snapshot was made.
    ``quota_used``, ``tokens_used`` and ``cost_accumulated`` count the pool's current
    quota period; ``pricing`` is the model's price (YAML first, then the connector's),
    None when unknown. ``error_rate`` is measured over the last ``error_samples``
    outcomes, so a policy can refuse to judge a rate from too few requests.
    """

    model_id: str
    provider_id: str
    status: ModelStatus = ModelStatus.ACTIVE
    failure_count: int = 0
    error_rate: float = 0.0
    error_samples: int = 0
    cooldown_until: datetime | None = None
    quota_used: int = 0
    tokens_used: int = 0
    cost_accumulated: float = 0.0
    latency_history: tuple[float, ...] = attrs.field(default=(), converter=tuple)
    last_request: datetime | None = None
    last_failure: datetime | None = None
    deactivation_reason: DeactivationReason | None = None
    requests_remaining: int | None = None
    requests_limit: int | None = None
    tokens_remaining: int | None = None
    tokens_limit: int | None = None
    priority_index: int = 0
    taken_at: datetime | None = None
    pricing: ModelPricing | None = None

    def __attrs_post_init__(self) -> None:
        # One test for all counters rather than a validator each: the router makes a
        # snapshot of every candidate for every request.
        if not (
            0 <= self.error_rate <= 1
            and min(
                self.failure_count,
                self.error_samples,
                self.quota_used,
                self.tokens_used,
                self.cost_accumulated,
                self.priority_index,
            )
            >= 0
            and (self.requests_remaining is None or self.requests_remaining >= 0)
            and (self.requests_limit is None or self.requests_limit >= 0)
            and (self.tokens_remaining is None or self.tokens_remaining >= 0)
            and (self.tokens_limit is None or self.tokens_limit >= 0)
        ):
            raise ValueError(f"model snapshot {self.model_id!r}: {_snapshot_problem(self)}")

    @property
    def is_active(self) -> bool:
        return self.status is ModelStatus.ACTIVE

    @property
    def latency_avg(self) -> float | None:
        """Mean of the recent latencies; None without history, which is not "fast"."""
        if not self.latency_history:
            return None
        return sum(self.latency_history) / len(self.latency_history)

    @property
    def headroom(self) -> float | None:
        """Fraction of the rate limit left (0 to 1), the tighter of requests and tokens.

        None when no limit is known, so strategies can tell "unknown" from "full".
        """
        fractions = [
            min(remaining / limit, 1.0)
            for remaining, limit in (
                (self.requests_remaining, self.requests_limit),
                (self.tokens_remaining, self.tokens_limit),
            )
            if remaining is not None and limit
        ]
        return min(fractions) if fractions else None


def _snapshot_problem(snapshot: ModelSnapshot) -> str:
    if not 0 <= snapshot.error_rate <= 1:
        return f"error_rate must be between 0 and 1, not {snapshot.error_rate}"
    for name in _SNAPSHOT_COUNTERS:
        value = getattr(snapshot, name)
        if value is not None and value < 0:
            return f"{name} must be 0 or more, not {value}"
    raise AssertionError("no problem found")  # pragma: no cover


_SNAPSHOT_COUNTERS = (
    "failure_count",
    "error_samples",
    "quota_used",
    "tokens_used",
    "cost_accumulated",
    "priority_index",
    "requests_remaining",
    "requests_limit",
    "tokens_remaining",
    "tokens_limit",
)


@attrs.frozen(slots=False)
class SelectionRequest:
    """What a strategy may know about the request it selects a model for.

    ``now`` is the router's clock reading; strategies that keep time (session expiry,
    minimum gaps) use it rather than reading a clock themselves.
    """

    capability: str
    delivery_mode: DeliveryMode = attrs.field(default=DeliveryMode.SYNC, converter=_delivery_mode)
    session_id: str | None = None
    estimated_tokens: int = 0
    metadata: Mapping[str, Any] = attrs.field(factory=dict)
    now: datetime | None = None

    def __attrs_post_init__(self) -> None:
        if self.estimated_tokens < 0:
            raise ValueError(f"estimated_tokens must be 0 or more, got {self.estimated_tokens}")


@attrs.frozen(slots=False)
class SelectionResult:
    """The chosen model and why, for the request log and ``explain()``.

    ``delay_seconds`` asks the router to wait that long (on its clock) before sending,
    for strategies that pace requests rather than switch models.
    """

    model_id: str
    provider_id: str
    score: float
    reason: str = ""
    delay_seconds: float = 0.0

    def __attrs_post_init__(self) -> None:
        if self.delay_seconds < 0:
            raise ValueError(f"delay_seconds must be 0 or more, got {self.delay_seconds}")

    @classmethod
    def for_candidate(
        cls, candidate: ModelSnapshot, score: float, reason: str = "", delay_seconds: float = 0.0
    ) -> SelectionResult:
        return cls(candidate.model_id, candidate.provider_id, score, reason, delay_seconds)


class NoCandidatesError(ModelMeshError, ValueError):
    """A strategy was asked to choose among no models.

    The router turns this into its pool-level NoActiveModelError; strategies raise
    it so that an empty pool is never mistaken for a programming error.
    """

    def __init__(self, capability: str) -> None:
        super().__init__(
            f"no candidate model to select for {capability!r}: every model of the pool "
            "is on standby, filtered out, or the pool is empty",
            details={"capability": capability},
            retryable=True,
        )
        self.capability = capability


class DeactivationPolicy(abc.ABC):
    """Decides when an active model goes to standby, and says why."""

    @abc.abstractmethod
    def get_reason(self, snapshot: ModelSnapshot) -> DeactivationReason | None:
        """The reason to deactivate now, or None while the model may stay active."""

    def may_fire_after_success(self, before: ModelSnapshot) -> bool:
        """Whether a success can make ``get_reason`` fire for a model that passed it as
        ``before`` just ahead of the call. The router asks ``get_reason`` again after a
        success only when this is True, sparing the hot path a snapshot; a request's
        screening asks it anyway. The default, True, is always correct."""
        return True

    def should_deactivate(self, snapshot: ModelSnapshot) -> bool:
        return self.get_reason(snapshot) is not None


class RecoveryPolicy(abc.ABC):
    """Decides when a standby model may take traffic again."""

    @abc.abstractmethod
    def should_recover(self, snapshot: ModelSnapshot, now: datetime) -> bool:
        """True when the standby model in ``snapshot`` may come back at ``now``."""

    @abc.abstractmethod
    def get_recovery_schedule(self, snapshot: ModelSnapshot) -> datetime | None:
        """When to check again, or None when only a manual command brings it back."""


class SelectionStrategy(abc.ABC):
    """Picks one model among the candidates the pipeline left.

    Candidates arrive in pool order and are all eligible (active, right delivery mode,
    within budget). Stateful strategies (round-robin, stick-until-failure) override
    ``select``; an override must raise NoCandidatesError on an empty sequence too.
    """

    @abc.abstractmethod
    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        """How good this candidate is for this request; higher is better."""

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        """The highest-scoring candidate; ties go to pool order."""
        if not candidates:
            raise NoCandidatesError(request.capability)
        best_score, best = max(
            ((self.score(candidate, request), candidate) for candidate in candidates),
            key=lambda scored: (scored[0], -scored[1].priority_index),
        )
        return SelectionResult.for_candidate(best, best_score, "highest score")


class RotationPolicy(abc.ABC):
    """The rotation connector: one object bundling the three parts a pool uses.

    The router reaches each part through its property (``policy.selection.select``);
    one class may implement all three and return itself.
    """

    @property
    @abc.abstractmethod
    def deactivation(self) -> DeactivationPolicy: ...

    @property
    @abc.abstractmethod
    def recovery(self) -> RecoveryPolicy: ...

    @property
    @abc.abstractmethod
    def selection(self) -> SelectionStrategy: ...
