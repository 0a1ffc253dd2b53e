"""MemorySecretsSecretStore passes ModelMesh's standard secret-store tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import SecretStoreTests
from modelmesh_plugin_memory_secrets.connector import MemorySecretsSecretStore


class TestMemorySecretsSecretStore(SecretStoreTests):
    connector_class = MemorySecretsSecretStore

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        # When _resolve reads a backend, put ``secrets`` there (files go in ``workdir``).
        return {"secrets": dict(secrets)}
