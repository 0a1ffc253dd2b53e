"""RateLimitAwareRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_rate_limit_aware.connector import RateLimitAwareRotation


class TestRateLimitAwareRotation(RotationPolicyTests):
    connector_class = RateLimitAwareRotation
