"""Secrets from a JSON file, for teams that keep one file per deployment with every
environment's keys in it: ``json_path`` ("prod.llm") picks the nested object this
store reads, so one file can serve several configurations.

Below that scope a nested key is addressed with dots: ``openai.api_key`` reads
``{"openai": {"api_key": ...}}``. A key that itself contains a dot is found first, as
written. Secret values must be JSON strings. The file is read again whenever a secret
is not in the cache, so an edited file is picked up once the cache TTL has passed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from modelmesh.clock import Clock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.secret_store import SecretNotFoundError
from modelmesh_cdk.base.secret_store import BaseSecretStore, SecretStoreConfig
from modelmesh_cdk.mixins.file_serializer import FileSerializerMixin

__all__ = ["JsonSecretsConfig", "JsonSecretsSecretStore"]


@attrs.frozen
class JsonSecretsConfig(SecretStoreConfig):
    file_path: str = attrs.field(kw_only=True)
    json_path: str = ""


class JsonSecretsSecretStore(FileSerializerMixin, BaseSecretStore):
    """Resolves ``${secrets:NAME}`` from a JSON file, within the ``json_path`` scope.

    A missing file, invalid JSON (reported by line and column) or a scope that is not
    an object is an error naming the file, never showing its contents. Management
    rewrites the whole file atomically, keeping everything outside the scope; ``set``
    creates the objects a dotted name needs.
    """

    config_class = JsonSecretsConfig
    config: JsonSecretsConfig

    def __init__(
        self,
        config: JsonSecretsConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self._path = Path(self.config.file_path)
        json_path = self.config.json_path
        self._scope_keys = json_path.split(".") if json_path else []
        self._scope(self._document())  # a bad file or scope fails while the configuration loads

    def _error(self, problem: str, fix: str) -> ConfigurationError:
        return ConfigurationError(
            f"JSON secrets file {str(self._path)!r} {problem}; {fix}",
            details={"file_path": str(self._path), "json_path": self.config.json_path},
        )

    def _document(self) -> Any:
        try:
            raw = self._read_file(self._path)
        except FileNotFoundError:
            raise self._error("does not exist", "create it or fix the 'file_path' option") from None
        try:
            return json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise self._error("is not UTF-8 text", "save it as UTF-8") from None
        except json.JSONDecodeError as error:
            # error.msg describes the syntax only; str(error) would too, but keep to msg.
            raise self._error(
                f"is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}",
                "fix the file",
            ) from None

    def _scope(self, document: Any) -> dict[str, Any]:
        """The object ``json_path`` names inside the document."""
        node = document
        for depth, key in enumerate(self._scope_keys, start=1):
            if not isinstance(node, dict) or key not in node:
                where = ".".join(self._scope_keys[:depth])
                raise self._error(
                    f"has no object at {where!r} (json_path {self.config.json_path!r})",
                    "add it to the file or fix the 'json_path' option",
                )
            node = node[key]
        if not isinstance(node, dict):
            raise self._error(
                f"holds a {type(node).__name__} at json_path {self.config.json_path!r}, "
                "not an object",
                "point 'json_path' at an object of secrets",
            )
        return node

    def _locate(self, scope: dict[str, Any], name: str) -> tuple[dict[str, Any], str] | None:
        """The object holding ``name`` and its key there: the name as written first,
        then its dotted path."""
        if name in scope:
            return scope, name
        *parents, last = name.split(".")
        node: Any = scope
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and last in node:
            return node, last
        return None

    def _resolve(self, name: str) -> str | None:
        found = self._locate(self._scope(self._document()), name)
        if found is None:
            return None
        holder, key = found
        value = holder[key]
        if not isinstance(value, str):
            raise self._error(
                f"holds a JSON {_json_type(value)} for secret {name!r}, not a string",
                "write the secret as a JSON string",
            )
        return value

    def set(self, name: str, value: str) -> None:
        document = self._document()
        scope = self._scope(document)
        found = self._locate(scope, name)
        if found is None:
            *parents, last = name.split(".")
            holder = scope
            for key in parents:
                child = holder.setdefault(key, {})
                if not isinstance(child, dict):
                    raise self._error(
                        f"holds a JSON {_json_type(child)} at {key!r} on the way to secret "
                        f"{name!r}",
                        "move it, or name the secret without dots",
                    )
                holder = child
            found = holder, last
        holder, key = found
        if isinstance(holder.get(key), dict):
            raise self._error(
                f"holds an object at secret {name!r}",
                "name one of its keys with a dot, or delete the object first",
            )
        holder[key] = value
        self._save(document)
        self._cache_invalidate(name)

    def list(self) -> list[str]:
        return sorted(_leaf_names(self._scope(self._document())))

    def delete(self, name: str) -> None:
        document = self._document()
        found = self._locate(self._scope(document), name)
        if found is None:
            raise SecretNotFoundError(name, store=type(self).__name__)
        holder, key = found
        del holder[key]
        self._save(document)
        self._cache_invalidate(name)

    def _save(self, document: Any) -> None:
        self._atomic_write(self._path, self._serialize(document) + b"\n")

    def _repr_details(self) -> str:
        return f"file_path={str(self._path)!r}, json_path={self.config.json_path!r}"


def _leaf_names(node: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """The dotted names of every string under node."""
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _leaf_names(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            yield prefix + key


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {dict: "object", list: "array", type(None): "null"}.get(type(value), "value")
