"""The rotation base every pool strategy builds on: the pool's own options, its
deactivation and recovery rules, and helpers for writing a selection strategy.

The mesh builds one rotation connector per pool from the pool's YAML (``deactivation``,
``recovery``, ``rate_limit``, the priority lists, the strategy keys and the pool's
``strategy_options``), so every strategy accepts every pool key and a strategy plugin
writes only its selection. Nothing here reads a clock: time arrives in
``snapshot.taken_at``, ``request.now`` and ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from modelmesh.calendar import MaintenanceWindow, Period, next_period_start
from modelmesh.config.fields import at_least, between, cron, each, http_status, optional
from modelmesh.config.issues import InvalidValue
from modelmesh.config.schema import (
    AffinityMode,
    BalanceMode,
    FallbackStrategy,
    QuotaResetPolicy,
    QuotaWindow,
    ThrottleAction,
)
from modelmesh.interfaces.rotation import (
    DeactivationPolicy,
    DeactivationReason,
    ModelSnapshot,
    RecoveryPolicy,
    SelectionRequest,
    SelectionResult,
    SelectionStrategy,
)
from modelmesh_cdk.base.rotation import (
    NOT_BY_COOLDOWN,
    BaseRotationPolicy,
    _Limits,
    active_candidates,
    cooldown_over,
    most_urgent_reason,
)
from modelmesh_cdk.options import Duration, load_options, parse_duration

__all__ = [
    "PoolDeactivationOptions",
    "PoolDeactivationPolicy",
    "PoolRecoveryOptions",
    "PoolRecoveryPolicy",
    "PoolRotationConfig",
    "PoolRotationPolicy",
    "PoolSelectionStrategy",
    "PriorityRanker",
    "RateLimitOptions",
    "active_candidates",
    "next_in_pool_order",
    "priority_ranker",
]

_QUOTA_PERIODS = {
    QuotaWindow.DAILY: Period.DAILY,
    QuotaWindow.MONTHLY: Period.MONTHLY,
    QuotaResetPolicy.DAILY_UTC: Period.DAILY,
    QuotaResetPolicy.MONTHLY: Period.MONTHLY,
}
_QUOTA_REASONS = frozenset(
    {
        DeactivationReason.REQUEST_LIMIT,
        DeactivationReason.TOKEN_LIMIT,
        DeactivationReason.BUDGET_EXCEEDED,
    }
)


def _positive(_instance: Any, _attribute: Any, value: float) -> None:
    if value <= 0:
        raise InvalidValue("must be more than 0 seconds", value)


@attrs.frozen(kw_only=True)
class PoolDeactivationOptions:
    """The pool's ``deactivation`` section; a limit left as None is not checked."""

    retry_limit: int = attrs.field(default=3, validator=at_least(1))
    error_rate_threshold: float = attrs.field(default=0.5, validator=between(0, 1))
    error_rate_window: int = attrs.field(default=20, validator=at_least(1))
    error_codes: tuple[int, ...] = attrs.field(
        default=(429, 500, 503), converter=tuple, validator=each(http_status)
    )
    request_limit: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    token_limit: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    budget_limit: float | None = attrs.field(default=None, validator=optional(at_least(0)))
    quota_window: QuotaWindow | None = attrs.field(
        default=None, converter=attrs.converters.optional(QuotaWindow)
    )
    maintenance_window: str | None = attrs.field(default=None, validator=optional(cron))
    maintenance_duration: Duration = attrs.field(
        default=3600.0, converter=parse_duration, validator=_positive
    )


@attrs.frozen(kw_only=True)
class PoolRecoveryOptions:
    """The pool's ``recovery`` section."""

    cooldown: Duration = attrs.field(default=60.0, converter=parse_duration)
    probe_on_start: bool = False
    probe_interval: Duration = attrs.field(default=300.0, converter=parse_duration)
    on_quota_reset: bool = True
    quota_reset_schedule: QuotaResetPolicy = attrs.field(
        default=QuotaResetPolicy.MONTHLY, converter=QuotaResetPolicy
    )


@attrs.frozen(kw_only=True)
class RateLimitOptions:
    """The pool's ``rate_limit`` section, read by rate-aware strategies."""

    threshold: float = attrs.field(default=0.8, validator=between(0, 1))
    min_delta: Duration = attrs.field(default=0.0, converter=parse_duration)
    max_rpm: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    action: ThrottleAction = attrs.field(
        default=ThrottleAction.SWITCH_MODEL, converter=ThrottleAction
    )


