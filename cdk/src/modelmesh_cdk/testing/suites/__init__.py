"""One standard test class per connector type; an author's subclass runs them all."""

from __future__ import annotations

from modelmesh_cdk.testing.suites.discovery import DiscoveryTests
from modelmesh_cdk.testing.suites.guard import StandardSuite
from modelmesh_cdk.testing.suites.installed import InstalledConnectorTests
from modelmesh_cdk.testing.suites.observability import ObservabilityTests
from modelmesh_cdk.testing.suites.provider import ProviderTests
from modelmesh_cdk.testing.suites.rotation import RotationPolicyTests
from modelmesh_cdk.testing.suites.secret_store import SecretStoreTests
from modelmesh_cdk.testing.suites.storage import StorageTests

__all__ = [
    "DiscoveryTests",
    "InstalledConnectorTests",
    "ObservabilityTests",
    "ProviderTests",
    "RotationPolicyTests",
    "SecretStoreTests",
    "StandardSuite",
    "StorageTests",
]
