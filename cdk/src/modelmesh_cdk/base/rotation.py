"""Rotation base classes: deactivation by thresholds, recovery by cooldown, best-score selection.

A rotation connector bundles three parts (deactivation, recovery, selection). Each base
part is usable alone and configured from one options class, so a custom policy
overrides only the part it changes. Like the interfaces they implement, the parts read
no clock: time arrives in the snapshots and as ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from modelmesh.interfaces.rotation import (
    DeactivationPolicy,
    DeactivationReason,
    ModelSnapshot,
    NoCandidatesError,
    RecoveryPolicy,
    RotationPolicy,
    SelectionRequest,
    SelectionResult,
    SelectionStrategy,
)
from modelmesh_cdk.options import Duration, load_options, parse_duration

__all__ = [
    "DEACTIVATION_PRECEDENCE",
    "NOT_BY_COOLDOWN",
    "BaseDeactivationPolicy",
    "BaseRecoveryPolicy",
    "BaseRotationConfig",
    "BaseRotationPolicy",
    "BaseRotationPolicyConfig",
    "BaseSelectionStrategy",
    "ThresholdRotationConfig",
    "ThresholdRotationPolicy",
    "active_candidates",
    "cooldown_over",
    "most_urgent_reason",
]

DEACTIVATION_PRECEDENCE: tuple[DeactivationReason, ...] = (
    DeactivationReason.MAINTENANCE_WINDOW,
    DeactivationReason.BUDGET_EXCEEDED,
    DeactivationReason.QUOTA_EXHAUSTED,
    DeactivationReason.ERROR_THRESHOLD,
    DeactivationReason.TOKEN_LIMIT,
    DeactivationReason.REQUEST_LIMIT,
)
"""When several triggers fire at once, the reason reported is the first of these."""

NOT_BY_COOLDOWN = frozenset({DeactivationReason.MANUAL, DeactivationReason.PROVIDER_DEACTIVATED})
"""Reasons a cooldown does not end: an operator, or a provider probe, brings the model back."""

_optional_positive_int = attrs.validators.optional(attrs.validators.ge(1))
_optional_non_negative = attrs.validators.optional(attrs.validators.ge(0))
_optional_rate = attrs.validators.optional([attrs.validators.ge(0), attrs.validators.le(1)])


def most_urgent_reason(reasons: Iterable[DeactivationReason]) -> DeactivationReason | None:
    """The reason that wins when several fire; reasons outside the precedence list
    (such as ``manual``) rank after it, in the order given."""
    fired = list(reasons)
    if not fired:
        return None
    ranked = {reason: rank for rank, reason in enumerate(DEACTIVATION_PRECEDENCE)}
    return min(fired, key=lambda reason: ranked.get(reason, len(ranked)))


@attrs.frozen
class BaseRotationConfig:
    """Options of the base rotation parts; a limit left as None is not checked."""

    failure_threshold: int | None = attrs.field(default=3, validator=_optional_positive_int)
    cooldown_seconds: Duration = attrs.field(default=60.0, converter=parse_duration)
    error_rate_threshold: float | None = attrs.field(default=0.5, validator=_optional_rate)
    request_limit: int | None = attrs.field(default=None, validator=_optional_non_negative)
    token_limit: int | None = attrs.field(default=None, validator=_optional_non_negative)
    budget_limit: float | None = attrs.field(default=None, validator=_optional_non_negative)
    model_priority: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    provider_priority: tuple[str, ...] = attrs.field(default=(), converter=tuple)


BaseRotationPolicyConfig = BaseRotationConfig


@attrs.frozen
class _Limits:
    """The thresholds a deactivation policy checks, each None when switched off."""

    failures: int | None = None
    error_rate: float | None = None
    error_samples: int = 0
    quota_fraction: float | None = None
    budget: float | None = None
    tokens: int | None = None
    requests: int | None = None

    def may_fire_after_success(self, before: ModelSnapshot) -> bool:
        """Whether one more success can fire a limit that ``before`` did not: a success
        adds to the request, token and cost counters and brings new headroom, but only
        lowers the failure streak and the error rate, whose judgement a success can
        start only while too few outcomes were there to judge it."""
        return (
            self.requests is not None
            or self.tokens is not None
            or self.budget is not None
            or self.quota_fraction is not None
            or (self.error_rate is not None and before.error_samples < self.error_samples)
        )

    def fired(self, snapshot: ModelSnapshot) -> list[DeactivationReason]:
        # A list, not a generator: every candidate of every request is judged.
        reasons: list[DeactivationReason] = []
        if self.failures is not None and snapshot.failure_count >= self.failures:
            reasons.append(DeactivationReason.ERROR_THRESHOLD)
        # A rate of zero is no error at all, even with a threshold of zero; a rate
        # measured over fewer than ``error_samples`` outcomes is not judged yet.
        if (
            self.error_rate is not None
            and snapshot.error_rate > 0
            and snapshot.error_rate >= self.error_rate
            and snapshot.error_samples >= self.error_samples
        ):
            reasons.append(DeactivationReason.ERROR_THRESHOLD)
        if self.requests is not None and snapshot.quota_used >= self.requests:
            reasons.append(DeactivationReason.REQUEST_LIMIT)
        if self.tokens is not None and snapshot.tokens_used >= self.tokens:
            reasons.append(DeactivationReason.TOKEN_LIMIT)
        if self.budget is not None and snapshot.cost_accumulated >= self.budget:
            reasons.append(DeactivationReason.BUDGET_EXCEEDED)
        if self.quota_fraction is not None:
            headroom = snapshot.headroom
            if headroom is not None and 1.0 - headroom >= self.quota_fraction:
                reasons.append(DeactivationReason.QUOTA_EXHAUSTED)
        return reasons


class BaseDeactivationPolicy(DeactivationPolicy):
    """Deactivates on consecutive failures, error rate, request, token and budget limits.

    Subclasses add triggers by overriding ``_fired_reasons`` (call super and add theirs);
    the precedence rule then picks the reason to report.
    """

    def __init__(self, config: BaseRotationConfig | Mapping[str, Any] | None = None) -> None:
        self.config = load_options(BaseRotationConfig, config, connector=type(self).__name__)
        self._limits = _Limits(
            failures=self.config.failure_threshold,
            error_rate=self.config.error_rate_threshold,
            budget=self.config.budget_limit,
            tokens=self.config.token_limit,
            requests=self.config.request_limit,
        )

    def _fired_reasons(self, snapshot: ModelSnapshot) -> Iterable[DeactivationReason]:
        return self._limits.fired(snapshot)

    def get_reason(self, snapshot: ModelSnapshot) -> DeactivationReason | None:
        return most_urgent_reason(self._fired_reasons(snapshot))


def cooldown_over(snapshot: ModelSnapshot, now: datetime) -> bool:
    """True when a standby model may come back at ``now``: its cooldown (if any) has
    passed and it was not taken out by an operator or a provider-level deactivation."""
    if snapshot.deactivation_reason in NOT_BY_COOLDOWN:
        return False
    return snapshot.cooldown_until is None or snapshot.cooldown_until <= now


class BaseRecoveryPolicy(RecoveryPolicy):
    """Brings a model back once its cooldown has passed; a manual (or provider-level)
    deactivation waits for an explicit recovery instead.

    ``cooldown_until`` is what the mesh set at deactivation; when it is unknown the model
    may come back at once, and the schedule counts the cooldown from the last failure.
    """

    def __init__(self, config: BaseRotationConfig | Mapping[str, Any] | None = None) -> None:
        self.config = load_options(BaseRotationConfig, config, connector=type(self).__name__)

    def should_recover(self, snapshot: ModelSnapshot, now: datetime) -> bool:
        return cooldown_over(snapshot, now)

    def get_recovery_schedule(self, snapshot: ModelSnapshot) -> datetime | None:
        if snapshot.deactivation_reason in NOT_BY_COOLDOWN:
            return None
        if snapshot.cooldown_until is not None:
            return snapshot.cooldown_until
        deactivated_at = snapshot.last_failure or snapshot.taken_at
        if deactivated_at is None:
            return None
        return deactivated_at + timedelta(seconds=self.config.cooldown_seconds)


class BaseSelectionStrategy(SelectionStrategy):
    """Highest score wins, ties to pool order; only active candidates are chosen.

    A model named in ``model_priority`` scores 1000 plus its rank from the end of the
    list, a model of a provider in ``provider_priority`` 500 plus that rank, any other
    model ``1 - error_rate``: listed models always beat unlisted ones.
    """

    def __init__(self, config: BaseRotationConfig | Mapping[str, Any] | None = None) -> None:
        self.config = load_options(BaseRotationConfig, config, connector=type(self).__name__)
        self._model_rank = _ranks(self.config.model_priority)
        self._provider_rank = _ranks(self.config.provider_priority)

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        if candidate.model_id in self._model_rank:
            return 1000.0 + self._model_rank[candidate.model_id]
        if candidate.provider_id in self._provider_rank:
            return 500.0 + self._provider_rank[candidate.provider_id]
        return 1.0 - candidate.error_rate

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        return super().select(active_candidates(candidates, request), request)


def _ranks(names: Sequence[str]) -> dict[str, int]:
    """First of the list ranks highest; a name listed twice keeps its first rank."""
    ranks: dict[str, int] = {}
    for index, name in enumerate(names):
        ranks.setdefault(name, len(names) - index)
    return ranks


def active_candidates(
    candidates: Sequence[ModelSnapshot], request: SelectionRequest
) -> list[ModelSnapshot]:
    """The candidates that may take traffic, in the order given; a standby snapshot is
    never among them. Raises NoCandidatesError when none is active."""
    active = [candidate for candidate in candidates if candidate.is_active]
    if not active:
        raise NoCandidatesError(request.capability)
    return active


class BaseRotationPolicy(RotationPolicy):
    """The three base parts built from one options mapping, as one rotation connector.

    ``config`` is a ``config_class`` instance, an options mapping or None; a subclass
    with other options sets ``config_class`` and overrides ``_build_parts``.
    """

    config_class: ClassVar[type[Any]] = BaseRotationConfig

    def __init__(self, config: Any = None) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self._deactivation, self._recovery, self._selection = self._build_parts()

    def _build_parts(self) -> tuple[DeactivationPolicy, RecoveryPolicy, SelectionStrategy]:
        return (
            BaseDeactivationPolicy(self.config),
            BaseRecoveryPolicy(self.config),
            BaseSelectionStrategy(self.config),
        )

    @property
    def deactivation(self) -> DeactivationPolicy:
        return self._deactivation

    @property
    def recovery(self) -> RecoveryPolicy:
        return self._recovery

    @property
    def selection(self) -> SelectionStrategy:
        return self._selection


@attrs.frozen
class ThresholdRotationConfig:
    """Options of ThresholdRotationPolicy; every threshold may be None to switch it off.

    ``quota_threshold`` is the fraction (0 to 1) of the provider-reported rate limit
    used at which the model goes to standby with ``quota_exhausted``; the other
    limits count requests, tokens and USD against the model's own usage.
    """

    failure_count_threshold: int | None = attrs.field(default=3, validator=_optional_positive_int)
    error_rate_threshold: float | None = attrs.field(default=0.5, validator=_optional_rate)
    quota_threshold: float | None = attrs.field(default=None, validator=_optional_rate)
    budget_threshold: float | None = attrs.field(default=None, validator=_optional_non_negative)
    token_limit_threshold: int | None = attrs.field(default=None, validator=_optional_non_negative)
    request_limit_threshold: int | None = attrs.field(
        default=None, validator=_optional_non_negative
    )
    cooldown_seconds: Duration = attrs.field(default=60.0, converter=parse_duration)
    priority_list: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    stick_until_failure: bool = True


class _ThresholdDeactivation(DeactivationPolicy):
    def __init__(self, config: ThresholdRotationConfig) -> None:
        self._limits = _Limits(
            failures=config.failure_count_threshold,
            error_rate=config.error_rate_threshold,
            quota_fraction=config.quota_threshold,
            budget=config.budget_threshold,
            tokens=config.token_limit_threshold,
            requests=config.request_limit_threshold,
        )

    def get_reason(self, snapshot: ModelSnapshot) -> DeactivationReason | None:
        return most_urgent_reason(self._limits.fired(snapshot))


class _StickySelection(BaseSelectionStrategy):
    """Keeps the model it chose last while that model is still an active candidate,
    so a recovered model does not take traffic back until the current one fails."""

    def __init__(self, config: BaseRotationConfig) -> None:
        super().__init__(config)
        self._current: str | None = None

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        active = active_candidates(candidates, request)
        for candidate in active:
            if candidate.model_id == self._current:
                return SelectionResult.for_candidate(
                    candidate, self.score(candidate, request), "current model still active"
                )
        result = super().select(active, request)
        self._current = result.model_id
        return result


class ThresholdRotationPolicy(BaseRotationPolicy):
    """A rotation policy configured by thresholds alone, sticking to the current model
    by default and preferring the models of ``priority_list`` in that order."""

    config_class = ThresholdRotationConfig

    def _build_parts(self) -> tuple[DeactivationPolicy, RecoveryPolicy, SelectionStrategy]:
        config: ThresholdRotationConfig = self.config
        base = BaseRotationConfig(
            cooldown_seconds=config.cooldown_seconds, model_priority=config.priority_list
        )
        selection = (
            _StickySelection(base) if config.stick_until_failure else BaseSelectionStrategy(base)
        )
        return _ThresholdDeactivation(config), BaseRecoveryPolicy(base), selection
