"""Rotation interfaces: snapshots, selection defaults, the three-part bundle."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.errors import ModelMeshError
from modelmesh.interfaces.provider import DeliveryMode
from modelmesh.interfaces.rotation import (
    DeactivationPolicy,
    DeactivationReason,
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    RecoveryPolicy,
    RecoveryTrigger,
    RotationPolicy,
    SelectionRequest,
    SelectionResult,
    SelectionStrategy,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
REQUEST = SelectionRequest("generation.text-generation.chat-completion", now=NOW)


def snapshot(model_id: str = "a.m", index: int = 0, **fields) -> ModelSnapshot:
    return ModelSnapshot(model_id, model_id.split(".")[0], priority_index=index, **fields)


class ErrorThreshold(DeactivationPolicy):
    def get_reason(self, snapshot):
        return DeactivationReason.ERROR_THRESHOLD if snapshot.failure_count >= 3 else None


class Cooldown(RecoveryPolicy):
    def should_recover(self, snapshot, now):
        return snapshot.cooldown_until is None or snapshot.cooldown_until <= now

    def get_recovery_schedule(self, snapshot):
        return snapshot.cooldown_until


class FewestErrors(SelectionStrategy):
    def score(self, candidate, request):
        return 1.0 - candidate.error_rate


class Policy(RotationPolicy):
    deactivation = ErrorThreshold()
    recovery = Cooldown()
    selection = FewestErrors()


def test_enum_values_are_the_documented_ones():
    assert [s.value for s in ModelStatus] == ["active", "standby"]
    assert {r.value for r in DeactivationReason} == {
        "error_threshold",
        "quota_exhausted",
        "budget_exceeded",
        "token_limit",
        "request_limit",
        "maintenance_window",
        "manual",
        "provider_deactivated",
    }
    assert {t.value for t in RecoveryTrigger} == {
        "cooldown_expired",
        "quota_reset",
        "probe_success",
        "manual",
        "startup_probe",
    }


def test_a_fresh_snapshot_is_active_and_clean():
    fresh = snapshot()

    assert (fresh.is_active, fresh.failure_count, fresh.error_rate) == (True, 0, 0.0)


def test_a_snapshot_is_read_only():
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot().failure_count = 5  # type: ignore[misc]


def test_latency_avg_is_the_mean_of_the_history():
    assert snapshot(latency_history=[100.0, 200.0, 600.0]).latency_avg == 300.0


def test_latency_avg_is_none_without_history():
    assert snapshot().latency_avg is None


def test_latency_history_is_kept_as_a_tuple():
    assert snapshot(latency_history=[1.0]).latency_history == (1.0,)


def test_an_error_rate_above_one_is_refused():
    with pytest.raises(ValueError, match="error_rate"):
        snapshot(error_rate=1.5)


@pytest.mark.parametrize("field", ["failure_count", "quota_used", "tokens_remaining"])
def test_a_negative_counter_is_refused_by_name(field):
    with pytest.raises(ValueError, match=f"{field} must be 0 or more, not -1"):
        snapshot(**{field: -1})


def test_headroom_is_the_tighter_of_requests_and_tokens():
    tight = snapshot(
        requests_remaining=90, requests_limit=100, tokens_remaining=10, tokens_limit=100
    )

    assert tight.headroom == pytest.approx(0.1)


def test_headroom_is_unknown_without_limits():
    assert snapshot(requests_remaining=5).headroom is None


def test_a_selection_request_accepts_a_delivery_mode_by_name():
    assert SelectionRequest("c", "stream").delivery_mode is DeliveryMode.STREAM


def test_should_deactivate_follows_get_reason():
    policy = ErrorThreshold()

    assert policy.should_deactivate(snapshot(failure_count=3))
    assert not policy.should_deactivate(snapshot(failure_count=2))


def test_recovery_reads_the_time_it_is_given():
    cooling = snapshot(status=ModelStatus.STANDBY, cooldown_until=NOW + timedelta(seconds=60))

    assert not Cooldown().should_recover(cooling, NOW)
    assert Cooldown().should_recover(cooling, NOW + timedelta(seconds=60))


def test_select_returns_the_highest_scoring_candidate():
    candidates = [snapshot("a.m", 0, error_rate=0.5), snapshot("b.m", 1, error_rate=0.1)]

    assert FewestErrors().select(candidates, REQUEST) == SelectionResult(
        "b.m", "b", pytest.approx(0.9), "highest score"
    )


@given(st.permutations(range(4)))
def test_select_breaks_ties_by_pool_order_whatever_the_sequence_order(order):
    candidates = [snapshot(f"p{i}.m", i) for i in order]

    assert FewestErrors().select(candidates, REQUEST).model_id == "p0.m"


def test_select_from_no_candidates_raises_a_mesh_error_naming_the_capability():
    with pytest.raises(NoCandidatesError, match="chat-completion") as raised:
        FewestErrors().select([], REQUEST)
    assert isinstance(raised.value, ModelMeshError)
    assert raised.value.capability == REQUEST.capability


@pytest.mark.parametrize(
    ("abc", "methods"),
    [
        (DeactivationPolicy, {"get_reason"}),
        (RecoveryPolicy, {"should_recover", "get_recovery_schedule"}),
        (SelectionStrategy, {"score"}),
        (RotationPolicy, {"deactivation", "recovery", "selection"}),
    ],
)
def test_each_part_cannot_be_instantiated_without_its_methods(abc, methods):
    assert abc.__abstractmethods__ == methods
    with pytest.raises(TypeError, match="abstract"):
        abc()


@pytest.mark.parametrize(
    "method",
    [
        DeactivationPolicy.should_deactivate,
        DeactivationPolicy.get_reason,
        RecoveryPolicy.should_recover,
        RecoveryPolicy.get_recovery_schedule,
        SelectionStrategy.select,
        SelectionStrategy.score,
    ],
)
def test_policy_methods_are_sync_for_the_hot_path(method):
    assert not inspect.iscoroutinefunction(method)


def test_a_bundle_exposes_its_three_parts():
    policy = Policy()
    chosen = policy.selection.select([snapshot()], REQUEST)

    assert isinstance(policy.deactivation, DeactivationPolicy)
    assert isinstance(policy.recovery, RecoveryPolicy)
    assert chosen.model_id == "a.m"
