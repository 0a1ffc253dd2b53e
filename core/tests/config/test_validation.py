"""Every issue names its YAML path and what was expected; all are reported at once."""

from __future__ import annotations

import pytest

from modelmesh.config import ConfigError, ConfigIssue, load_config
from modelmesh.errors import ConfigurationError

BASE = {
    "providers": {"openai.llm.v1": {}, "anthropic.claude.v1": {}},
    "models": {
        "openai.gpt-4o": {"provider": "openai.llm.v1"},
        "anthropic.claude-sonnet": {"provider": "anthropic.claude.v1"},
    },
}


def _with_pool(pool: dict) -> dict:
    return {**BASE, "pools": {"chat": pool}}


def test_config_error_is_a_configuration_error_holding_issues() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config({"proxy": {"port": 0}})
    assert isinstance(raised.value, ConfigError)
    assert raised.value.issues == [
        ConfigIssue("proxy.port", "must be between 1 and 65535, got 0", None, None)
    ]


def test_issue_strings_read_file_line_path_message(write_yaml) -> None:
    path = write_yaml("proxy:\n  port: 0\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}:2: proxy.port: must be between 1 and 65535, got 0"


def test_keys_with_dots_are_written_in_brackets(config_issues) -> None:
    issues = config_issues({"providers": {"openai.llm.v1": {"enabled": "yes please"}}})
    assert 'providers["openai.llm.v1"].enabled' in issues


# --- cross references ---------------------------------------------------------------------


def test_a_pool_model_must_be_configured(config_issues) -> None:
    issues = config_issues(_with_pool({"models": ["openai.gpt-4o", "openai.gpt4o"]}))
    assert issues["pools.chat.models[1]"].message == (
        "unknown model 'openai.gpt4o' (did you mean 'openai.gpt-4o'?)"
    )


def test_without_a_close_match_the_configured_names_are_listed(config_issues) -> None:
    issues = config_issues(_with_pool({"models": ["zzz"]}))
    assert "configured models: anthropic.claude-sonnet, openai.gpt-4o" in (
        issues["pools.chat.models[0]"].message
    )


def test_a_model_provider_must_be_configured(config_issues) -> None:
    issues = config_issues({**BASE, "models": {"x.y": {"provider": "openai.llm.v2"}}})
    assert "(did you mean 'openai.llm.v1'?)" in issues['models["x.y"].provider'].message


def test_a_model_needs_a_provider(config_issues) -> None:
    issues = config_issues({**BASE, "models": {"x.y": {"name": "y"}}})
    assert issues['models["x.y"].provider'].message == "this key is required"


@pytest.mark.parametrize("key", ["providers", "excluded_providers", "provider_priority"])
def test_pool_provider_lists_must_name_configured_providers(key: str, config_issues) -> None:
    issues = config_issues(_with_pool({key: ["openai.llm.v1", "mistral.api.v1"]}))
    assert f"pools.chat.{key}[1]" in issues


def test_discovery_providers_must_be_configured(config_issues) -> None:
    issues = config_issues({**BASE, "discovery": {"health": {"providers": ["nope.x.v1"]}}})
    assert "discovery.health.providers[0]" in issues


# --- unknown keys and types ---------------------------------------------------------------


def test_an_unknown_top_level_key_suggests_the_closest_section(config_issues) -> None:
    issues = config_issues({"provders": {}})
    assert issues["provders"].message == "unknown key 'provders' (did you mean 'providers'?)"


def test_an_unknown_key_without_a_close_match_lists_the_valid_keys(config_issues) -> None:
    issues = config_issues({"proxy": {"tls": True}})
    assert issues["proxy.tls"].message == (
        "unknown key 'tls'; expected one of: auth, cors, endpoints, host, port"
    )


def test_an_unknown_key_in_a_closed_section_is_an_issue(config_issues) -> None:
    issues = config_issues(_with_pool({"retry": {"max_attemps": 5}}))
    assert "(did you mean 'max_attempts'?)" in issues["pools.chat.retry.max_attemps"].message


@pytest.mark.parametrize(
    ("pool", "path", "message"),
    [
        ({"latency_window": True}, "latency_window", "expected a whole number, got true"),
        ({"latency_window": 2.5}, "latency_window", "expected a whole number, got 2.5"),
        (
            {"retry": {"honor_retry_after": "yes"}},
            "retry.honor_retry_after",
            "expected true or false, got 'yes'",
        ),
        (
            {"rate_limit": {"threshold": "high"}},
            "rate_limit.threshold",
            "expected a number, got 'high'",
        ),
        (
            {"session_header": 12},
            "session_header",
            "expected a string (put quotes around the value in YAML), got 12",
        ),
        ({"models": "openai.gpt-4o"}, "models", "expected a list, got 'openai.gpt-4o'"),
        ({"retry": 3}, "retry", "expected a mapping, got 3"),
    ],
)
def test_wrong_types_say_what_was_expected(pool, path, message, config_issues) -> None:
    assert config_issues(_with_pool(pool))[f"pools.chat.{path}"].message == message


def test_a_bad_enum_lists_the_allowed_values(config_issues) -> None:
    issues = config_issues(_with_pool({"retry": {"backoff": "exponential"}}))
    assert issues["pools.chat.retry.backoff"].message == (
        "expected one of: exponential_jitter, fixed, retry_after, got 'exponential' "
        "(did you mean 'exponential_jitter'?)"
    )


@pytest.mark.parametrize(
    ("pool", "path", "fragment"),
    [
        ({"retry": {"max_attempts": 0}}, "retry.max_attempts", "must be at least 1"),
        (
            {"deactivation": {"error_rate_threshold": 1.5}},
            "deactivation.error_rate_threshold",
            "must be between 0 and 1",
        ),
        (
            {"deactivation": {"error_codes": [429, 42]}},
            "deactivation.error_codes[1]",
            "HTTP status code",
        ),
        (
            {"deactivation": {"maintenance_window": "0 2 * *"}},
            "deactivation.maintenance_window",
            "needs 5 fields",
        ),
        ({"recovery": {"cooldown": "-1s"}}, "recovery.cooldown", "zero or more seconds"),
        ({"recovery": {"cooldown": "1 fortnight"}}, "recovery.cooldown", "ms, s, m, h, d"),
        (
            {"retry": {"initial_delay": "5s", "max_delay": "1s"}},
            "retry.max_delay",
            "must be at least initial_delay",
        ),
        ({"strategy": "Acme.Fancy.v1"}, "strategy", "unknown strategy"),
    ],
)
def test_out_of_range_values_are_issues(pool, path, fragment, config_issues) -> None:
    assert fragment in config_issues(_with_pool(pool))[f"pools.chat.{path}"].message


def test_a_bad_connector_id_says_why(config_issues) -> None:
    issues = config_issues({"storage": {"connector": "Redis"}})
    assert "connector IDs are lowercase" in issues["storage.connector"].message


def test_base_url_must_be_http_or_https(config_issues) -> None:
    issues = config_issues({"providers": {"a.llm.v1": {"base_url": "ftp://x"}}})
    assert "http:// or https:// URL" in issues['providers["a.llm.v1"].base_url'].message


def test_plugin_patterns_are_connector_ids_or_globs(config_issues) -> None:
    config = load_config({"plugins": {"allow": ["openai.*", "provider:openai.llm.v1"]}})
    assert config.plugins.allow == ("openai.*", "provider:openai.llm.v1")
    issues = config_issues({"plugins": {"deny": ["openai.llm.v1", "openai"]}})
    assert "or use a glob" in issues["plugins.deny[1]"].message


def test_proxy_auth_enabled_without_tokens_is_an_issue(config_issues) -> None:
    issues = config_issues({"proxy": {"auth": {"enabled": True}}})
    assert "no tokens are configured" in issues["proxy.auth.tokens"].message


# --- all at once ---------------------------------------------------------------------------


def test_every_issue_is_reported_in_one_error(write_yaml) -> None:
    path = write_yaml(
        """
        provders: {}
        models:
          x.m: {provider: nobody}
        pools:
          chat:
            models: [ghost]
            retry: {max_attempts: 0, backoff: sometimes}
            recovery: {cooldown: soon}
        proxy:
          port: 99999
          port: 1
        """
    )
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert [(issue.line, issue.path) for issue in raised.value.issues] == [
        (1, "provders"),
        (3, 'models["x.m"].provider'),
        (6, "pools.chat.models[0]"),
        (7, "pools.chat.retry.max_attempts"),
        (7, "pools.chat.retry.backoff"),
        (8, "pools.chat.recovery.cooldown"),
        (10, "proxy.port"),
        (11, "proxy.port"),
    ]
