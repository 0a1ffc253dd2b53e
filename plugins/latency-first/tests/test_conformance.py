"""LatencyFirstRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_latency_first.connector import LatencyFirstRotation


class TestLatencyFirstRotation(RotationPolicyTests):
    connector_class = LatencyFirstRotation


class TestLatencyFirstRotationWithAShortWindow(RotationPolicyTests):
    connector_class = LatencyFirstRotation
    connector_options = {"latency_window": 2}
