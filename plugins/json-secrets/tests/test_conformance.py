"""JsonSecretsSecretStore passes ModelMesh's standard secret-store tests on a real file,
read through a json_path scope."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh_cdk.testing.suites import SecretStoreTests
from modelmesh_plugin_json_secrets.connector import JsonSecretsSecretStore


class TestJsonSecretsSecretStore(SecretStoreTests):
    connector_class = JsonSecretsSecretStore

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        path = workdir / "secrets.json"
        path.write_text(json.dumps({"prod": {"llm": dict(secrets)}}), encoding="utf-8")
        return {"file_path": str(path), "json_path": "prod.llm"}
