"""KeyringSecretStore passes ModelMesh's standard secret-store tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import SecretStoreTests
from modelmesh_plugin_keyring.connector import KeyringSecretStore


class TestKeyringSecretStore(SecretStoreTests):
    connector_class = KeyringSecretStore

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        # The keyring itself lives in workdir (the autouse file_keyring fixture).
        options = {"service_name": "modelmesh-conformance"}
        writer = KeyringSecretStore(options)
        for name, value in secrets.items():
            writer.set(name, value)
        return options
