"""StickUntilFailureRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_stick_until_failure.connector import StickUntilFailureRotation


class TestStickUntilFailureRotation(RotationPolicyTests):
    connector_class = StickUntilFailureRotation
