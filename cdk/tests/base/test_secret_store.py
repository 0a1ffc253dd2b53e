"""The secret-store base class: resolution, caching on the clock, missing secrets, reprs."""

from __future__ import annotations

import attrs
import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.secret_store import SecretNotFoundError
from modelmesh_cdk.base.secret_store import BaseSecretStore, SecretStoreConfig

VALUE = "sk-live-abcdef123456"


class CountingStore(BaseSecretStore):
    """Resolves every name to a value and counts how often the source is read."""

    reads = 0

    def _resolve(self, name: str) -> str | None:
        self.reads += 1
        return f"{VALUE}-{self.reads}"


def test_get_returns_a_configured_secret():
    assert BaseSecretStore({"secrets": {"OPENAI": VALUE}}).get("OPENAI") == VALUE


def test_a_missing_secret_raises_naming_it():
    with pytest.raises(SecretNotFoundError, match="OPENAI"):
        BaseSecretStore().get("OPENAI")


def test_a_missing_secret_is_a_key_error():
    with pytest.raises(KeyError):
        BaseSecretStore().get("OPENAI")


def test_a_missing_secret_is_empty_when_fail_on_missing_is_off():
    assert BaseSecretStore({"fail_on_missing": False}).get("OPENAI") == ""


def test_a_cached_secret_is_not_resolved_twice_within_the_ttl():
    clock = ManualClock()
    store = CountingStore({"cache_ttl": "5m"}, clock=clock)
    first = store.get("X")
    clock.advance(299)
    assert store.get("X") == first


def test_a_cached_secret_is_resolved_again_after_the_ttl():
    clock = ManualClock()
    store = CountingStore({"cache_ttl": "5m"}, clock=clock)
    first = store.get("X")
    clock.advance(301)
    assert store.get("X") != first


def test_with_the_cache_disabled_every_get_resolves():
    store = CountingStore({"cache_enabled": False}, clock=ManualClock())
    assert store.get("X") != store.get("X")


def test_clear_cache_makes_the_next_get_resolve():
    store = CountingStore(clock=ManualClock())
    first = store.get("X")
    store.clear_cache()
    assert store.get("X") != first


def test_set_replaces_a_cached_value():
    store = BaseSecretStore({"secrets": {"K": "old-value"}})
    store.get("K")
    store.set("K", "new-value")
    assert store.get("K") == "new-value"


def test_list_names_the_secrets():
    assert BaseSecretStore({"secrets": {"B": "1", "A": "2"}}).list() == ["A", "B"]


def test_delete_removes_a_secret_even_when_cached():
    store = BaseSecretStore({"secrets": {"K": VALUE}})
    store.get("K")
    store.delete("K")
    with pytest.raises(SecretNotFoundError):
        store.get("K")


def test_deleting_a_missing_secret_raises_naming_it():
    with pytest.raises(KeyError, match="K"):
        BaseSecretStore().delete("K")


def test_the_repr_never_shows_a_value():
    store = BaseSecretStore({"secrets": {"OPENAI": VALUE}})
    store.get("OPENAI")
    assert VALUE not in repr(store)


def test_the_config_repr_never_shows_a_value():
    assert VALUE not in repr(BaseSecretStore({"secrets": {"OPENAI": VALUE}}).config)


def test_the_missing_secret_error_never_shows_a_value():
    store = BaseSecretStore({"secrets": {"OPENAI": VALUE}})
    with pytest.raises(SecretNotFoundError) as caught:
        store.get("ANTHROPIC")
    assert VALUE not in str(caught.value)


@attrs.frozen
class VaultConfig(SecretStoreConfig):
    path: str = "kv/app"


class VaultStore(BaseSecretStore):
    """A store with options of its own, declared through ``config_class``."""

    config_class = VaultConfig
    config: VaultConfig

    def _repr_details(self) -> str:
        return f"path={self.config.path!r}"


def test_a_store_with_its_own_config_class_gets_its_options_and_the_common_settings():
    store = VaultStore({"path": "kv/prod", "cache_ttl": "1m", "fail_on_missing": False})
    assert (store.config.path, store.config.cache_ttl) == ("kv/prod", 60.0)
    assert store.get("OPENAI") == ""


def test_a_store_whose_config_has_no_secrets_refuses_that_option():
    with pytest.raises(ConfigurationError, match="secrets"):
        VaultStore({"secrets": {"OPENAI": VALUE}})


def test_the_repr_names_the_store_its_details_and_the_common_settings():
    assert repr(VaultStore({"cache_enabled": False})) == (
        "VaultStore(path='kv/app', cache_enabled=False, fail_on_missing=True)"
    )
