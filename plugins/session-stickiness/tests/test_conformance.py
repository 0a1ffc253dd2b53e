"""SessionStickinessRotation passes ModelMesh's standard rotation-policy tests."""

from modelmesh_cdk.testing.suites import RotationPolicyTests
from modelmesh_plugin_session_stickiness.connector import SessionStickinessRotation


class TestSessionStickinessRotation(RotationPolicyTests):
    connector_class = SessionStickinessRotation


class TestStrictSessionStickinessRotation(RotationPolicyTests):
    connector_class = SessionStickinessRotation
    connector_options = {"affinity_mode": "strict", "provider_priority": ["anthropic"]}
