"""PrioritySelectionRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_priority_selection.connector import PrioritySelectionRotation


class TestPrioritySelectionRotation(RotationPolicyTests):
    connector_class = PrioritySelectionRotation
