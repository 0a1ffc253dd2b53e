"""BaseSecretStore passes the standard secret-store suite."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh_cdk.base.secret_store import BaseSecretStore
from modelmesh_cdk.testing.suites import SecretStoreTests


class TestBaseSecretStore(SecretStoreTests):
    connector_class = BaseSecretStore

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        return {"secrets": dict(secrets)}
