"""Secret stores: resolution by name, optional management, errors without values."""

from __future__ import annotations

import inspect

import pytest

from modelmesh.errors import ModelMeshError
from modelmesh.interfaces.secret_store import SecretManagement, SecretNotFoundError, SecretStore


class MemorySecrets(SecretStore, SecretManagement):
    def __init__(self, **secrets: str) -> None:
        self.secrets = dict(secrets)

    def get(self, name):
        try:
            return self.secrets[name]
        except KeyError:
            raise SecretNotFoundError(name, store="memory") from None

    def set(self, name, value):
        self.secrets[name] = value

    def list(self):
        return sorted(self.secrets)

    def delete(self, name):
        del self.secrets[name]


def test_a_store_must_implement_get():
    assert SecretStore.__abstractmethods__ == {"get"}
    with pytest.raises(TypeError, match="abstract"):
        SecretStore()  # type: ignore[abstract]


def test_management_requires_set_list_and_delete():
    assert SecretManagement.__abstractmethods__ == {"set", "list", "delete"}


@pytest.mark.parametrize("method", ["get", "set", "list", "delete"])
def test_secret_methods_are_sync_because_config_loading_is(method):
    assert not inspect.iscoroutinefunction(getattr(MemorySecrets, method))


def test_a_minimal_store_resolves_what_was_set():
    store = MemorySecrets()
    store.set("OPENAI_API_KEY", "sk-123")

    assert (store.get("OPENAI_API_KEY"), store.list()) == ("sk-123", ["OPENAI_API_KEY"])


def test_a_missing_secret_is_a_key_error_and_a_mesh_error():
    error = SecretNotFoundError("OPENAI_API_KEY")

    assert isinstance(error, KeyError)
    assert isinstance(error, ModelMeshError)


def test_a_missing_secret_error_names_the_secret_and_the_store_readably():
    assert str(SecretNotFoundError("OPENAI_API_KEY", store="modelmesh.env.v1")) == (
        "secret 'OPENAI_API_KEY' not found in secret store modelmesh.env.v1; "
        "add it to the store or fix the reference"
    )
