"""A minimal rotation policy written against the core interfaces passes the suite."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from modelmesh.interfaces.rotation import (
    DeactivationPolicy,
    DeactivationReason,
    ModelSnapshot,
    RecoveryPolicy,
    RotationPolicy,
    SelectionRequest,
    SelectionStrategy,
)
from modelmesh_cdk.testing.suites import RotationPolicyTests


class FewestFailures(RotationPolicy, DeactivationPolicy, RecoveryPolicy, SelectionStrategy):
    """Active models score by fewest failures; three failures send a model to standby."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self._threshold = options.get("threshold", 3)

    @property
    def deactivation(self) -> DeactivationPolicy:
        return self

    @property
    def recovery(self) -> RecoveryPolicy:
        return self

    @property
    def selection(self) -> SelectionStrategy:
        return self

    def get_reason(self, snapshot: ModelSnapshot) -> DeactivationReason | None:
        failing = snapshot.failure_count >= self._threshold
        return DeactivationReason.ERROR_THRESHOLD if failing else None

    def should_recover(self, snapshot: ModelSnapshot, now: datetime) -> bool:
        return self.get_recovery_schedule(snapshot) is not None and (
            snapshot.cooldown_until is None or snapshot.cooldown_until <= now
        )

    def get_recovery_schedule(self, snapshot: ModelSnapshot) -> datetime | None:
        if snapshot.deactivation_reason is DeactivationReason.MANUAL:
            return None
        return snapshot.cooldown_until or snapshot.taken_at

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        return -candidate.failure_count - (0 if candidate.is_active else 1_000_000)


class TestFewestFailures(RotationPolicyTests):
    connector_class = FewestFailures
