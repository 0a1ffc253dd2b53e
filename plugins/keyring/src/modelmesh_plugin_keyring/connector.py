"""Secrets in the operating system's keyring through the ``keyring`` library.

Each secret is one keyring entry: service ``service_name``, username the secret's name.
A keyring cannot enumerate its entries, so the store keeps the names it manages in one
more entry of the same service, ``INDEX_ENTRY``, holding a JSON list; ``list()`` reads it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from modelmesh.clock import Clock
from modelmesh.errors import ConfigurationError, ModelMeshError
from modelmesh.interfaces.secret_store import SecretNotFoundError
from modelmesh_cdk.base.secret_store import BaseSecretStore, SecretStoreConfig

__all__ = ["INDEX_ENTRY", "KeyringConfig", "KeyringSecretStore", "KeyringStoreError"]

INDEX_ENTRY = "__modelmesh_index__"
"""The reserved entry listing the names this store manages; no secret may take it."""

T = TypeVar("T")


@attrs.frozen(kw_only=True)
class KeyringConfig(SecretStoreConfig):
    """The keyring service the secrets live under."""

    service_name: str = "modelmesh"


class KeyringStoreError(ModelMeshError):
    """The keyring refused or could not be reached; the message names the secret."""


class KeyringSecretStore(BaseSecretStore):
    """Asks the keyring backend the ``keyring`` library selects (macOS Keychain, Windows
    Credential Locker, Secret Service, or the one set with ``keyring.set_keyring``)."""

    config_class = KeyringConfig
    config: KeyringConfig

    def __init__(
        self,
        config: KeyringConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        if not self.config.service_name:
            raise ConfigurationError("service_name must not be empty (default: modelmesh)")
        self._service = self.config.service_name
        self._lock = threading.Lock()

    def _resolve(self, name: str) -> str | None:
        if name == INDEX_ENTRY:
            return None
        return self._call(f"read secret {name!r}", keyring.get_password, self._service, name)

    def set(self, name: str, value: str) -> None:
        if name == INDEX_ENTRY:
            raise ValueError(f"{INDEX_ENTRY!r} is reserved for the store's list of names")
        with self._lock:
            self._call(f"store secret {name!r}", keyring.set_password, self._service, name, value)
            names = self._index()
            if name not in names:
                self._write_index([*names, name])
        self._cache_invalidate(name)

    def list(self) -> list[str]:
        with self._lock:
            return sorted(self._index())

    def delete(self, name: str) -> None:
        if name == INDEX_ENTRY:
            raise SecretNotFoundError(name, store=type(self).__name__)
        with self._lock:
            names = self._index()
            try:
                keyring.delete_password(self._service, name)
            except PasswordDeleteError:
                if name in names:  # deleted outside the store: forget it all the same
                    self._write_index([n for n in names if n != name])
                raise SecretNotFoundError(name, store=type(self).__name__) from None
            except KeyringError as error:
                raise self._error(f"delete secret {name!r}", error) from None
            if name in names:
                self._write_index([n for n in names if n != name])
        self._cache_invalidate(name)

    def _repr_details(self) -> str:
        return f"service_name={self._service!r}"

    def _index(self) -> list[str]:
        raw = self._call(
            "read the list of secret names", keyring.get_password, self._service, INDEX_ENTRY
        )
        if raw is None:
            return []
        try:
            names = json.loads(raw)
        except ValueError:
            names = None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise KeyringStoreError(
                f"the keyring entry {INDEX_ENTRY!r} of service {self._service!r} is not a "
                "JSON list of names; delete that entry and set the secrets again to rebuild it"
            )
        return names

    def _write_index(self, names: list[str]) -> None:
        self._call(
            "update the list of secret names",
            keyring.set_password,
            self._service,
            INDEX_ENTRY,
            json.dumps(sorted(names)),
        )

    def _call(self, action: str, function: Callable[..., T], *args: Any) -> T:
        try:
            return function(*args)
        except KeyringError as error:
            raise self._error(action, error) from None

    def _error(self, action: str, error: KeyringError) -> KeyringStoreError:
        # The backend's own message is left out: some echo what they were given.
        return KeyringStoreError(
            f"keyring service {self._service!r}: cannot {action} "
            f"({type(error).__name__} from backend {type(keyring.get_keyring()).__name__}); "
            "check that a keyring is available and unlocked, or choose a backend with "
            "PYTHON_KEYRING_BACKEND"
        )
