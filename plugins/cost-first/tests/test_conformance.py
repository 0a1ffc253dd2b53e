"""CostFirstRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_cost_first.connector import CostFirstRotation


class TestCostFirstRotation(RotationPolicyTests):
    connector_class = CostFirstRotation
