"""A minimal secret store written against the core interface passes the suite."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelmesh.interfaces.secret_store import SecretManagement, SecretNotFoundError, SecretStore
from modelmesh_cdk.testing.suites import SecretStoreTests


class DictSecretStore(SecretStore, SecretManagement):
    def __init__(self, options: Mapping[str, Any]) -> None:
        self._secrets = dict(options["secrets"])
        self._fail_on_missing = options.get("fail_on_missing", True)

    def get(self, name: str) -> str:
        if name in self._secrets:
            return self._secrets[name]
        if self._fail_on_missing:
            raise SecretNotFoundError(name)
        return ""

    def set(self, name: str, value: str) -> None:
        self._secrets[name] = value

    def list(self) -> list[str]:
        return list(self._secrets)

    def delete(self, name: str) -> None:
        if self._secrets.pop(name, None) is None:
            raise SecretNotFoundError(name)


class TestDictSecretStore(SecretStoreTests):
    connector_class = DictSecretStore

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        return {"secrets": secrets}
