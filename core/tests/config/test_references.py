"""${VAR}, ${VAR:-default}, ${secrets:NAME} and $${ inside string values."""

from __future__ import annotations

import pytest
import yaml

from modelmesh.config import ConfigError, load_config
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.redaction import Secret

PROVIDER = {"openai.llm.v1": {"api_key": "${secrets:OPENAI_KEY}"}}


def test_an_environment_reference_is_substituted() -> None:
    config = load_config(
        {"providers": {"openai.llm.v1": {"base_url": "https://${HOST}/api"}}},
        environ={"HOST": "gateway.local"},
    )
    assert config.providers["openai.llm.v1"].base_url == "https://gateway.local/api"


def test_a_default_applies_when_the_variable_is_unset() -> None:
    config = load_config({"proxy": {"host": "${BIND:-0.0.0.0}"}}, environ={})
    assert config.proxy.host == "0.0.0.0"


def test_a_whole_reference_is_read_as_a_yaml_scalar_for_typed_fields(write_yaml) -> None:
    path = write_yaml("proxy:\n  port: ${PORT}\n  cors:\n    enabled: ${CORS}\n")
    config = load_config(path, environ={"PORT": "9090", "CORS": "true"})
    assert config.proxy.port == 9090
    assert config.proxy.cors.enabled is True


def test_a_whole_reference_keeps_its_text_for_string_fields() -> None:
    config = load_config(
        {
            "models": {"x.m": {"provider": "p", "name": "${NAME}"}},
            "providers": {"p": {"connector": "x.llm.v1"}},
        },
        environ={"NAME": "0123"},
    )
    assert config.models["x.m"].name == "0123"


def test_a_whole_reference_becomes_a_scalar_inside_connector_options() -> None:
    config = load_config({"storage": {"port": "${REDIS_PORT}"}}, environ={"REDIS_PORT": "6379"})
    assert config.storage.options == {"port": 6379}


def test_a_quoted_number_written_literally_is_not_an_int(config_issues) -> None:
    issue = config_issues({"proxy": {"port": "8080"}})["proxy.port"]
    assert issue.message == "expected a whole number, got '8080'"


def test_double_dollar_is_a_literal(write_yaml) -> None:
    path = write_yaml("proxy:\n  host: 'a$${HOST}b'\n")
    assert load_config(path, environ={"HOST": "x"}).proxy.host == "a${HOST}b"


def test_a_missing_variable_names_it_and_the_path_once(config_issues) -> None:
    issues = config_issues({"proxy": {"port": "${PORT}"}}, environ={})
    assert list(issues) == ["proxy.port"]
    assert "environment variable 'PORT' is not set" in issues["proxy.port"].message


def test_an_unterminated_reference_is_an_issue(config_issues) -> None:
    issues = config_issues({"proxy": {"host": "${HOST"}}, environ={})
    assert "unterminated reference" in issues["proxy.host"].message


COMMON_DEFAULTS = {"cache_enabled": True, "cache_ttl": 300.0, "fail_on_missing": True}


def test_a_secret_reference_resolves_through_the_configured_store(secret_registry) -> None:
    config = load_config(
        {"secrets": {"store": "modelmesh.dotenv.v1", "path": ".env.prod"}, "providers": PROVIDER},
        registry=secret_registry,
    )
    assert config.providers["openai.llm.v1"].api_key == "sk-live-123456"
    assert secret_registry.created == [
        (
            "modelmesh.dotenv.v1",
            {"path": ".env.prod", **COMMON_DEFAULTS},
            ConnectorType.SECRET_STORE,
        )
    ]


def test_a_resolved_secret_hides_itself_in_reprs(secret_registry) -> None:
    config = load_config({"providers": PROVIDER}, registry=secret_registry)
    api_key = config.providers["openai.llm.v1"].api_key
    assert isinstance(api_key, Secret)
    assert "sk-live-123456" not in repr(api_key)
    assert "sk-live-123456" not in repr(config)


def test_to_dict_writes_the_reference_never_the_secret(secret_registry) -> None:
    config = load_config(
        {"providers": {"openai.llm.v1": {"api_key": "Bearer ${secrets:OPENAI_KEY}"}}},
        registry=secret_registry,
    )
    data = config.to_dict()
    assert data["providers"]["openai.llm.v1"]["api_key"] == "Bearer ${secrets:OPENAI_KEY}"
    assert "sk-live-123456" not in yaml.safe_dump(data)


