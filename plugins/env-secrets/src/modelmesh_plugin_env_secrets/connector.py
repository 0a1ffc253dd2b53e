"""Secrets from the process environment: ModelMesh's default store, because every
deployment (containers, CI, a shell) can set environment variables without extra tools.

A name is looked up as given and, when no such variable exists, in its normalised
form: upper case, with ``-`` and ``.`` replaced by ``_`` (``openai.api-key`` finds
``OPENAI_API_KEY``), since configurations name secrets in the style of their keys
while shells only allow letters, digits and ``_``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import attrs

from modelmesh.clock import Clock
from modelmesh.interfaces.secret_store import SecretNotFoundError
from modelmesh_cdk.base.secret_store import BaseSecretStore, SecretStoreConfig

__all__ = ["EnvSecretsConfig", "EnvSecretsSecretStore", "normalise_name"]


def normalise_name(name: str) -> str:
    """The environment-variable spelling of a secret name."""
    return name.upper().replace("-", "_").replace(".", "_")


@attrs.frozen
class EnvSecretsConfig(SecretStoreConfig):
    """``prefix`` is put before every name: with ``MODELMESH_``, secret ``X`` is read
    from ``MODELMESH_X``, so ModelMesh's keys stay apart from the rest of the environment."""

    prefix: str = ""


class EnvSecretsSecretStore(BaseSecretStore):
    """Resolves ``${secrets:NAME}`` from environment variables.

    Management (``set``, ``delete``) changes this process's environment only: it is
    inherited by child processes started afterwards and lost when the process ends.
    ``list`` names the variables carrying the prefix, without it.
    """

    config_class = EnvSecretsConfig
    config: EnvSecretsConfig

    def __init__(
        self,
        config: EnvSecretsConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        environ: MutableMapping[str, str] | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        # Tests pass their own mapping so they never touch the real environment.
        self._environ = os.environ if environ is None else environ

    def _variables(self, name: str) -> Iterator[str]:
        """The variables that may hold ``name``, in lookup order."""
        yield self.config.prefix + name
        normalised = normalise_name(name)
        if normalised != name:
            yield self.config.prefix + normalised

    def _variable(self, name: str) -> str | None:
        """The variable that holds ``name`` now, or None."""
        return next((key for key in self._variables(name) if key in self._environ), None)

    def _resolve(self, name: str) -> str | None:
        variable = self._variable(name)
        return None if variable is None else self._environ[variable]

    def set(self, name: str, value: str) -> None:
        """Replace the variable ``get`` reads, or create the normalised one, so a shell
        started from this process can read it too."""
        variable = self._variable(name) or self.config.prefix + normalise_name(name)
        self._environ[variable] = value
        self._cache_clear()  # other spellings of the name may be cached too

    def list(self) -> list[str]:
        prefix = self.config.prefix
        return sorted(key[len(prefix) :] for key in self._environ if key.startswith(prefix))

    def delete(self, name: str) -> None:
        variable = self._variable(name)
        if variable is None:
            raise SecretNotFoundError(name, store=type(self).__name__)
        del self._environ[variable]
        self._cache_clear()  # other spellings of the name may be cached too

    def _repr_details(self) -> str:
        return f"prefix={self.config.prefix!r}"
