"""The JSON store's own rules: json_path scoping, dotted names, clear errors that show
no value, atomic writes that keep the rest of the file, the cache on an injected clock."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh_plugin_json_secrets.connector import JsonSecretsSecretStore

DOCUMENT = {
    "prod": {"llm": {"API_KEY": "sk-prod-1", "openai": {"org": "org-prod-2"}, "a.b": "dotted"}},
    "dev": {"llm": {"API_KEY": "sk-dev-3"}},
}


def json_file(tmp_path: Path, document: Any = DOCUMENT) -> str:
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def test_json_path_scopes_the_store_to_a_nested_object(tmp_path: Path) -> None:
    store = JsonSecretsSecretStore({"file_path": json_file(tmp_path), "json_path": "dev.llm"})
    assert store.get("API_KEY") == "sk-dev-3"


def test_without_json_path_the_whole_document_is_the_scope(tmp_path: Path) -> None:
    store = JsonSecretsSecretStore({"file_path": json_file(tmp_path)})
    assert store.get("prod.llm.API_KEY") == "sk-prod-1"


def test_a_dotted_name_reads_a_nested_key(tmp_path: Path) -> None:
    store = JsonSecretsSecretStore({"file_path": json_file(tmp_path), "json_path": "prod.llm"})
    assert store.get("openai.org") == "org-prod-2"


def test_a_key_containing_a_dot_is_found_as_written(tmp_path: Path) -> None:
    store = JsonSecretsSecretStore({"file_path": json_file(tmp_path), "json_path": "prod.llm"})
    assert store.get("a.b") == "dotted"


def test_names_outside_the_scope_are_missing(tmp_path: Path) -> None:
    store = JsonSecretsSecretStore({"file_path": json_file(tmp_path), "json_path": "dev.llm"})
    with pytest.raises(KeyError):
        store.get("openai.org")


def test_list_names_nested_strings_with_dots(tmp_path: Path) -> None:
    store = JsonSecretsSecretStore({"file_path": json_file(tmp_path), "json_path": "prod.llm"})
    assert store.list() == ["API_KEY", "a.b", "openai.org"]


def test_file_path_is_required() -> None:
    with pytest.raises(ConfigurationError, match="file_path"):
        JsonSecretsSecretStore({})


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"absent\.json"):
        JsonSecretsSecretStore({"file_path": str(tmp_path / "absent.json")})


def test_bad_json_is_reported_by_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text('{\n  "API_KEY": "sk-leak-77"\n  "OTHER": "x"\n}', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"secrets\.json.*line 3, column 3"):
        JsonSecretsSecretStore({"file_path": str(path)})


def test_bad_json_errors_show_no_value(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text('{"API_KEY": "sk-leak-77" "OTHER": "x"}', encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        JsonSecretsSecretStore({"file_path": str(path)})
    assert "sk-leak-77" not in f"{caught.value!s} {caught.value.details!r}"


def test_a_missing_scope_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"'prod\.chat'"):
        JsonSecretsSecretStore({"file_path": json_file(tmp_path), "json_path": "prod.chat"})


def test_a_scope_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not an object"):
        JsonSecretsSecretStore({"file_path": json_file(tmp_path), "json_path": "prod.llm.API_KEY"})


def test_a_non_string_secret_is_refused_without_its_value(tmp_path: Path) -> None:
    store = JsonSecretsSecretStore({"file_path": json_file(tmp_path, {"PIN": 987123})})
    with pytest.raises(ConfigurationError, match=r"number for secret 'PIN'") as caught:
        store.get("PIN")
    assert "987123" not in str(caught.value)


def test_set_keeps_everything_outside_the_scope(tmp_path: Path) -> None:
    path = json_file(tmp_path)
    JsonSecretsSecretStore({"file_path": path, "json_path": "dev.llm"}).set("API_KEY", "new")
    written = json.loads(Path(path).read_text(encoding="utf-8"))
    assert written == {**DOCUMENT, "dev": {"llm": {"API_KEY": "new"}}}


def test_set_of_a_dotted_name_creates_nested_objects(tmp_path: Path) -> None:
    path = json_file(tmp_path, {})
    JsonSecretsSecretStore({"file_path": path}).set("anthropic.api_key", "sk-a")
    assert json.loads(Path(path).read_text(encoding="utf-8")) == {"anthropic": {"api_key": "sk-a"}}


def test_delete_of_a_dotted_name_removes_the_nested_key(tmp_path: Path) -> None:
    path = json_file(tmp_path)
    JsonSecretsSecretStore({"file_path": path, "json_path": "prod.llm"}).delete("openai.org")
    written = json.loads(Path(path).read_text(encoding="utf-8"))
    assert written["prod"]["llm"]["openai"] == {}


def test_an_edited_file_is_read_after_the_cache_ttl(tmp_path: Path) -> None:
    clock = ManualClock()
    path = json_file(tmp_path, {"API_KEY": "old"})
    store = JsonSecretsSecretStore({"file_path": path, "cache_ttl": "60s"}, clock=clock)
    store.get("API_KEY")
    json_file(tmp_path, {"API_KEY": "new"})
    clock.advance(61)
    assert store.get("API_KEY") == "new"


def test_an_edited_file_is_not_read_within_the_cache_ttl(tmp_path: Path) -> None:
    clock = ManualClock()
    path = json_file(tmp_path, {"API_KEY": "old"})
    store = JsonSecretsSecretStore({"file_path": path, "cache_ttl": "60s"}, clock=clock)
    store.get("API_KEY")
    json_file(tmp_path, {"API_KEY": "new"})
    clock.advance(59)
    assert store.get("API_KEY") == "old"


def test_repr_shows_no_value(tmp_path: Path) -> None:
    store = JsonSecretsSecretStore({"file_path": json_file(tmp_path), "json_path": "prod.llm"})
    store.get("API_KEY")
    assert "sk-prod-1" not in f"{store!r} {store.config!r}"


def test_set_refuses_to_replace_an_object_of_secrets(tmp_path: Path) -> None:
    path = json_file(tmp_path)
    store = JsonSecretsSecretStore({"file_path": path, "json_path": "prod.llm"})
    with pytest.raises(ConfigurationError, match="holds an object at secret 'openai'"):
        store.set("openai", "x")


@given(
    st.lists(
        st.tuples(
            st.lists(st.text("abc_", min_size=1, max_size=3), min_size=1, max_size=3),
            st.text(max_size=10),
        ),
        max_size=6,
    )
)
def test_every_set_reads_back_and_lists(pairs: list[tuple[list[str], str]]) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "secrets.json"
        path.write_text("{}", encoding="utf-8")
        store = JsonSecretsSecretStore({"file_path": str(path), "cache_enabled": False})
        expected: dict[str, str] = {}
        for parts, value in pairs:
            name = ".".join(parts)
            try:
                store.set(name, value)
            except ConfigurationError:
                continue  # a name whose prefix already holds a string, or an object
            expected[name] = value
        assert {name: store.get(name) for name in store.list()} == expected