@attrs.frozen(kw_only=True)
class PoolRotationConfig:
    """Every pool key a rotation connector receives, with the documented defaults.

    A strategy with options of its own subclasses it (``@attrs.frozen(kw_only=True)``)
    and names the subclass as its policy's ``config_class``; the pool's
    ``strategy_options`` arrive beside these keys.
    """

    deactivation: PoolDeactivationOptions = attrs.field(factory=PoolDeactivationOptions)
    recovery: PoolRecoveryOptions = attrs.field(factory=PoolRecoveryOptions)
    model_priority: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    provider_priority: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    fallback_strategy: FallbackStrategy = attrs.field(
        default=FallbackStrategy.ROUND_ROBIN, converter=FallbackStrategy
    )
    balance_mode: BalanceMode = attrs.field(default=BalanceMode.RELATIVE, converter=BalanceMode)
    affinity_mode: AffinityMode = attrs.field(default=AffinityMode.FALLBACK, converter=AffinityMode)
    session_timeout: Duration = attrs.field(default=1800.0, converter=parse_duration)
    session_header: str | None = None
    latency_window: int = attrs.field(default=50, validator=at_least(1))
    rate_limit: RateLimitOptions = attrs.field(factory=RateLimitOptions)


def _maintenance(options: PoolDeactivationOptions) -> MaintenanceWindow | None:
    if options.maintenance_window is None:
        return None
    return MaintenanceWindow(options.maintenance_window, options.maintenance_duration)


class PoolDeactivationPolicy(DeactivationPolicy):
    """Deactivates on the pool's thresholds; when several fire, ``most_urgent_reason``
    picks the one reported.

    Consecutive failures reaching ``retry_limit``, or an error rate at the threshold over
    at least ``error_rate_window`` outcomes, is ``error_threshold``; the request, token
    and budget limits compare the snapshot's counters (those of the pool's quota period);
    a maintenance window open at ``snapshot.taken_at`` is ``maintenance_window``.
    """

    def __init__(self, config: PoolRotationConfig | Mapping[str, Any] | None = None) -> None:
        self.config = load_options(PoolRotationConfig, config, connector=type(self).__name__)
        options = self.config.deactivation
        self._limits = _Limits(
            failures=options.retry_limit,
            error_rate=options.error_rate_threshold,
            error_samples=options.error_rate_window,
            budget=options.budget_limit,
            tokens=options.token_limit,
            requests=options.request_limit,
        )
        self._maintenance = _maintenance(options)

    def may_fire_after_success(self, before: ModelSnapshot) -> bool:
        return self._maintenance is not None or self._limits.may_fire_after_success(before)

    def get_reason(self, snapshot: ModelSnapshot) -> DeactivationReason | None:
        fired = self._limits.fired(snapshot)
        if (
            self._maintenance is not None
            and snapshot.taken_at is not None
            and self._maintenance.window_end(snapshot.taken_at) is not None
        ):
            fired.append(DeactivationReason.MAINTENANCE_WINDOW)
        return most_urgent_reason(fired)


class PoolRecoveryPolicy(RecoveryPolicy):
    """When a standby model comes back, by the reason it left.

    The mesh asks for the schedule at deactivation (``taken_at`` is then the moment of
    deactivation) and keeps the answer as the model's ``cooldown_until``: errors and a
    provider's quota wait the cooldown; the pool's request, token and budget limits wait
    for the next quota period (``quota_window``, else ``quota_reset_schedule``) when
    ``on_quota_reset``, else the cooldown; a maintenance window waits for its end; a
    manual or provider-level deactivation never ends by itself.
    """

    def __init__(self, config: PoolRotationConfig | Mapping[str, Any] | None = None) -> None:
        self.config = load_options(PoolRotationConfig, config, connector=type(self).__name__)
        self._maintenance = _maintenance(self.config.deactivation)
        recovery = self.config.recovery
        self._cooldown = timedelta(seconds=recovery.cooldown)
        window = self.config.deactivation.quota_window
        self._quota_period = _QUOTA_PERIODS[window or recovery.quota_reset_schedule]

    def should_recover(self, snapshot: ModelSnapshot, now: datetime) -> bool:
        return cooldown_over(snapshot, now)

    def get_recovery_schedule(self, snapshot: ModelSnapshot) -> datetime | None:
        reason = snapshot.deactivation_reason
        if reason in NOT_BY_COOLDOWN:
            return None
        if snapshot.cooldown_until is not None:
            return snapshot.cooldown_until
        since = snapshot.taken_at or snapshot.last_failure
        if since is None:
            return None
        if reason in _QUOTA_REASONS and self.config.recovery.on_quota_reset:
            return next_period_start(since, self._quota_period)
        if reason is DeactivationReason.MAINTENANCE_WINDOW and self._maintenance is not None:
            end = self._maintenance.window_end(since)
            if end is not None:
                return end
        return since + self._cooldown


