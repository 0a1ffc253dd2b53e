"""LoadBalancedRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_load_balanced.connector import LoadBalancedRotation


class TestLoadBalancedRotation(RotationPolicyTests):
    connector_class = LoadBalancedRotation
    is_random = True


class TestSeededAbsoluteLoadBalancedRotation(RotationPolicyTests):
    """With a seed, two fresh policies choose alike, so equal input gives equal choice."""

    connector_class = LoadBalancedRotation
    connector_options = {"seed": 11, "balance_mode": "absolute"}
