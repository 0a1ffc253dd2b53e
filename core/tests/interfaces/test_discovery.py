"""Discovery: registry sync and health monitoring, alone or together."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime

import pytest

from modelmesh.interfaces.discovery import (
    DiscoveryConnector,
    HealthMonitor,
    HealthReport,
    HealthStatus,
    ProbeMethod,
    ProbeResult,
    RegistrySync,
    SyncResult,
    SyncStatus,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class PingMonitor(HealthMonitor):
    """A connector that only monitors health."""

    async def probe(self, provider_id):
        return ProbeResult(provider_id, success=True, latency_ms=12.0, status_code=200)

    async def get_health_report(self, provider_id=None):
        return [HealthReport("openai", HealthStatus.HEALTHY, 1.0, NOW)]


class Both(DiscoveryConnector, PingMonitor):
    async def sync(self, providers=None):
        return SyncResult(new_models=["openai/gpt-5"])

    async def get_sync_status(self):
        return SyncStatus(last_sync=NOW, models_synced=1, status="idle")


def test_enum_values_are_the_documented_ones():
    assert [s.value for s in HealthStatus] == ["healthy", "degraded", "unavailable"]
    assert [m.value for m in ProbeMethod] == ["lightweight", "standard", "comprehensive"]


def test_a_sync_result_defaults_to_no_change():
    assert SyncResult() == SyncResult((), (), (), {})


def test_a_sync_status_starts_idle_and_never_synced():
    assert SyncStatus() == SyncStatus(None, None, 0, "idle")


def test_an_availability_score_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError, match="availability_score"):
        HealthReport("p", HealthStatus.HEALTHY, 1.5, NOW)


@pytest.mark.parametrize(
    ("abc", "methods"),
    [
        (RegistrySync, {"sync", "get_sync_status"}),
        (HealthMonitor, {"probe", "get_health_report"}),
        (DiscoveryConnector, {"sync", "get_sync_status", "probe", "get_health_report"}),
    ],
)
def test_each_interface_cannot_be_instantiated_without_its_methods(abc, methods):
    assert abc.__abstractmethods__ == methods
    with pytest.raises(TypeError, match="abstract"):
        abc()


@pytest.mark.parametrize(
    "method", ["sync", "get_sync_status", "probe", "get_health_report", "close"]
)
def test_every_discovery_method_is_async(method):
    assert inspect.iscoroutinefunction(getattr(DiscoveryConnector, method))


def test_a_health_only_connector_is_a_health_monitor_and_not_a_registry_sync():
    monitor = PingMonitor()

    assert isinstance(monitor, HealthMonitor)
    assert not isinstance(monitor, RegistrySync)
    assert asyncio.run(monitor.probe("openai")).success


def test_a_full_connector_is_both_halves():
    both = Both()

    assert isinstance(both, RegistrySync)
    assert isinstance(both, HealthMonitor)
    assert asyncio.run(both.sync()).new_models == ("openai/gpt-5",)


def test_close_is_a_no_op_on_either_half():
    assert asyncio.run(PingMonitor().close()) is None
