"""BaseRotationPolicy and ThresholdRotationPolicy pass the standard rotation suite."""

from __future__ import annotations

from typing import Any

from modelmesh_cdk.base.rotation import BaseRotationPolicy, ThresholdRotationPolicy
from modelmesh_cdk.testing.suites import RotationPolicyTests


class TestBaseRotationPolicy(RotationPolicyTests):
    connector_class = BaseRotationPolicy


class TestBaseRotationPolicyWithPriorities(RotationPolicyTests):
    connector_class = BaseRotationPolicy

    @property
    def connector_options(self) -> dict[str, Any]:
        return {"model_priority": ["vendor.model-2"], "provider_priority": ["local"]}


class TestThresholdRotationPolicy(RotationPolicyTests):
    connector_class = ThresholdRotationPolicy


class TestThresholdRotationPolicyWithoutStickiness(RotationPolicyTests):
    connector_class = ThresholdRotationPolicy

    @property
    def connector_options(self) -> dict[str, Any]:
        return {"stick_until_failure": False, "priority_list": ["vendor.model-1"]}
