"""AwsSecretsSecretStore passes ModelMesh's standard secret-store tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from modelmesh_cdk.testing.suites import SecretStoreTests
from modelmesh_plugin_aws_secrets.connector import AwsSecretsSecretStore

REGION = "us-east-1"


class TestAwsSecretsSecretStore(SecretStoreTests):
    connector_class = AwsSecretsSecretStore

    @pytest.fixture(autouse=True)
    def _endpoint(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        # One server serves the whole session: each test gets its own prefix.
        options = {
            "region": REGION,
            "endpoint_url": self.endpoint_url,
            "prefix": f"{workdir.name}/",
        }
        writer = AwsSecretsSecretStore(options)
        for name, value in secrets.items():
            writer.set(name, value)
        return options
