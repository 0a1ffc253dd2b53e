"""RoundRobinRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_round_robin.connector import RoundRobinRotation


class TestRoundRobinRotation(RotationPolicyTests):
    connector_class = RoundRobinRotation
