"""The standard tests every rotation policy passes.

Whatever a policy prefers, the router relies on a few promises: it picks one of the
candidates it was given, never a standby model while an active one is there, the same
one for the same input (unless it is random by design), leaves a healthy model active,
refuses an empty pool, and never brings back on its own a model an operator took out.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from modelmesh.interfaces.rotation import (
    DeactivationReason,
    ModelSnapshot,
    ModelStatus,
    NoCandidatesError,
    RotationPolicy,
    SelectionRequest,
)
from modelmesh_cdk.testing.suites.guard import StandardSuite

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
REQUEST = SelectionRequest(capability="generation.text-generation.chat-completion", now=EPOCH)

# Every subclass runs the same test methods, which hypothesis would flag as suspicious.
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.differing_executors]
)

_moments = st.integers(-86_400, 86_400).map(lambda seconds: EPOCH + timedelta(seconds=seconds))
_counts = st.integers(0, 10_000)


@st.composite
def snapshots(draw: st.DrawFn, model_id: str, priority_index: int) -> ModelSnapshot:
    """Any state a model can be in, as the mesh would report it."""
    status = draw(st.sampled_from(ModelStatus))
    return ModelSnapshot(
        model_id=model_id,
        provider_id=draw(st.sampled_from(["openai", "anthropic", "local"])),
        status=status,
        failure_count=draw(st.integers(0, 20)),
        error_rate=draw(st.floats(0, 1)),
        cooldown_until=draw(st.none() | _moments),
        quota_used=draw(_counts),
        tokens_used=draw(_counts),
        cost_accumulated=draw(st.floats(0, 1000)),
        latency_history=draw(st.lists(st.floats(0, 60_000), max_size=5)),
        last_failure=draw(st.none() | _moments),
        deactivation_reason=(
            draw(st.sampled_from(DeactivationReason)) if status is ModelStatus.STANDBY else None
        ),
        requests_remaining=draw(st.none() | st.integers(0, 100)),
        requests_limit=draw(st.none() | st.integers(100, 1000)),
        priority_index=priority_index,
        taken_at=EPOCH,
    )


@st.composite
def pools(draw: st.DrawFn) -> list[ModelSnapshot]:
    """One to six candidates in pool order, at least one of them active."""
    size = draw(st.integers(1, 6))
    pool = [draw(snapshots(f"vendor.model-{index}", index)) for index in range(size)]
    if not any(candidate.is_active for candidate in pool):
        chosen = draw(st.integers(0, size - 1))
        pool[chosen] = ModelSnapshot(pool[chosen].model_id, "openai", priority_index=chosen)
    return pool


class RotationPolicyTests(StandardSuite, standard=True):
    """Subclass with ``connector_class`` (and ``connector_options`` if it needs any)."""

    # What the author declares

    @property
    def connector_class(self) -> type[RotationPolicy]:
        raise NotImplementedError("set connector_class to the rotation policy under test")

    @property
    def connector_options(self) -> dict[str, Any]:
        return {}

    @property
    def is_random(self) -> bool:
        """True for a policy that may choose differently for equal input, by design."""
        return False

    def make_policy(self) -> RotationPolicy:
        """A fresh policy; override for custom construction."""
        return self.connector_class(self.connector_options)  # type: ignore[call-arg]

    # Standard tests: selection

    @PROPERTY_SETTINGS
    @given(pool=pools())
    def test_selects_one_of_the_candidates(self, pool: list[ModelSnapshot]) -> None:
        result = self.make_policy().selection.select(pool, REQUEST)
        assert (result.model_id, result.provider_id) in {
            (candidate.model_id, candidate.provider_id) for candidate in pool
        }

    @PROPERTY_SETTINGS
    @given(pool=pools())
    def test_never_selects_a_standby_model_while_one_is_active(
        self, pool: list[ModelSnapshot]
    ) -> None:
        result = self.make_policy().selection.select(pool, REQUEST)
        chosen = next(candidate for candidate in pool if candidate.model_id == result.model_id)
        assert chosen.is_active

    @PROPERTY_SETTINGS
    @given(pool=pools())
    def test_equal_input_gives_equal_choice(self, pool: list[ModelSnapshot]) -> None:
        if self.is_random:
            pytest.skip("the policy declares is_random = True")
        first = self.make_policy().selection.select(pool, REQUEST)
        second = self.make_policy().selection.select(list(pool), REQUEST)
        assert first.model_id == second.model_id

    @PROPERTY_SETTINGS
    @given(pool=pools())
    def test_scores_are_finite_numbers(self, pool: list[ModelSnapshot]) -> None:
        """A NaN or infinite score would make the ranking meaningless."""
        selection = self.make_policy().selection
        scores = [selection.score(candidate, REQUEST) for candidate in pool]
        assert all(math.isfinite(score) for score in scores)

    def test_an_empty_pool_raises_no_candidates(self) -> None:
        with pytest.raises(NoCandidatesError):
            self.make_policy().selection.select([], REQUEST)

    # Standard tests: deactivation and recovery

    def test_a_healthy_model_stays_active(self) -> None:
        healthy = ModelSnapshot("vendor.model", "openai", taken_at=EPOCH)
        deactivation = self.make_policy().deactivation
        assert (deactivation.get_reason(healthy), deactivation.should_deactivate(healthy)) == (
            None,
            False,
        )

    def test_a_manual_deactivation_never_recovers_by_itself(self) -> None:
        manual = ModelSnapshot(
            "vendor.model",
            "openai",
            status=ModelStatus.STANDBY,
            deactivation_reason=DeactivationReason.MANUAL,
            cooldown_until=EPOCH,
            last_failure=EPOCH,
            taken_at=EPOCH,
        )
        recovery = self.make_policy().recovery
        later = EPOCH + timedelta(days=3650)
        assert (recovery.should_recover(manual, later), recovery.get_recovery_schedule(manual)) == (
            False,
            None,
        )

    def test_a_model_out_for_errors_comes_back_once_its_schedule_has_passed(self) -> None:
        """The mesh asks for the schedule at deactivation and keeps it as the model's
        ``cooldown_until``; once that moment comes, the model must be let back."""
        failing = ModelSnapshot(
            "vendor.model",
            "openai",
            status=ModelStatus.STANDBY,
            deactivation_reason=DeactivationReason.ERROR_THRESHOLD,
            failure_count=5,
            last_failure=EPOCH,
            taken_at=EPOCH,
        )
        recovery = self.make_policy().recovery
        schedule = recovery.get_recovery_schedule(failing)
        assert schedule is not None, "an error standby must not wait for an operator"
        assert schedule >= EPOCH
        assert recovery.should_recover(attrs.evolve(failing, cooldown_until=schedule), schedule)


__all__ = ["REQUEST", "RotationPolicyTests", "pools", "snapshots"]
