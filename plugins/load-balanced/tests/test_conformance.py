"""LoadBalancedRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_load_balanced.connector import LoadBalancedRotation


class TestLoadBalancedRotation(RotationPolicyTests):
    connector_class = LoadBalancedRotation
