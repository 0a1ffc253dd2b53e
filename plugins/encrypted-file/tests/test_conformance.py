"""EncryptedFileSecretStore passes ModelMesh's standard secret-store tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import SecretStoreTests
from modelmesh_plugin_encrypted_file.connector import EncryptedFileSecretStore

FAST = {"passphrase": "conformance passphrase", "kdf_iterations": 1_000}


class TestEncryptedFileSecretStore(SecretStoreTests):
    connector_class = EncryptedFileSecretStore

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        options = {"file_path": str(workdir / "secrets.enc.json"), **FAST}
        writer = EncryptedFileSecretStore(options)
        for name, value in secrets.items():
            writer.set(name, value)
        return options
