"""The canonical classes: documented defaults, derived names, safe reprs, to_dict."""

from __future__ import annotations

import attrs
import pytest

from modelmesh.config import MeshConfig, load_config
from modelmesh.config.schema import (
    Backoff,
    ModelConfig,
    PoolConfig,
    ProviderConfig,
    RetryConfig,
    SecretsConfig,
    SinkConfig,
)


def test_documented_pool_defaults() -> None:
    pool = PoolConfig()
    assert pool.strategy == "modelmesh.stick-until-failure.v1"
    assert (pool.deactivation.retry_limit, pool.deactivation.error_rate_threshold) == (3, 0.5)
    assert pool.deactivation.error_codes == (429, 500, 503)
    assert (pool.recovery.cooldown, pool.recovery.probe_interval) == (60.0, 300.0)
    assert pool.retry == RetryConfig(
        max_attempts=3, backoff=Backoff.EXPONENTIAL_JITTER, initial_delay=0.5, max_delay=10.0
    )
    assert (pool.rate_limit.threshold, pool.session_timeout) == (0.8, 1800.0)
    assert pool.provider_deactivation == ("on_auth_failure",)


def test_documented_provider_and_secrets_defaults() -> None:
    provider = ProviderConfig(connector="openai.llm.v1")
    assert (provider.enabled, provider.timeout, provider.execution.max_retries) == (True, 30.0, 3)
    assert provider.error.retryable_codes == (429, 500, 502, 503)
    assert provider.catalogue.refresh_interval == 3600.0
    assert SecretsConfig() == SecretsConfig(
        store="modelmesh.env.v1",
        cache_enabled=True,
        cache_ttl=300.0,
        reload_on_rotation=True,
        fail_on_missing=True,
    )


def test_the_upstream_name_is_the_part_after_the_first_dot() -> None:
    assert ModelConfig(id="openai.gpt-4o", provider="p").upstream_name == "gpt-4o"
    assert ModelConfig(id="vllm.meta-llama/Llama-3.1-8B", provider="p").upstream_name == (
        "meta-llama/Llama-3.1-8B"
    )
    assert ModelConfig(id="local", provider="p").upstream_name == "local"


def test_a_declared_name_is_sent_upstream() -> None:
    model = ModelConfig(id="openrouter.llama", provider="p", name="meta-llama/llama-3-70b")
    assert model.upstream_name == "meta-llama/llama-3-70b"


def test_reprs_hide_credentials() -> None:
    provider = ProviderConfig(
        connector="a.llm.v1", api_key="sk-plain", options={"client_secret": "s3cr3t"}
    )
    assert "sk-plain" not in repr(provider)
    assert "s3cr3t" not in repr(provider)


def test_classes_validate_when_built_in_python() -> None:
    with pytest.raises(ValueError, match="must be at least 1"):
        RetryConfig(max_attempts=0)
    with pytest.raises(ValueError, match="name the sink's connector"):
        SinkConfig()


def test_classes_are_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        PoolConfig().strategy = "x"  # type: ignore[misc]


def test_to_dict_writes_durations_with_units_and_enums_as_text() -> None:
    data = load_config({"pools": {"chat": {"recovery": {"cooldown": 300}}}}).to_dict()
    assert data["pools"]["chat"]["recovery"]["cooldown"] == "5m"
    assert data["pools"]["chat"]["retry"]["initial_delay"] == "500ms"
    assert data["pools"]["chat"]["retry"]["backoff"] == "exponential_jitter"
    assert "source_path" not in data


def test_to_dict_leaves_out_the_model_id_it_takes_from_the_key() -> None:
    data = load_config(
        {"providers": {"p.x.v1": {}}, "models": {"p.m": {"provider": "p.x.v1"}}}
    ).to_dict()
    assert "id" not in data["models"]["p.m"]


def test_the_source_path_is_recorded_but_not_compared(write_yaml) -> None:
    path = write_yaml("proxy: {port: 9000}\n")
    from_file = load_config(path)
    assert from_file.source_path == str(path)
    assert from_file == load_config({"proxy": {"port": 9000}})


def test_the_default_config_round_trips() -> None:
    assert load_config(MeshConfig().to_dict()) == MeshConfig()
