"""The pool rotation base: the pool's options, its deactivation and recovery rules, and
the helpers strategies select with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import given

from modelmesh.config.connector_options import rotation_options
from modelmesh.config.schema import FallbackStrategy, PoolConfig, QuotaResetPolicy
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.rotation import (
    DeactivationReason,
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    SelectionRequest,
)
from modelmesh_cdk.base.pool_rotation import (
    PoolDeactivationPolicy,
    PoolRecoveryPolicy,
    PoolRotationConfig,
    PoolRotationPolicy,
    PoolSelectionStrategy,
    PriorityRanker,
    active_candidates,
    next_in_pool_order,
    priority_ranker,
)
from modelmesh_cdk.testing.suites import RotationPolicyTests

# A Sunday, 02:30 UTC: inside the "0 2 * * sun" window of one hour.
SUNDAY = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
REQUEST = SelectionRequest(capability="chat-completion", now=SUNDAY)


def snapshot(model_id: str = "openai.gpt-4o", **fields: object) -> ModelSnapshot:
    fields.setdefault("taken_at", SUNDAY)
    return ModelSnapshot(model_id, fields.pop("provider_id", "openai"), **fields)  # type: ignore[arg-type]


def standby(reason: DeactivationReason, **fields: object) -> ModelSnapshot:
    return snapshot(status=ModelStatus.STANDBY, deactivation_reason=reason, **fields)


class TestPoolRotationPolicyConformance(RotationPolicyTests):
    connector_class = PoolRotationPolicy


# Options


def test_defaults_are_the_documented_pool_defaults() -> None:
    config = PoolRotationConfig()
    assert (
        config.deactivation.retry_limit,
        config.deactivation.error_rate_threshold,
        config.deactivation.error_rate_window,
        config.deactivation.error_codes,
        config.recovery.cooldown,
        config.recovery.quota_reset_schedule,
        config.fallback_strategy,
        config.session_timeout,
        config.latency_window,
        config.rate_limit.threshold,
    ) == (
        3,
        0.5,
        20,
        (429, 500, 503),
        60.0,
        QuotaResetPolicy.MONTHLY,
        "round-robin",
        1800.0,
        50,
        0.8,
    )


def test_durations_accept_text() -> None:
    config = PoolRotationPolicy(
        {
            "recovery": {"cooldown": "2m"},
            "session_timeout": "1h",
            "rate_limit": {"min_delta": "500ms"},
        }
    ).config
    assert (config.recovery.cooldown, config.session_timeout, config.rate_limit.min_delta) == (
        120.0,
        3600.0,
        0.5,
    )


def test_a_misspelt_key_is_refused_with_the_closest_one() -> None:
    with pytest.raises(ConfigurationError, match=r"deactivation\.retry_limt.*retry_limit"):
        PoolRotationPolicy({"deactivation": {"retry_limt": 2}})


def test_a_bad_cron_expression_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="maintenance_window"):
        PoolRotationPolicy({"deactivation": {"maintenance_window": "every sunday"}})


def test_a_pool_configuration_gives_the_same_config() -> None:
    pool = PoolConfig(fallback_strategy=FallbackStrategy.ERROR, model_priority=("a.b",))
    config = PoolRotationPolicy(rotation_options(pool)).config
    assert (config.fallback_strategy, config.model_priority, config) == (
        FallbackStrategy.ERROR,
        ("a.b",),
        attrs.evolve(PoolRotationConfig(), fallback_strategy="error", model_priority=("a.b",)),
    )


def test_pool_options_carry_the_strategy_options_beside_the_pool_keys() -> None:
    options = rotation_options(PoolConfig(strategy_options={"seed": 7}))
    assert (options["seed"], options["deactivation"]["retry_limit"]) == (7, 3)


def test_a_strategy_with_options_subclasses_the_config() -> None:
    @attrs.frozen(kw_only=True)
    class SeededConfig(PoolRotationConfig):
        seed: int | None = None

    class Seeded(PoolRotationPolicy):
        config_class = SeededConfig

    assert Seeded({"seed": 7, "deactivation": {"retry_limit": 2}}).config.seed == 7


# Deactivation


def test_consecutive_failures_at_the_retry_limit_deactivate() -> None:
    policy = PoolDeactivationPolicy({"deactivation": {"retry_limit": 2}})
    assert (
        policy.get_reason(snapshot(failure_count=1)),
        policy.get_reason(snapshot(failure_count=2)),
    ) == (None, DeactivationReason.ERROR_THRESHOLD)


def test_the_error_rate_is_judged_only_over_a_full_window() -> None:
    policy = PoolDeactivationPolicy({"deactivation": {"error_rate_window": 10}})
    assert (
        policy.get_reason(snapshot(error_rate=0.6, error_samples=9)),
        policy.get_reason(snapshot(error_rate=0.6, error_samples=10)),
        policy.get_reason(snapshot(error_rate=0.4, error_samples=10)),
    ) == (None, DeactivationReason.ERROR_THRESHOLD, None)


@pytest.mark.parametrize(
    ("limit", "counter", "reason"),
    [
        ("request_limit", "quota_used", DeactivationReason.REQUEST_LIMIT),
        ("token_limit", "tokens_used", DeactivationReason.TOKEN_LIMIT),
        ("budget_limit", "cost_accumulated", DeactivationReason.BUDGET_EXCEEDED),
    ],
)
def test_a_usage_limit_deactivates_when_reached(
    limit: str, counter: str, reason: DeactivationReason
) -> None:
    policy = PoolDeactivationPolicy({"deactivation": {limit: 100}})
    assert (
        policy.get_reason(snapshot(**{counter: 99})),
        policy.get_reason(snapshot(**{counter: 100})),
    ) == (None, reason)


@given(
    outcomes=st.lists(st.booleans(), max_size=25),
    streak=st.integers(0, 5),
    retry_limit=st.integers(1, 5),
    threshold=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
    window_offset=st.integers(-2, 2),
    limits=st.fixed_dictionaries(
        {},
        optional={
            "request_limit": st.integers(1, 30),
            "token_limit": st.integers(1, 300),
            "budget_limit": st.floats(0.01, 3),
        },
    ),
    quota_used=st.integers(0, 30),
)
def test_a_success_fires_a_limit_only_when_the_policy_says_it_may(
    outcomes: list[bool],
    streak: int,
    retry_limit: int,
    threshold: float,
    window_offset: int,
    limits: dict[str, float],
    quota_used: int,
) -> None:
    """The router skips the check after a success when ``may_fire_after_success`` is
    False, so it must be True whenever the success makes ``get_reason`` fire."""
    recent = outcomes[-20:]  # the state keeps the last 20 outcomes
    # Windows near the number of outcomes, where one more outcome starts the judging.
    window = max(1, min(20, len(recent) + window_offset))
    policy = PoolDeactivationPolicy(
        {
            "deactivation": {
                "retry_limit": retry_limit,
                "error_rate_threshold": threshold,
                "error_rate_window": window,
                **limits,
            }
        }
    )

    def view(history: list[bool], failures: int, used: int) -> ModelSnapshot:
        return snapshot(
            failure_count=failures,
            error_rate=sum(history) / len(history) if history else 0.0,
            error_samples=len(history),
            quota_used=used,
            tokens_used=used * 10,
            cost_accumulated=used * 0.1,
        )

    before = view(recent, streak, quota_used)
    after = view([*recent, False][-20:], 0, quota_used + 1)
    if policy.get_reason(before) is None and policy.get_reason(after) is not None:
        assert policy.may_fire_after_success(before)


def test_without_limits_a_success_after_a_full_window_cannot_fire() -> None:
    policy = PoolDeactivationPolicy({"deactivation": {"error_rate_window": 4}})
    assert (
        policy.may_fire_after_success(snapshot(error_samples=3)),
        policy.may_fire_after_success(snapshot(error_samples=4)),
    ) == (True, False)


def test_an_open_maintenance_window_deactivates() -> None:
    policy = PoolDeactivationPolicy({"deactivation": {"maintenance_window": "0 2 * * sun"}})
    assert (
        policy.get_reason(snapshot(taken_at=SUNDAY)),
        policy.get_reason(snapshot(taken_at=SUNDAY + timedelta(hours=1))),
        policy.get_reason(snapshot(taken_at=None)),
    ) == (DeactivationReason.MAINTENANCE_WINDOW, None, None)


def test_the_most_urgent_reason_is_reported() -> None:
    policy = PoolDeactivationPolicy(
        {"deactivation": {"request_limit": 1, "budget_limit": 1.0, "retry_limit": 1}}
    )
    both = snapshot(quota_used=5, failure_count=5, cost_accumulated=5.0)
    assert policy.get_reason(both) is DeactivationReason.BUDGET_EXCEEDED


# Recovery


def test_errors_wait_the_cooldown_from_deactivation() -> None:
    policy = PoolRecoveryPolicy({"recovery": {"cooldown": "2m"}})
    for reason in (DeactivationReason.ERROR_THRESHOLD, DeactivationReason.QUOTA_EXHAUSTED):
        assert policy.get_recovery_schedule(standby(reason)) == SUNDAY + timedelta(minutes=2)


@pytest.mark.parametrize(
    "reason",
    [
        DeactivationReason.REQUEST_LIMIT,
        DeactivationReason.TOKEN_LIMIT,
        DeactivationReason.BUDGET_EXCEEDED,
    ],
)
def test_a_pool_limit_waits_for_the_next_quota_period(reason: DeactivationReason) -> None:
    monthly = PoolRecoveryPolicy()
    daily = PoolRecoveryPolicy({"recovery": {"quota_reset_schedule": "daily_utc"}})
    window = PoolRecoveryPolicy(
        {"deactivation": {"quota_window": "daily"}, "recovery": {"quota_reset_schedule": "monthly"}}
    )
    assert (
        monthly.get_recovery_schedule(standby(reason)),
        daily.get_recovery_schedule(standby(reason)),
        window.get_recovery_schedule(standby(reason)),
    ) == (
        datetime(2026, 4, 1, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
        datetime(2026, 3, 2, tzinfo=UTC),
    )


def test_without_quota_reset_a_pool_limit_waits_the_cooldown() -> None:
    policy = PoolRecoveryPolicy({"recovery": {"on_quota_reset": False, "cooldown": 30}})
    schedule = policy.get_recovery_schedule(standby(DeactivationReason.REQUEST_LIMIT))
    assert schedule == SUNDAY + timedelta(seconds=30)


def test_a_maintenance_window_waits_for_its_end() -> None:
    policy = PoolRecoveryPolicy({"deactivation": {"maintenance_window": "0 2 * * sun"}})
    schedule = policy.get_recovery_schedule(standby(DeactivationReason.MAINTENANCE_WINDOW))
    assert schedule == datetime(2026, 3, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "reason", [DeactivationReason.MANUAL, DeactivationReason.PROVIDER_DEACTIVATED]
)
def test_manual_and_provider_deactivations_never_end_by_themselves(
    reason: DeactivationReason,
) -> None:
    policy = PoolRecoveryPolicy()
    model = standby(reason, cooldown_until=SUNDAY)
    assert (
        policy.get_recovery_schedule(model),
        policy.should_recover(model, SUNDAY + timedelta(days=365)),
    ) == (None, False)


def test_a_schedule_already_set_is_kept() -> None:
    later = SUNDAY + timedelta(hours=5)
    model = standby(DeactivationReason.ERROR_THRESHOLD, cooldown_until=later)
    assert PoolRecoveryPolicy().get_recovery_schedule(model) == later


def test_a_model_recovers_once_its_cooldown_has_passed() -> None:
    policy = PoolRecoveryPolicy()
    model = standby(DeactivationReason.ERROR_THRESHOLD, cooldown_until=SUNDAY)
    assert (
        policy.should_recover(model, SUNDAY - timedelta(seconds=1)),
        policy.should_recover(model, SUNDAY),
    ) == (False, True)


# Selection helpers


def test_active_candidates_drop_standby_models_in_order() -> None:
    pool = [
        snapshot("a.one"),
        snapshot("a.two", status=ModelStatus.STANDBY),
        snapshot("a.three"),
    ]
    assert [c.model_id for c in active_candidates(pool, REQUEST)] == ["a.one", "a.three"]


def test_no_active_candidate_raises() -> None:
    with pytest.raises(NoCandidatesError):
        active_candidates([snapshot(status=ModelStatus.STANDBY)], REQUEST)


def test_the_ranker_puts_models_before_providers_and_unlisted_last() -> None:
    ranker = priority_ranker(
        PoolRotationConfig(model_priority=("b.two", "a.one"), provider_priority=("c", "b"))
    )
    models = [
        snapshot("a.one", provider_id="a"),
        snapshot("b.two", provider_id="b"),
        snapshot("b.three", provider_id="b"),
        snapshot("c.four", provider_id="c"),
        snapshot("d.five", provider_id="d"),
    ]
    assert [ranker.rank(model) for model in models] == [1, 0, 3, 2, None]
    assert [ranker.score(model) for model in models] == [3.0, 4.0, 1.0, 2.0, 0.0]


def test_the_best_ranked_goes_to_the_order_given_on_ties() -> None:
    ranker = PriorityRanker(provider_priority=("b",))
    models = [
        snapshot("a.one", provider_id="a"),
        snapshot("b.two", provider_id="b"),
        snapshot("b.three", provider_id="b"),
    ]
    assert (ranker.best(models), ranker.best(models[:1])) == (models[1], None)


@given(st.lists(st.booleans(), min_size=1, max_size=8))
def test_the_default_selection_never_picks_a_standby_model(actives: list[bool]) -> None:
    pool = [
        snapshot(
            f"vendor.m{index}",
            status=ModelStatus.ACTIVE if active else ModelStatus.STANDBY,
            priority_index=index,
        )
        for index, active in enumerate(actives)
    ]
    selection = PoolSelectionStrategy({"model_priority": [f"vendor.m{len(actives) - 1}"]})
    if not any(actives):
        with pytest.raises(NoCandidatesError):
            selection.select(pool, REQUEST)
        return
    chosen = selection.select(pool, REQUEST).model_id
    expected = f"vendor.m{len(actives) - 1}" if actives[-1] else f"vendor.m{actives.index(True)}"
    assert chosen == expected


def test_next_in_pool_order_moves_on_from_a_position_and_wraps() -> None:
    pool = [snapshot(f"vendor.m{index}", priority_index=index) for index in (0, 2, 3)]
    assert [next_in_pool_order(pool, after).model_id for after in (None, 0, 1, 2, 3)] == [
        "vendor.m0",
        "vendor.m2",
        "vendor.m2",
        "vendor.m3",
        "vendor.m0",
    ]
