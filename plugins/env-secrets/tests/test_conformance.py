"""EnvSecretsSecretStore passes ModelMesh's standard secret-store tests, on the real
process environment (restored after every test)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from modelmesh_cdk.testing.suites import SecretStoreTests
from modelmesh_plugin_env_secrets.connector import EnvSecretsSecretStore

PREFIX = "MODELMESH_CONFORMANCE_"


@pytest.fixture(autouse=True)
def restored_environment() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


class TestEnvSecretsSecretStore(SecretStoreTests):
    connector_class = EnvSecretsSecretStore

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        for name, value in secrets.items():
            os.environ[PREFIX + name] = value
        return {"prefix": PREFIX}
