"""The options each connector is built with, from the section of the configuration
that names it: the section's common keys in the names the CDK bases read, then the
connector's own keys. Start-up and the connector kit's tests build connectors through
these, so a plugin is tested with exactly what the mesh hands it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import attrs

from modelmesh.config.schema import (
    DiscoveryConnectorConfig,
    ErrorCodesConfig,
    ModelConfig,
    PoolConfig,
    ProviderConfig,
    SecretsConfig,
    SinkConfig,
    StorageConfig,
)
from modelmesh.interfaces.discovery import ProbeMethod


def provider_options(
    provider_id: str, provider: ProviderConfig, declared: Sequence[ModelConfig]
) -> dict[str, object]:
    """The options a provider connector is built with: its own keys, the common ones the
    configuration sets, and its models when the ``models:`` section declares any."""
    options: dict[str, object] = dict(provider.options)
    options["provider_id"] = provider_id
    options["timeout"] = provider.timeout
    if provider.api_key is not None:
        options["api_key"] = provider.api_key
    if provider.base_url is not None:
        options["base_url"] = provider.base_url
    if provider.error != ErrorCodesConfig():
        options["retryable_codes"] = list(provider.error.retryable_codes)
        options["non_retryable_codes"] = list(provider.error.non_retryable_codes)
    if declared:
        options["models"] = [_declaration(model) for model in declared]
    return options


def rotation_options(pool: PoolConfig) -> dict[str, Any]:
    """The options a pool's rotation connector is built with: the pool's selection,
    deactivation and recovery keys as plain values, then its ``strategy_options``."""
    options = {
        "deactivation": _plain(pool.deactivation),
        "recovery": _plain(pool.recovery),
        "model_priority": list(pool.model_priority),
        "provider_priority": list(pool.provider_priority),
        "fallback_strategy": pool.fallback_strategy.value,
        "balance_mode": pool.balance_mode.value,
        "affinity_mode": pool.affinity_mode.value,
        "session_timeout": pool.session_timeout,
        "session_header": pool.session_header,
        "latency_window": pool.latency_window,
        "rate_limit": _plain(pool.rate_limit),
    }
    options.update(pool.strategy_options)
    return options


def _plain(value: Any) -> Any:
    """An attrs value as YAML-shaped data: enums as their text, tuples as lists."""
    return attrs.asdict(
        value,
        value_serializer=lambda _inst, _field, v: (
            v.value if isinstance(v, enum.Enum) else list(v) if isinstance(v, tuple) else v
        ),
    )


def _declaration(model: ModelConfig) -> dict[str, object]:
    """A ``models:`` entry in the shape provider connectors take it."""
    declaration: dict[str, object] = {"id": model.id, "name": model.upstream_name}
    if model.capabilities:
        declaration["capabilities"] = list(model.capabilities)
    if model.constraints.context_window is not None:
        declaration["context_window"] = model.constraints.context_window
    if model.constraints.max_output_tokens is not None:
        declaration["max_output_tokens"] = model.constraints.max_output_tokens
    features = {k: v for k, v in attrs.asdict(model.features).items() if v is not None}
    if features:
        declaration["features"] = features
    declaration["delivery"] = attrs.asdict(model.delivery)
    return declaration


def secret_store_options(settings: SecretsConfig) -> dict[str, Any]:
    """The store's own options plus the common settings every secret store honours."""
    return {
        **settings.options,
        "cache_enabled": settings.cache_enabled,
        "cache_ttl": settings.cache_ttl,
        "fail_on_missing": settings.fail_on_missing,
    }


def storage_options(settings: StorageConfig) -> dict[str, Any]:
    """The storage section's common keys in the CDK storage options' names."""
    return {
        "format": settings.format.value,
        "compression": settings.compression,
        "locking_enabled": settings.locking.enabled,
        "lock_timeout_seconds": settings.locking.timeout,
        "lock_retry_interval_seconds": settings.locking.retry_interval,
        **settings.options,
    }


def sink_options(sink: SinkConfig) -> dict[str, Any]:
    """The sink's level and severity floor in the CDK observability options' names,
    under the sink's own keys (which win)."""
    return {"log_level": sink.level.value, "min_severity": sink.min_severity.value} | dict(
        sink.options
    )


_PROBE_METHODS = {
    ProbeMethod.LIGHTWEIGHT: "listing",
    ProbeMethod.STANDARD: "completion",
    ProbeMethod.COMPREHENSIVE: "completion",
}


def discovery_options(entry: DiscoveryConnectorConfig) -> dict[str, Any]:
    """The ``sync:`` and ``health:`` sections in the CDK discovery options' names,
    under the connector's own keys (which win)."""
    options: dict[str, Any] = {}
    if entry.sync is not None:
        sync = entry.sync
        options |= {
            "sync_enabled": sync.enabled,
            "sync_interval": sync.interval,
            "auto_register": sync.auto_register,
            "on_new_model": sync.on_new_model.value,
            "on_deprecated_model": sync.on_deprecated_model.value,
        }
        if sync.providers is not None:
            options["providers"] = list(sync.providers)
    if entry.health is not None:
        health = entry.health
        options |= {
            "health_enabled": health.enabled,
            "health_interval": health.interval,
            "health_timeout": health.timeout,
            "failure_threshold": health.failure_threshold,
            "probe_method": _PROBE_METHODS[health.probe_method],
        }
        if health.providers is not None:
            options["providers"] = list(health.providers)
    return options | dict(entry.options)