def test_a_missing_secret_names_it_and_the_store_without_any_value(
    secret_registry, config_issues
) -> None:
    source = {
        "providers": {"a.llm.v1": {"api_key": "${secrets:NOPE}"}},
        "proxy": {"auth": {"tokens": ["${secrets:PROXY_TOKEN}", "${secrets:NOPE}"]}},
    }
    issues = config_issues(source, registry=secret_registry)
    assert set(issues) == {'providers["a.llm.v1"].api_key', "proxy.auth.tokens[1]"}
    message = issues["proxy.auth.tokens[1]"].message
    assert "secret 'NOPE' not found in secret store 'modelmesh.env.v1'" in message
    assert "tok-987" not in message


def test_with_fail_on_missing_false_a_missing_secret_is_empty(secret_registry) -> None:
    config = load_config(
        {
            "secrets": {"fail_on_missing": False},
            "providers": {"a.llm.v1": {"api_key": "${secrets:NOPE}"}},
        },
        registry=secret_registry,
    )
    assert config.providers["a.llm.v1"].api_key == ""


def test_a_store_that_is_not_installed_is_an_issue_at_secrets_store(
    secret_registry, config_issues
) -> None:
    issues = config_issues(
        {"secrets": {"store": "vault.kv.v1"}, "providers": PROVIDER}, registry=secret_registry
    )
    assert "uv add modelmesh-plugin-vault" in issues["secrets.store"].message


def test_the_store_issue_points_at_the_key_the_user_wrote(secret_registry, config_issues) -> None:
    issues = config_issues(
        {"secrets": {"connector": "vault.kv.v1"}, "providers": PROVIDER}, registry=secret_registry
    )
    assert "secrets.connector" in issues


def test_no_store_is_built_without_secret_references(secret_registry) -> None:
    load_config({"secrets": {"store": "vault.kv.v1"}}, registry=secret_registry)
    assert secret_registry.created == []


def test_the_secrets_section_may_use_environment_references(secret_registry) -> None:
    load_config(
        {
            "secrets": {
                "store": "modelmesh.encrypted-file.v1",
                "passphrase": "${MODELMESH_ENCRYPTION_PASSPHRASE}",
            },
            "providers": PROVIDER,
        },
        registry=secret_registry,
        environ={"MODELMESH_ENCRYPTION_PASSPHRASE": "correct horse"},
    )
    assert secret_registry.created[0][1] == {"passphrase": "correct horse", **COMMON_DEFAULTS}


def test_the_common_secret_settings_reach_the_store(secret_registry) -> None:
    load_config(
        {
            "secrets": {"store": "modelmesh.env.v1", "cache_ttl": "10s", "fail_on_missing": False},
            "providers": PROVIDER,
        },
        registry=secret_registry,
    )
    assert secret_registry.created[0][1] == {
        "cache_enabled": True,
        "cache_ttl": 10.0,
        "fail_on_missing": False,
    }


def test_the_secrets_section_may_not_use_secret_references(secret_registry, config_issues) -> None:
    issues = config_issues({"secrets": {"passphrase": "${secrets:PASS}"}}, registry=secret_registry)
    assert "cannot be used inside 'secrets:'" in issues["secrets.passphrase"].message


def test_without_secret_resolution_references_stay_as_written(secret_registry) -> None:
    config = load_config({"providers": PROVIDER}, registry=secret_registry, resolve_secrets=False)
    assert config.providers["openai.llm.v1"].api_key == "${secrets:OPENAI_KEY}"
    assert secret_registry.created == []


def test_secret_values_never_appear_in_type_errors(secret_registry, config_issues) -> None:
    issues = config_issues({"proxy": {"port": "${secrets:OPENAI_KEY}"}}, registry=secret_registry)
    assert "sk-live-123456" not in issues["proxy.port"].message
    assert "not shown" in issues["proxy.port"].message


def test_values_at_secret_looking_keys_are_never_echoed(config_issues) -> None:
    issues = config_issues({"providers": {"a.llm.v1": {"api_key": 9876543210}}})
    message = issues['providers["a.llm.v1"].api_key'].message
    assert message.startswith("expected a string")
    assert "9876543210" not in message


def test_a_registry_is_created_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch, secret_registry
) -> None:
    import modelmesh.registry

    monkeypatch.setattr(modelmesh.registry, "ConnectorRegistry", lambda: secret_registry)
    config = load_config({"providers": PROVIDER})
    assert config.providers["openai.llm.v1"].api_key == "sk-live-123456"


def test_the_error_lists_every_issue_one_per_line(config_issues) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config({"proxy": {"port": "${A}", "host": "${B}"}}, environ={})
    lines = str(raised.value).splitlines()
    assert lines == [str(issue) for issue in raised.value.issues]
    assert len(lines) == 2
