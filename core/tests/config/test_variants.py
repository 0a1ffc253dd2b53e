"""Every documented layout equals its canonical form."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelmesh.config import load_config
from modelmesh.config.schema import Channel, LogLevel, SyncPolicy
from modelmesh.interfaces.observability import Severity


def _load(source: dict) -> object:
    return load_config(source, environ={})


# --- providers ----------------------------------------------------------------------------


def test_flat_and_nested_providers_are_the_same() -> None:
    flat = {
        "openai.llm.v1": {
            "base_url": "https://api.openai.com",
            "timeout": "10s",
            "organization": "org-1",
        }
    }
    nested = {
        "openai.llm.v1": {
            "connector": "openai.llm.v1",
            "config": {
                "base_url": "https://api.openai.com",
                "timeout": "10s",
                "organization": "org-1",
            },
        }
    }
    assert _load({"providers": flat}) == _load({"providers": nested})


def test_the_connector_defaults_to_the_provider_key() -> None:
    config = _load({"providers": {"openai.llm.v1": {}}})
    assert config.providers["openai.llm.v1"].connector == "openai.llm.v1"


def test_a_provider_key_that_is_no_connector_id_needs_a_connector(config_issues) -> None:
    issues = config_issues({"providers": {"openai": {"api_key": "x"}}})
    assert list(issues) == ["providers.openai"]
    assert "connector: openai.llm.v1" in issues["providers.openai"].message


def test_connector_specific_keys_become_options() -> None:
    config = _load({"providers": {"openai.llm.v1": {"organization": "org-1", "project": "p"}}})
    assert config.providers["openai.llm.v1"].options == {"organization": "org-1", "project": "p"}


def test_a_key_close_to_a_known_key_is_a_typo_not_an_option(config_issues) -> None:
    issues = config_issues({"providers": {"openai.llm.v1": {"base_ulr": "https://x"}}})
    issue = issues['providers["openai.llm.v1"].base_ulr']
    assert issue.message == "unknown key 'base_ulr' (did you mean 'base_url'?)"


def test_execution_timeout_means_timeout() -> None:
    config = _load({"providers": {"a.llm.v1": {"execution": {"timeout": "5s", "max_retries": 1}}}})
    provider = config.providers["a.llm.v1"]
    assert (provider.timeout, provider.execution.max_retries) == (5.0, 1)


def test_two_different_timeouts_are_an_issue(config_issues) -> None:
    issues = config_issues(
        {"providers": {"a.llm.v1": {"timeout": "5s", "execution": {"timeout": "6s"}}}}
    )
    message = issues['providers["a.llm.v1"].execution.timeout'].message
    assert message == 'also set at providers["a.llm.v1"].timeout; set it in one place only'


def test_the_same_setting_twice_with_the_same_value_is_fine() -> None:
    config = _load({"providers": {"a.llm.v1": {"timeout": "5s", "execution": {"timeout": "5s"}}}})
    assert config.providers["a.llm.v1"].timeout == 5.0


def test_base_url_loses_a_trailing_slash_and_keeps_v1() -> None:
    config = _load({"providers": {"a.llm.v1": {"base_url": "http://localhost:8000/v1/"}}})
    assert config.providers["a.llm.v1"].base_url == "http://localhost:8000/v1"


def test_inline_models_become_models_of_their_provider() -> None:
    inline = _load(
        {
            "providers": {
                "openai.llm.v1": {
                    "config": {
                        "models": [{"id": "openai.gpt-4o", "capabilities": ["chat-completion"]}]
                    }
                }
            }
        }
    )
    declared = _load(
        {
            "providers": {"openai.llm.v1": {}},
            "models": {
                "openai.gpt-4o": {"provider": "openai.llm.v1", "capabilities": ["chat-completion"]}
            },
        }
    )
    assert inline == declared


def test_a_model_declared_inline_and_under_models_is_an_issue(config_issues) -> None:
    issues = config_issues(
        {
            "providers": {"p.llm.v1": {"models": [{"id": "p.m"}]}},
            "models": {"p.m": {"provider": "p.llm.v1"}},
        }
    )
    assert (
        "declared both here and under 'models:'"
        in issues['providers["p.llm.v1"].models[0]'].message
    )


def test_inline_model_errors_point_into_the_provider(config_issues) -> None:
    issues = config_issues(
        {"providers": {"p.llm.v1": {"models": [{"id": "p.m", "delivery": {"batch": "maybe"}}]}}}
    )
    assert 'providers["p.llm.v1"].models[0].delivery.batch' in issues


def test_an_instance_from_python_needs_no_connector() -> None:
    connector = object()
    config = load_config({"providers": {"mock": {"instance": connector}}})
    assert config.providers["mock"].instance is connector
    assert config.providers["mock"].connector is None


def test_an_instance_cannot_come_from_yaml(write_yaml, config_issues) -> None:
    issues = config_issues(write_yaml("providers:\n  a.llm.v1:\n    instance: my.module.Thing\n"))
    assert "only a Python mapping" in issues['providers["a.llm.v1"].instance'].message


# --- secrets ------------------------------------------------------------------------------


def test_secrets_store_and_connector_are_synonyms() -> None:
    assert _load({"secrets": {"store": "modelmesh.dotenv.v1", "path": ".env"}}) == _load(
        {"secrets": {"connector": "modelmesh.dotenv.v1", "config": {"path": ".env"}}}
    )


def test_store_and_connector_both_given_is_an_issue(config_issues) -> None:
    issues = config_issues(
        {"secrets": {"store": "modelmesh.env.v1", "connector": "modelmesh.dotenv.v1"}}
    )
    assert "also set at secrets.store" in issues["secrets.connector"].message


def test_a_store_option_flat_and_under_config_is_an_issue(config_issues) -> None:
    issues = config_issues({"secrets": {"prefix": "A_", "config": {"prefix": "B_"}}})
    assert "also set at secrets.prefix" in issues["secrets.config.prefix"].message


def test_secrets_options_merge_from_both_places() -> None:
    config = _load({"secrets": {"prefix": "A_", "config": {"path": ".env"}}})
    assert config.secrets.options == {"prefix": "A_", "path": ".env"}


# --- pools --------------------------------------------------------------------------------

BASE = {"providers": {"p.llm.v1": {}}, "models": {"p.a": {"provider": "p.llm.v1"}}}


def _pool(pool: dict) -> object:
    return _load({**BASE, "pools": {"chat": {"models": ["p.a"], **pool}}}).pools["chat"]


@pytest.mark.parametrize(
    "name",
    [
        "stick-until-failure",
        "priority-selection",
        "round-robin",
        "cost-first",
        "latency-first",
        "session-stickiness",
        "rate-limit-aware",
        "load-balanced",
    ],
)
def test_short_strategy_names_map_to_connector_ids(name: str) -> None:
    assert _pool({"strategy": name}).strategy == f"modelmesh.{name}.v1"


def test_a_full_connector_id_is_stored_in_its_short_form() -> None:
    assert _pool({"strategy": "rotation.acme.smart.v2"}).strategy == "acme.smart.v2"


def test_a_near_miss_strategy_gets_a_suggestion(config_issues) -> None:
    issues = config_issues({**BASE, "pools": {"chat": {"strategy": "round-robbin"}}})
    assert "(did you mean 'round-robin'?)" in issues["pools.chat.strategy"].message


def test_rotation_policy_equals_strategy() -> None:
    nested = _pool(
        {
            "rotation": {
                "policy": "latency-first",
                "selection": {"latency_window": 10, "warmup": 3},
                "deactivation": {"retry_limit": 5},
                "recovery": {"cooldown": "2m"},
                "retry": {"max_attempts": 2},
            }
        }
    )
    flat = _pool(
        {
            "strategy": "latency-first",
            "latency_window": 10,
            "strategy_options": {"warmup": 3},
            "deactivation": {"retry_limit": 5},
            "recovery": {"cooldown": 120},
            "retry": {"max_attempts": 2},
        }
    )
    assert nested == flat


def test_a_key_in_both_pool_forms_is_an_issue(config_issues) -> None:
    issues = config_issues(
        {
            **BASE,
            "pools": {
                "chat": {"retry": {"max_attempts": 2}, "rotation": {"retry": {"max_attempts": 4}}}
            },
        }
    )
    assert "also set at pools.chat.retry.max_attempts" in (
        issues["pools.chat.rotation.retry.max_attempts"].message
    )


def test_failure_threshold_is_deactivation_retry_limit() -> None:
    assert _pool({"failure_threshold": 1}).deactivation.retry_limit == 1


def test_a_single_provider_deactivation_trigger_is_a_list_of_one() -> None:
    assert _pool({"provider_deactivation": "on_api_outage"}).provider_deactivation == (
        "on_api_outage",
    )


def test_capability_defaults_to_none_meaning_the_pool_id() -> None:
    assert _pool({}).capability is None


# --- storage ------------------------------------------------------------------------------


def test_no_storage_section_keeps_state_in_memory() -> None:
    assert _load({}).storage.connector == "modelmesh.memory.v1"


def test_a_storage_section_without_connector_uses_the_local_file() -> None:
    assert _load({"storage": {"path": "state.json"}}).storage.connector == "modelmesh.local-file.v1"


def test_persistence_nesting_equals_flat_storage_keys() -> None:
    nested = _load(
        {
            "storage": {
                "connector": "modelmesh.sqlite.v1",
                "persistence": {"sync_policy": "periodic", "sync_interval": "1m", "format": "yaml"},
                "table": "t",
            }
        }
    )
    flat = _load(
        {
            "storage": {
                "connector": "modelmesh.sqlite.v1",
                "sync_policy": "periodic",
                "sync_interval": 60,
                "format": "yaml",
                "config": {"table": "t"},
            }
        }
    )
    assert nested == flat
    assert nested.storage.sync_policy is SyncPolicy.PERIODIC
    assert nested.storage.options == {"table": "t"}


# --- observability ------------------------------------------------------------------------


def test_no_observability_section_means_one_null_sink() -> None:
    (sink,) = _load({}).observability.sinks
    assert sink.connector == "modelmesh.null.v1"
    assert set(sink.channels) == set(Channel)


def test_variant_b_gives_one_sink_receiving_everything() -> None:
    (sink,) = _load(
        {
            "observability": {
                "connector": "modelmesh.console.v1",
                "config": {"use_color": False, "min_severity": "warning"},
            }
        }
    ).observability.sinks
    assert sink.connector == "modelmesh.console.v1"
    assert set(sink.channels) == set(Channel)
    assert sink.min_severity is Severity.WARNING
    assert sink.options == {"use_color": False}


def test_variant_a_sections_say_which_channel_each_sink_receives() -> None:
    sinks = _load(
        {
            "observability": {
                "routing": {"events": ["model_deactivated"]},
                "logging": {
                    "connector": "modelmesh.file.v1",
                    "level": "summary",
                    "path": "req.jsonl",
                },
                "statistics": {"connector": "modelmesh.json-log.v1", "flush_interval": "30s"},
            }
        }
    ).observability.sinks
    routing, logging, statistics = sinks
    assert (routing.connector, routing.channels, routing.events) == (
        "modelmesh.console.v1",
        (Channel.EVENTS,),
        ("model_deactivated",),
    )
    assert (logging.channels, logging.level, logging.options) == (
        (Channel.LOGS,),
        LogLevel.SUMMARY,
        {"path": "req.jsonl"},
    )
    assert (statistics.channels, statistics.flush_interval) == ((Channel.STATISTICS,), 30.0)


def test_a_list_of_sinks_equals_variant_b_for_one_sink() -> None:
    listed = _load(
        {
            "observability": {
                "connectors": [
                    {"connector": "modelmesh.webhook.v1", "url": "https://hooks.example"}
                ]
            }
        }
    )
    single = _load(
        {
            "observability": {
                "connector": "modelmesh.webhook.v1",
                "config": {"url": "https://hooks.example"},
            }
        }
    )
    canonical = _load(
        {
            "observability": {
                "sinks": [
                    {
                        "connector": "modelmesh.webhook.v1",
                        "options": {"url": "https://hooks.example"},
                    }
                ]
            }
        }
    )
    assert listed == single == canonical


def test_local_file_inside_observability_means_the_file_sink() -> None:
    (sink,) = _load({"observability": {"connector": "modelmesh.local-file.v1"}}).observability.sinks
    assert sink.connector == "modelmesh.file.v1"


def test_redaction_cannot_be_switched_off(config_issues) -> None:
    issues = config_issues({"observability": {"logging": {"redact": False}}})
    assert "redaction cannot be switched off" in issues["observability.logging.redact"].message


def test_an_unknown_observability_key_gets_a_suggestion(config_issues) -> None:
    issues = config_issues({"observability": {"routng": {}}})
    assert "(did you mean 'routing'?)" in issues["observability.routng"].message


# --- discovery ----------------------------------------------------------------------------


def test_sync_and_health_blocks_become_their_default_connectors() -> None:
    connectors = _load({"discovery": {"sync": {"interval": "2h"}, "health": {"timeout": "5s"}}})
    sync, health = connectors.discovery.connectors
    assert (sync.connector, sync.sync.interval, sync.health) == (
        "modelmesh.registry-sync.v1",
        7200.0,
        None,
    )
    assert (health.connector, health.health.timeout) == ("modelmesh.health-monitor.v1", 5.0)


def test_discovery_list_and_connector_config_forms_agree() -> None:
    listed = _load({"discovery": {"connectors": [{"health": {"interval": "30s"}}]}})
    nested = _load(
        {
            "discovery": {
                "connector": "modelmesh.health-monitor.v1",
                "config": {"health": {"interval": 30}},
            }
        }
    )
    assert listed == nested


def test_no_discovery_section_means_no_discovery() -> None:
    assert _load({}).discovery.connectors == ()


# --- connectors ---------------------------------------------------------------------------

PIN = "ab" * 32


def test_a_relative_package_path_is_resolved_against_the_config_file(write_yaml) -> None:
    path = write_yaml("connectors:\n  packages: [./vendor/acme.zip, {path: /opt/x}]\n")
    packages = load_config(path).connectors.packages
    assert packages == (str(Path(path).parent / "vendor" / "acme.zip"), "/opt/x")


def test_a_pinned_url_mapping_becomes_the_pinned_string() -> None:
    config = _load(
        {
            "connectors": {
                "packages": [{"url": "https://example.com/acme.zip", "sha256": PIN.upper()}]
            }
        }
    )
    assert config.connectors.packages == (f"https://example.com/acme.zip#sha256={PIN}",)


def test_a_plain_http_package_url_is_refused(config_issues) -> None:
    issues = config_issues({"connectors": {"packages": [f"http://example.com/a.zip#sha256={PIN}"]}})
    message = issues["connectors.packages[0]"].message
    assert "plain http is refused" in message
    assert "#sha256=" in message


def test_an_unpinned_https_package_url_says_how_to_pin_it(config_issues) -> None:
    issues = config_issues({"connectors": {"packages": ["https://example.com/a.zip"]}})
    assert "sha256sum" in issues["connectors.packages[0]"].message


# --- proxy --------------------------------------------------------------------------------


def test_the_proxy_binds_to_loopback_by_default() -> None:
    proxy = _load({}).proxy
    assert (proxy.host, proxy.port) == ("127.0.0.1", 8080)


def test_auth_is_enabled_when_tokens_are_given() -> None:
    auth = _load({"proxy": {"auth": {"tokens": ["t1"]}}}).proxy.auth
    assert auth.enabled is True


def test_endpoints_may_be_written_as_paths() -> None:
    proxy = _load({"proxy": {"endpoints": ["/v1/chat/completions", "models"]}}).proxy
    assert proxy.endpoints == ("chat/completions", "models")


def test_an_unknown_endpoint_gets_a_suggestion(config_issues) -> None:
    issues = config_issues({"proxy": {"endpoints": ["embedings"]}})
    assert "(did you mean 'embeddings'?)" in issues["proxy.endpoints[0]"].message
