"""Secrets from a ``.env`` file, for local development where keys live in a file kept
out of version control rather than in the shell.

The file is read again whenever a secret is not in the cache, so an edited file is
picked up once the cache TTL has passed. By default the process environment wins over
the file (a deployment can override a developer's file without editing it);
``override: true`` makes the file win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import attrs

from modelmesh.clock import Clock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.secret_store import SecretNotFoundError
from modelmesh_cdk.base.secret_store import BaseSecretStore, SecretStoreConfig
from modelmesh_cdk.mixins.file_serializer import FileSerializerMixin
from modelmesh_plugin_dotenv.parser import DotenvSyntaxError, Line, format_assignment, parse

__all__ = ["DotenvConfig", "DotenvSecretStore"]


@attrs.frozen
class DotenvConfig(SecretStoreConfig):
    path: str = ".env"
    override: bool = False


class DotenvSecretStore(FileSerializerMixin, BaseSecretStore):
    """Resolves ``${secrets:NAME}`` from a ``.env`` file and the process environment.

    A missing file is an error naming it, unless ``fail_on_missing`` is off: then the
    store starts empty and ``set`` creates the file. Management writes the file
    atomically, keeping every other line as it was; ``list`` names the file's keys.
    """

    config_class = DotenvConfig
    config: DotenvConfig

    def __init__(
        self,
        config: DotenvConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        environ: MutableMapping[str, str] | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self._path = Path(self.config.path)
        self._environ = os.environ if environ is None else environ
        self._lines()  # a missing or malformed file fails now, while the configuration loads

    def _lines(self) -> list[Line]:
        try:
            text = self._read_file(self._path).decode("utf-8")
        except FileNotFoundError:
            if not self.config.fail_on_missing:
                return []
            raise ConfigurationError(
                f"dotenv file {str(self._path)!r} does not exist; create it or set the "
                "secret store's 'path' option",
                details={"path": str(self._path)},
            ) from None
        except UnicodeDecodeError:
            raise ConfigurationError(
                f"dotenv file {str(self._path)!r} is not UTF-8 text; save it as UTF-8",
                details={"path": str(self._path)},
            ) from None
        try:
            return parse(text, source=f"dotenv file {str(self._path)!r}")
        except DotenvSyntaxError as error:
            raise ConfigurationError(str(error), details={"path": str(self._path)}) from None

    def _file_values(self) -> dict[str, str]:
        # Later assignments win, as when the file is sourced by a shell.
        return {line.key: line.value for line in self._lines() if line.key is not None}

    def _resolve(self, name: str) -> str | None:
        from_file = self._file_values().get(name)
        from_environment = self._environ.get(name)
        if self.config.override:
            return from_file if from_file is not None else from_environment
        return from_environment if from_environment is not None else from_file

    def set(self, name: str, value: str) -> None:
        """Replace the key's line (its first one; later repeats are dropped) or append one."""
        lines = self._lines()
        written: list[str] = []
        replaced = False
        for line in lines:
            if line.key != name:
                written.append(line.text)
            elif not replaced:
                written.append(format_assignment(name, value, exported=line.exported))
                replaced = True
        if not replaced:
            written.append(format_assignment(name, value))
        self._write(written)
        self._cache_invalidate(name)

    def list(self) -> list[str]:
        return sorted(self._file_values())

    def delete(self, name: str) -> None:
        """Remove every line assigning the key; the environment is left alone."""
        lines = self._lines()
        if not any(line.key == name for line in lines):
            raise SecretNotFoundError(name, store=type(self).__name__)
        self._write([line.text for line in lines if line.key != name])
        self._cache_invalidate(name)

    def _write(self, lines: list[str]) -> None:
        self._atomic_write(self._path, "".join(f"{line}\n" for line in lines).encode("utf-8"))

    def _repr_details(self) -> str:
        return f"path={str(self._path)!r}, override={self.config.override}"
