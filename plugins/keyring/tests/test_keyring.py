"""What the keyring store guarantees beyond the standard suite: the name index it keeps
in the keyring, separation by service, and clear errors when the keyring fails."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from modelmesh.errors import ConfigurationError
from modelmesh_plugin_keyring.connector import (
    INDEX_ENTRY,
    KeyringSecretStore,
    KeyringStoreError,
)

VALUE = "sk-live-31f0aa9e"


def test_default_service_is_modelmesh() -> None:
    KeyringSecretStore().set("A", VALUE)
    assert keyring.get_password("modelmesh", "A") == VALUE


def test_the_index_is_a_json_list_under_the_reserved_entry() -> None:
    store = KeyringSecretStore()
    store.set("B", VALUE)
    store.set("A", VALUE)
    assert json.loads(keyring.get_password("modelmesh", INDEX_ENTRY)) == ["A", "B"]


def test_the_index_entry_is_not_listed_or_resolved() -> None:
    store = KeyringSecretStore({"fail_on_missing": False})
    store.set("A", VALUE)
    assert store.list() == ["A"]
    assert store.get(INDEX_ENTRY) == ""


def test_the_reserved_name_cannot_be_set() -> None:
    with pytest.raises(ValueError, match="reserved"):
        KeyringSecretStore().set(INDEX_ENTRY, VALUE)


def test_services_are_separate() -> None:
    KeyringSecretStore({"service_name": "team-a"}).set("A", VALUE)
    other = KeyringSecretStore({"service_name": "team-b"})
    assert other.list() == []
    with pytest.raises(KeyError, match="'A'"):
        other.get("A")


def test_an_entry_added_outside_the_store_is_resolved() -> None:
    keyring.set_password("modelmesh", "MADE_BY_HAND", VALUE)
    assert KeyringSecretStore().get("MADE_BY_HAND") == VALUE


def test_an_entry_deleted_outside_the_store_leaves_the_index_on_delete() -> None:
    store = KeyringSecretStore()
    store.set("A", VALUE)
    keyring.delete_password("modelmesh", "A")
    with pytest.raises(KeyError, match="'A'"):
        store.delete("A")
    assert store.list() == []


def test_a_corrupt_index_says_how_to_rebuild_it() -> None:
    keyring.set_password("modelmesh", INDEX_ENTRY, "not json")
    with pytest.raises(KeyringStoreError, match="delete that entry"):
        KeyringSecretStore().list()


def test_an_empty_service_name_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="service_name"):
        KeyringSecretStore({"service_name": ""})


def test_no_keyring_is_a_clear_error_naming_the_secret() -> None:
    keyring.set_keyring(NoKeyring())
    with pytest.raises(KeyringStoreError) as caught:
        KeyringSecretStore().get("OPENAI_API_KEY")
    message = str(caught.value)
    assert "'OPENAI_API_KEY'" in message
    assert "NoKeyringError" in message
    assert "PYTHON_KEYRING_BACKEND" in message


def test_a_failed_write_shows_no_value() -> None:
    keyring.set_keyring(NoKeyring())
    with pytest.raises(KeyringStoreError) as caught:
        KeyringSecretStore().set("OPENAI_API_KEY", VALUE)
    assert VALUE not in f"{caught.value!s} {caught.value!r}"
    assert caught.value.__cause__ is None
