"""DotenvSecretStore passes ModelMesh's standard secret-store tests on a real file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from modelmesh_cdk.testing.suites import SecretStoreTests
from modelmesh_cdk.testing.suites.secret_store import KNOWN_SECRETS
from modelmesh_plugin_dotenv.connector import DotenvSecretStore
from modelmesh_plugin_dotenv.parser import format_assignment


@pytest.fixture(autouse=True)
def no_suite_secrets_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment wins over the file by default: a developer's own OPENAI_API_KEY
    must not stand in for the file's."""
    for name in [*KNOWN_SECRETS, "ABSENT_TOKEN", "NEW_SECRET"]:
        monkeypatch.delenv(name, raising=False)


class TestDotenvSecretStore(SecretStoreTests):
    connector_class = DotenvSecretStore

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        path = workdir / ".env"
        path.write_text(
            "".join(f"{format_assignment(k, v)}\n" for k, v in secrets.items()), encoding="utf-8"
        )
        return {"path": str(path)}
