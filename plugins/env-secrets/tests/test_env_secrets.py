"""The environment store's own rules: the prefix, name normalisation, management on
the process environment, the cache on an injected clock, and no value shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh_plugin_env_secrets.connector import EnvSecretsSecretStore, normalise_name


def test_a_name_is_read_from_the_prefixed_variable() -> None:
    store = EnvSecretsSecretStore({"prefix": "MODELMESH_"}, environ={"MODELMESH_KEY": "v-1"})
    assert store.get("KEY") == "v-1"


def test_an_unprefixed_variable_is_not_read_when_a_prefix_is_set() -> None:
    store = EnvSecretsSecretStore({"prefix": "MODELMESH_"}, environ={"KEY": "v-1"})
    with pytest.raises(KeyError):
        store.get("KEY")


def test_a_name_falls_back_to_its_normalised_form() -> None:
    store = EnvSecretsSecretStore(environ={"OPENAI_API_KEY": "sk-1"})
    assert store.get("openai.api-key") == "sk-1"


def test_the_name_as_given_wins_over_its_normalised_form() -> None:
    store = EnvSecretsSecretStore(environ={"api-key": "exact", "API_KEY": "normalised"})
    assert store.get("api-key") == "exact"


def test_normalisation_applies_after_the_prefix() -> None:
    store = EnvSecretsSecretStore({"prefix": "MM_"}, environ={"MM_DB_PASSWORD": "pw-1"})
    assert store.get("db.password") == "pw-1"


@given(st.text(alphabet="abcXYZ019-._", min_size=1))
def test_normalised_names_hold_only_shell_characters(name: str) -> None:
    assert set(normalise_name(name)) <= set("ABCXYZ019_")


def test_set_creates_the_normalised_variable() -> None:
    environ: dict[str, str] = {}
    EnvSecretsSecretStore({"prefix": "MM_"}, environ=environ).set("db.password", "pw-2")
    assert environ == {"MM_DB_PASSWORD": "pw-2"}


def test_set_replaces_the_variable_get_reads() -> None:
    environ = {"api-key": "old"}
    EnvSecretsSecretStore(environ=environ).set("api-key", "new")
    assert environ == {"api-key": "new"}


def test_delete_removes_the_normalised_variable() -> None:
    environ = {"API_KEY": "sk-1"}
    EnvSecretsSecretStore(environ=environ).delete("api-key")
    assert environ == {}


def test_list_names_prefixed_variables_without_the_prefix() -> None:
    environ = {"MM_A": "1", "MM_B": "2", "PATH": "/bin"}
    assert EnvSecretsSecretStore({"prefix": "MM_"}, environ=environ).list() == ["A", "B"]


def test_a_changed_variable_is_seen_after_the_cache_ttl() -> None:
    clock = ManualClock()
    environ = {"API_KEY": "old-1"}
    store = EnvSecretsSecretStore({"cache_ttl": "60s"}, clock=clock, environ=environ)
    store.get("API_KEY")
    environ["API_KEY"] = "new-2"
    clock.advance(61)
    assert store.get("API_KEY") == "new-2"


def test_a_changed_variable_is_not_seen_within_the_cache_ttl() -> None:
    clock = ManualClock()
    environ = {"API_KEY": "old-1"}
    store = EnvSecretsSecretStore({"cache_ttl": "60s"}, clock=clock, environ=environ)
    store.get("API_KEY")
    environ["API_KEY"] = "new-2"
    clock.advance(59)
    assert store.get("API_KEY") == "old-1"


def test_repr_shows_no_value() -> None:
    store = EnvSecretsSecretStore({"prefix": "MM_"}, environ={"MM_KEY": "sk-hidden-9"})
    store.get("KEY")
    assert "sk-hidden-9" not in repr(store)


def test_an_unknown_option_is_refused_naming_it() -> None:
    with pytest.raises(ConfigurationError, match="prefx"):
        EnvSecretsSecretStore({"prefx": "MM_"})


def test_set_under_one_spelling_is_read_back_under_another_at_once() -> None:
    store = EnvSecretsSecretStore(environ={"API_KEY": "old"})
    store.get("api-key")
    store.set("API_KEY", "new")
    assert store.get("api-key") == "new"
