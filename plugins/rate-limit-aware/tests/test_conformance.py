"""RateLimitAwareRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_rate_limit_aware.connector import RateLimitAwareRotation


class TestRateLimitAwareRotation(RotationPolicyTests):
    connector_class = RateLimitAwareRotation


class TestQueueingRateLimitAwareRotation(RotationPolicyTests):
    connector_class = RateLimitAwareRotation
    connector_options = {
        "rate_limit": {"threshold": 0.5, "max_rpm": 2, "min_delta": "1s", "action": "queue"}
    }
