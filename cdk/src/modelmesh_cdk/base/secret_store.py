"""The secret-store base class: a TTL cache in front of one resolution hook.

A store author overrides ``_resolve(name)`` (read a file, call a vault) and inherits
caching, the missing-secret rule and safe reprs. A store with options of its own derives
its config from ``SecretStoreConfig`` and names it in ``config_class``, so the common
settings are declared and loaded once, here. Values never appear in a repr or an error:
only names do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.interfaces.secret_store import SecretManagement, SecretNotFoundError, SecretStore
from modelmesh_cdk.mixins.cache import CacheMixin
from modelmesh_cdk.options import Duration, load_options, parse_duration

__all__ = ["BaseSecretStore", "BaseSecretStoreConfig", "SecretStoreConfig"]


def _count_secrets(secrets: Mapping[str, str]) -> str:
    return f"<{len(secrets)} secrets>"


@attrs.frozen
class SecretStoreConfig:
    """The settings every secret store honours; a store's own config derives from it."""

    cache_enabled: bool = True
    cache_ttl: Duration = attrs.field(default=300.0, converter=parse_duration)
    fail_on_missing: bool = True


@attrs.frozen
class BaseSecretStoreConfig(SecretStoreConfig):
    """The in-memory store's config: ``secrets`` are its contents."""

    secrets: Mapping[str, str] = attrs.field(factory=dict, repr=_count_secrets)


class BaseSecretStore(CacheMixin, SecretStore, SecretManagement):
    """An in-memory secret store; subclasses replace ``_resolve`` to read elsewhere.

    Management (``set``, ``list``, ``delete``) acts on the in-memory secrets and keeps
    the cache consistent with them. The options are loaded into ``config_class``; the
    in-memory secrets come from its ``secrets`` field when it has one.
    """

    config_class: ClassVar[type[SecretStoreConfig]] = BaseSecretStoreConfig

    def __init__(
        self,
        config: SecretStoreConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self._clock = clock or SYSTEM_CLOCK
        self._secrets: dict[str, str] = dict(getattr(self.config, "secrets", {}))
        self._init_cache(ttl_ms=self.config.cache_ttl * 1000)

    def get(self, name: str) -> str:
        if self.config.cache_enabled:
            cached = self._cache_get(name)
            if cached is not None:
                return cached
        value = self._resolve(name)
        if value is None:
            if self.config.fail_on_missing:
                raise SecretNotFoundError(name, store=type(self).__name__)
            return ""
        if self.config.cache_enabled:
            self._cache_set(name, value)
        return value

    def _resolve(self, name: str) -> str | None:
        """The secret's value from the backing source, or None when it has none."""
        return self._secrets.get(name)

    def clear_cache(self) -> None:
        """Forget every cached value, so the next reads go to the source (after a rotation)."""
        self._cache_clear()

    def set(self, name: str, value: str) -> None:
        self._secrets[name] = value
        self._cache_invalidate(name)

    def list(self) -> list[str]:
        return sorted(self._secrets)

    def delete(self, name: str) -> None:
        if name not in self._secrets:
            raise SecretNotFoundError(name, store=type(self).__name__)
        del self._secrets[name]
        self._cache_invalidate(name)

    def _repr_details(self) -> str:
        """What tells this store apart in a repr (``"path='.env'"``); never a value."""
        return f"secrets={len(self._secrets)}"

    def __repr__(self) -> str:
        details = self._repr_details()
        return (
            f"{type(self).__name__}({details + ', ' if details else ''}"
            f"cache_enabled={self.config.cache_enabled}, "
            f"fail_on_missing={self.config.fail_on_missing})"
        )
