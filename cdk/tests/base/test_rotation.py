"""The rotation base parts: thresholds, precedence, cooldown recovery, selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.rotation import (
    DeactivationReason,
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
)
from modelmesh.interfaces.rotation import SelectionRequest as Request
from modelmesh_cdk.base.rotation import (
    DEACTIVATION_PRECEDENCE,
    BaseDeactivationPolicy,
    BaseRecoveryPolicy,
    BaseRotationPolicy,
    BaseSelectionStrategy,
    ThresholdRotationPolicy,
    most_urgent_reason,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)
REQUEST = Request(capability="generation.text-generation.chat-completion")


def snap(model_id: str = "m", **fields: object) -> ModelSnapshot:
    return ModelSnapshot(model_id=model_id, provider_id=fields.pop("provider_id", "p"), **fields)  # type: ignore[arg-type]


# Deactivation


def test_a_healthy_model_stays_active():
    assert BaseDeactivationPolicy().get_reason(snap()) is None


def test_three_consecutive_failures_deactivate_by_default():
    assert BaseDeactivationPolicy().get_reason(snap(failure_count=3)) is (
        DeactivationReason.ERROR_THRESHOLD
    )


def test_two_failures_stay_below_the_default_threshold():
    assert not BaseDeactivationPolicy().should_deactivate(snap(failure_count=2))


def test_an_error_rate_at_the_threshold_deactivates():
    assert BaseDeactivationPolicy().get_reason(snap(error_rate=0.5)) is (
        DeactivationReason.ERROR_THRESHOLD
    )


def test_the_request_limit_deactivates_with_request_limit():
    policy = BaseDeactivationPolicy({"request_limit": 100})
    assert policy.get_reason(snap(quota_used=100)) is DeactivationReason.REQUEST_LIMIT


def test_the_token_limit_deactivates_with_token_limit():
    policy = BaseDeactivationPolicy({"token_limit": 1000})
    assert policy.get_reason(snap(tokens_used=1000)) is DeactivationReason.TOKEN_LIMIT


def test_the_budget_limit_deactivates_with_budget_exceeded():
    policy = BaseDeactivationPolicy({"budget_limit": 5.0})
    assert policy.get_reason(snap(cost_accumulated=5.0)) is DeactivationReason.BUDGET_EXCEEDED


def test_a_limit_left_unset_is_not_checked():
    assert BaseDeactivationPolicy().get_reason(snap(quota_used=10**9, tokens_used=10**9)) is None


def test_budget_outranks_errors_and_request_limits_when_all_fire():
    policy = BaseDeactivationPolicy({"request_limit": 1, "budget_limit": 1.0})
    both = snap(failure_count=5, quota_used=5, cost_accumulated=2.0)
    assert policy.get_reason(both) is DeactivationReason.BUDGET_EXCEEDED


@given(st.lists(st.sampled_from(list(DeactivationReason)), min_size=1))
def test_the_most_urgent_reason_is_the_earliest_in_the_precedence(reasons):
    chosen = most_urgent_reason(reasons)
    assert chosen in reasons
    ranked = [r for r in DEACTIVATION_PRECEDENCE if r in reasons]
    if ranked:
        assert chosen is ranked[0]


@given(
    failures=st.integers(0, 6),
    rate=st.floats(0, 1),
    quota=st.integers(0, 20),
    tokens=st.integers(0, 20),
    cost=st.floats(0, 20),
)
def test_the_reported_reason_follows_the_precedence(failures, rate, quota, tokens, cost):
    policy = BaseDeactivationPolicy({"request_limit": 10, "token_limit": 10, "budget_limit": 10.0})
    reason = policy.get_reason(
        snap(
            failure_count=failures,
            error_rate=rate,
            quota_used=quota,
            tokens_used=tokens,
            cost_accumulated=cost,
        )
    )
    fired = [
        reason_
        for reason_, condition in (
            (DeactivationReason.BUDGET_EXCEEDED, cost >= 10),
            (DeactivationReason.ERROR_THRESHOLD, failures >= 3 or rate >= 0.5),
            (DeactivationReason.TOKEN_LIMIT, tokens >= 10),
            (DeactivationReason.REQUEST_LIMIT, quota >= 10),
        )
        if condition
    ]
    assert reason is (fired[0] if fired else None)


def test_a_misspelt_option_is_refused_with_the_closest_key():
    with pytest.raises(ConfigurationError, match="failure_threshold"):
        BaseRotationPolicy({"failure_treshold": 2})


# Recovery


def test_a_model_recovers_once_its_cooldown_has_passed():
    standby = snap(status=ModelStatus.STANDBY, cooldown_until=NOW)
    assert BaseRecoveryPolicy().should_recover(standby, NOW)


def test_a_model_stays_on_standby_during_its_cooldown():
    standby = snap(status=ModelStatus.STANDBY, cooldown_until=NOW + timedelta(seconds=1))
    assert not BaseRecoveryPolicy().should_recover(standby, NOW)


def test_a_model_without_a_cooldown_may_recover_at_once():
    assert BaseRecoveryPolicy().should_recover(snap(status=ModelStatus.STANDBY), NOW)


def test_a_manual_deactivation_never_recovers_on_its_own():
    manual = snap(status=ModelStatus.STANDBY, deactivation_reason=DeactivationReason.MANUAL)
    assert not BaseRecoveryPolicy().should_recover(manual, NOW + timedelta(days=365))


def test_a_manual_deactivation_has_no_recovery_schedule():
    manual = snap(status=ModelStatus.STANDBY, deactivation_reason=DeactivationReason.MANUAL)
    assert BaseRecoveryPolicy().get_recovery_schedule(manual) is None


def test_the_schedule_is_the_cooldown_end_when_known():
    standby = snap(status=ModelStatus.STANDBY, cooldown_until=NOW)
    assert BaseRecoveryPolicy().get_recovery_schedule(standby) == NOW


def test_the_schedule_counts_the_cooldown_from_the_last_failure():
    standby = snap(status=ModelStatus.STANDBY, last_failure=NOW)
    schedule = BaseRecoveryPolicy({"cooldown_seconds": "2m"}).get_recovery_schedule(standby)
    assert schedule == NOW + timedelta(minutes=2)


# Selection


def test_the_model_priority_list_wins_in_its_order():
    strategy = BaseSelectionStrategy({"model_priority": ["c", "b"]})
    pool = [snap("a"), snap("b"), snap("c")]
    assert strategy.select(pool, REQUEST).model_id == "c"


def test_the_provider_priority_list_beats_unlisted_models():
    strategy = BaseSelectionStrategy({"provider_priority": ["q"]})
    pool = [snap("a", provider_id="p"), snap("b", provider_id="q")]
    assert strategy.select(pool, REQUEST).model_id == "b"


def test_without_priorities_the_lowest_error_rate_wins():
    pool = [snap("a", error_rate=0.3), snap("b", error_rate=0.1)]
    assert BaseSelectionStrategy().select(pool, REQUEST).model_id == "b"


def test_ties_go_to_pool_order():
    pool = [snap("a", priority_index=0), snap("b", priority_index=1)]
    assert BaseSelectionStrategy().select(pool, REQUEST).model_id == "a"


def test_selecting_among_no_candidates_raises_no_candidates():
    with pytest.raises(NoCandidatesError):
        BaseSelectionStrategy().select([], REQUEST)


def test_a_pool_of_standby_models_has_no_candidate():
    with pytest.raises(NoCandidatesError):
        BaseSelectionStrategy().select([snap(status=ModelStatus.STANDBY)], REQUEST)


snapshots = st.builds(
    ModelSnapshot,
    model_id=st.sampled_from(["a", "b", "c", "d"]),
    provider_id=st.sampled_from(["p", "q"]),
    status=st.sampled_from(list(ModelStatus)),
    error_rate=st.floats(0, 1),
    priority_index=st.integers(0, 5),
)
strategies = st.sampled_from(
    [
        BaseSelectionStrategy(),
        BaseSelectionStrategy({"model_priority": ["d", "a"], "provider_priority": ["q"]}),
    ]
)


@given(strategies, st.lists(snapshots, min_size=1))
def test_selection_returns_an_active_candidate_whenever_one_exists(strategy, pool):
    if not any(c.is_active for c in pool):
        with pytest.raises(NoCandidatesError):
            strategy.select(pool, REQUEST)
        return
    chosen = strategy.select(pool, REQUEST)
    assert any(c.model_id == chosen.model_id and c.is_active for c in pool)


# The bundles


def test_the_base_policy_bundles_the_three_parts():
    policy = BaseRotationPolicy()
    assert isinstance(policy.deactivation, BaseDeactivationPolicy)
    assert isinstance(policy.recovery, BaseRecoveryPolicy)
    assert isinstance(policy.selection, BaseSelectionStrategy)


def test_threshold_policy_switches_off_a_threshold_set_to_none():
    policy = ThresholdRotationPolicy({"failure_count_threshold": None})
    assert policy.deactivation.get_reason(snap(failure_count=100)) is None


def test_threshold_policy_reports_quota_exhausted_at_the_used_fraction():
    policy = ThresholdRotationPolicy({"quota_threshold": 0.9})
    nearly_out = snap(requests_remaining=5, requests_limit=100)
    assert policy.deactivation.get_reason(nearly_out) is DeactivationReason.QUOTA_EXHAUSTED


def test_threshold_policy_orders_quota_before_errors():
    policy = ThresholdRotationPolicy({"quota_threshold": 0.5})
    both = snap(failure_count=3, requests_remaining=0, requests_limit=10)
    assert policy.deactivation.get_reason(both) is DeactivationReason.QUOTA_EXHAUSTED


def test_threshold_policy_recovers_after_its_cooldown():
    policy = ThresholdRotationPolicy({"cooldown_seconds": 10})
    standby = snap(status=ModelStatus.STANDBY, last_failure=NOW)
    assert policy.recovery.get_recovery_schedule(standby) == NOW + timedelta(seconds=10)


def test_threshold_policy_sticks_to_the_current_model_after_another_recovers():
    policy = ThresholdRotationPolicy({"priority_list": ["a", "b"]})
    policy.selection.select([snap("a", status=ModelStatus.STANDBY), snap("b")], REQUEST)
    chosen = policy.selection.select([snap("a"), snap("b")], REQUEST)
    assert chosen.model_id == "b"


def test_threshold_policy_moves_on_when_the_current_model_fails():
    policy = ThresholdRotationPolicy({"priority_list": ["a", "b", "c"]})
    policy.selection.select([snap("a"), snap("b")], REQUEST)
    chosen = policy.selection.select([snap("a", status=ModelStatus.STANDBY), snap("b")], REQUEST)
    assert chosen.model_id == "b"


def test_threshold_policy_without_stickiness_returns_to_the_preferred_model():
    policy = ThresholdRotationPolicy({"priority_list": ["a", "b"], "stick_until_failure": False})
    policy.selection.select([snap("a", status=ModelStatus.STANDBY), snap("b")], REQUEST)
    assert policy.selection.select([snap("a"), snap("b")], REQUEST).model_id == "a"


@given(st.lists(st.lists(snapshots, min_size=1), min_size=1, max_size=6))
def test_sticky_selection_never_returns_a_model_outside_the_active_candidates(rounds):
    policy = ThresholdRotationPolicy({"priority_list": ["c"]})
    for pool in rounds:
        if not any(c.is_active for c in pool):
            continue
        chosen = policy.selection.select(pool, REQUEST)
        assert any(c.model_id == chosen.model_id and c.is_active for c in pool)
