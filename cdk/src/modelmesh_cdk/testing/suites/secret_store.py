"""The standard tests every secret store passes.

Resolution must return what was stored and fail by naming the secret, never by
showing a value; nothing the store prints may carry a value; management, when
offered, must be read back by resolution at once (no stale cache).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from modelmesh.interfaces.secret_store import SecretManagement, SecretStore
from modelmesh_cdk.testing.suites.guard import StandardSuite

KNOWN_SECRETS = {"OPENAI_API_KEY": "sk-test-4f9c2e7ab1", "DB_PASSWORD": "correct horse battery"}
StoreFactory = Callable[..., SecretStore]


class SecretStoreTests(StandardSuite, standard=True):
    """Subclass with ``connector_class`` and ``connector_options(secrets, workdir)``."""

    # What the author declares

    @property
    def connector_class(self) -> type[SecretStore]:
        raise NotImplementedError("set connector_class to the secret store under test")

    def connector_options(self, secrets: Mapping[str, str], workdir: Path) -> dict[str, Any]:
        """Options for a store holding exactly ``secrets``; write files into ``workdir``
        if the store reads them. The suite adds ``fail_on_missing``."""
        raise NotImplementedError("return options for a store holding the given secrets")

    @property
    def supports_management(self) -> bool:
        return issubclass(self.connector_class, SecretManagement)

    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> StoreFactory:
        """``store_factory(secrets, fail_on_missing=True)`` builds a store holding them."""

        def build(secrets: Mapping[str, str], *, fail_on_missing: bool = True) -> SecretStore:
            options = self.connector_options(secrets, tmp_path)
            return self.connector_class({**options, "fail_on_missing": fail_on_missing})  # type: ignore[call-arg]

        return build

    def _managed(self, store_factory: StoreFactory) -> Any:
        if not self.supports_management:
            pytest.skip("the connector declares supports_management = False")
        return store_factory(KNOWN_SECRETS)

    # Standard tests: resolution

    @pytest.mark.parametrize("name", sorted(KNOWN_SECRETS))
    def test_get_returns_the_stored_value(self, store_factory: StoreFactory, name: str) -> None:
        assert store_factory(KNOWN_SECRETS).get(name) == KNOWN_SECRETS[name]

    def test_missing_secret_raises_key_error_naming_it(self, store_factory: StoreFactory) -> None:
        with pytest.raises(KeyError) as caught:
            store_factory(KNOWN_SECRETS).get("ABSENT_TOKEN")
        assert "ABSENT_TOKEN" in str(caught.value)

    def test_missing_secret_error_shows_no_value(self, store_factory: StoreFactory) -> None:
        with pytest.raises(KeyError) as caught:
            store_factory(KNOWN_SECRETS).get("ABSENT_TOKEN")
        shown = f"{caught.value!s} {caught.value!r} {caught.value.args!r}"
        assert not [value for value in KNOWN_SECRETS.values() if value in shown]

    def test_missing_secret_is_empty_without_fail_on_missing(
        self, store_factory: StoreFactory
    ) -> None:
        assert store_factory(KNOWN_SECRETS, fail_on_missing=False).get("ABSENT_TOKEN") == ""

    def test_repr_and_str_show_no_value(self, store_factory: StoreFactory) -> None:
        store = store_factory(KNOWN_SECRETS)
        for name in KNOWN_SECRETS:
            store.get(name)  # a store that caches now holds the values in memory
        shown = f"{store!r} {store!s}"
        assert not [value for value in KNOWN_SECRETS.values() if value in shown]

    # Standard tests: management

    def test_set_is_read_back_at_once(self, store_factory: StoreFactory) -> None:
        store = self._managed(store_factory)
        store.get("OPENAI_API_KEY")
        store.set("OPENAI_API_KEY", "sk-rotated-77aa")
        assert store.get("OPENAI_API_KEY") == "sk-rotated-77aa"

    def test_list_names_every_secret_and_no_value(self, store_factory: StoreFactory) -> None:
        store = self._managed(store_factory)
        store.set("NEW_SECRET", "fresh-value-5521")
        assert sorted(store.list()) == sorted([*KNOWN_SECRETS, "NEW_SECRET"])

    def test_delete_removes_the_secret(self, store_factory: StoreFactory) -> None:
        store = self._managed(store_factory)
        store.get("DB_PASSWORD")
        store.delete("DB_PASSWORD")
        with pytest.raises(KeyError):
            store.get("DB_PASSWORD")

    def test_delete_of_a_missing_secret_raises_key_error_naming_it(
        self, store_factory: StoreFactory
    ) -> None:
        store = self._managed(store_factory)
        with pytest.raises(KeyError) as caught:
            store.delete("ABSENT_TOKEN")
        assert "ABSENT_TOKEN" in str(caught.value)


__all__ = ["KNOWN_SECRETS", "SecretStoreTests"]
