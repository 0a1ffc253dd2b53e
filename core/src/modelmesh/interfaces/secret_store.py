"""Secret stores: where ``${secrets:NAME}`` references in the configuration resolve.

Resolution is synchronous because it happens while the configuration loads, before
any event loop work starts, and stores cache what they read. Errors name the secret,
never its value.
"""

from __future__ import annotations

import abc

from modelmesh.errors import ModelMeshError


class SecretNotFoundError(ModelMeshError, KeyError):
    """A secret the configuration needs is not in the store."""

    def __init__(self, name: str, *, store: str | None = None) -> None:
        where = f" in secret store {store}" if store else ""
        super().__init__(
            f"secret {name!r} not found{where}; add it to the store or fix the reference",
            details={"secret": name, "store": store},
        )
        self.name = name
        self.store = store

    def __str__(self) -> str:
        # KeyError would repr() the message; keep it readable.
        return self.message


class SecretStore(abc.ABC):
    """Resolves secret names to values."""

    @abc.abstractmethod
    def get(self, name: str) -> str:
        """The secret's value.

        A missing secret raises KeyError (SecretNotFoundError is one) naming it when
        the store's ``fail_on_missing`` option is on (the default), and returns ``""``
        when it is off.
        """


class SecretManagement(abc.ABC):
    """Optional write access, for the ``modelmesh secrets`` command and key rotation."""

    @abc.abstractmethod
    def set(self, name: str, value: str) -> None:
        """Store or replace a secret."""

    @abc.abstractmethod
    def list(self) -> list[str]:
        """The names of all secrets, never their values."""

    @abc.abstractmethod
    def delete(self, name: str) -> None:
        """Remove a secret; KeyError naming it if there is none."""