@attrs.frozen
class PriorityRanker:
    """Ranks models by the pool's ``model_priority``, then ``provider_priority``.

    A listed model ranks by its place in the model list; a model of a listed provider
    ranks after every listed model, by its provider's place; any other model is unranked
    (None). The first entry of a list ranks best and a name listed twice keeps its first
    place.
    """

    model_priority: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    provider_priority: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    _models: dict[str, int] = attrs.field(init=False, repr=False)
    _providers: dict[str, int] = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        models: dict[str, int] = {}
        for name in self.model_priority:
            models.setdefault(name, len(models))
        providers: dict[str, int] = {}
        for name in self.provider_priority:
            providers.setdefault(name, len(models) + len(providers))
        object.__setattr__(self, "_models", models)
        object.__setattr__(self, "_providers", providers)

    @property
    def size(self) -> int:
        """How many ranks there are: listed models and listed providers."""
        return len(self._models) + len(self._providers)

    def rank(self, snapshot: ModelSnapshot) -> int | None:
        """0 for the most preferred, None for a model neither list names."""
        rank = self._models.get(snapshot.model_id)
        return rank if rank is not None else self._providers.get(snapshot.provider_id)

    def score(self, snapshot: ModelSnapshot) -> float:
        """The rank as a score, higher is better: ``size - rank``, 0 when unranked."""
        rank = self.rank(snapshot)
        return 0.0 if rank is None else float(self.size - rank)

    def best(self, candidates: Sequence[ModelSnapshot]) -> ModelSnapshot | None:
        """The best-ranked of ``candidates`` (ties to the order given), None when none
        is ranked. Callers pass active candidates."""
        ranked = [
            (rank, index, candidate)
            for index, candidate in enumerate(candidates)
            if (rank := self.rank(candidate)) is not None
        ]
        return min(ranked, key=lambda entry: entry[:2])[2] if ranked else None


def next_in_pool_order(candidates: Sequence[ModelSnapshot], after: int | None) -> ModelSnapshot:
    """The candidate next in pool order after the pool position ``after`` (a
    ``priority_index``), wrapping round to the first; the first when ``after`` is None.

    The position need not be among the candidates (a model that went to standby is
    filtered out), which is what moving on from it needs. ``candidates`` must not be empty.
    """
    first = min(candidates, key=lambda candidate: candidate.priority_index)
    if after is None:
        return first
    later = [candidate for candidate in candidates if candidate.priority_index > after]
    return min(later, key=lambda candidate: candidate.priority_index) if later else first


def priority_ranker(config: PoolRotationConfig) -> PriorityRanker:
    """The ranker of a pool's priority lists."""
    return PriorityRanker(config.model_priority, config.provider_priority)


class PoolSelectionStrategy(SelectionStrategy):
    """A base for pool strategies: holds the pool's config and its priority ranker.

    By default the best-ranked active candidate wins and an unranked pool goes to
    pool order; a strategy overrides ``score`` or ``select`` (keeping to
    ``active_candidates``, so a standby model is never chosen).
    """

    config_class: ClassVar[type[PoolRotationConfig]] = PoolRotationConfig

    def __init__(self, config: PoolRotationConfig | Mapping[str, Any] | None = None) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self.ranker = priority_ranker(self.config)

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        return self.ranker.score(candidate)

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        return super().select(active_candidates(candidates, request), request)


class PoolRotationPolicy(BaseRotationPolicy):
    """A pool's rotation connector: the pool's deactivation and recovery rules with the
    strategy's selection, built as ``selection_class(self.config)``.

    A strategy plugin sets ``selection_class`` (and ``config_class`` when it has options
    of its own); overriding ``_build_parts`` replaces the other parts too.
    """

    config_class: ClassVar[type[Any]] = PoolRotationConfig
    selection_class: ClassVar[type[SelectionStrategy]] = PoolSelectionStrategy

    def _build_parts(self) -> tuple[DeactivationPolicy, RecoveryPolicy, SelectionStrategy]:
        return (
            PoolDeactivationPolicy(self.config),
            PoolRecoveryPolicy(self.config),
            self.selection_class(self.config),  # type: ignore[call-arg]
        )
