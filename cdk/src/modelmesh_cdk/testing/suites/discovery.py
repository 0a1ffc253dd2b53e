"""The standard tests every discovery connector passes, against the fake upstream.

A probe reports, it never raises: a healthy provider succeeds with a latency, a
failing or unreachable one fails; health reports stay within their bounds; a sync
reports the upstream's models as ``<provider>/<model>`` and survives an unreachable
provider by naming it among the errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from modelmesh.interfaces.discovery import DiscoveryConnector, ProbeResult, SyncResult
from modelmesh_cdk.testing import fake_upstream as fake
from modelmesh_cdk.testing.suites.guard import StandardSuite
from modelmesh_cdk.testing.suites.loopback import refusing_url

T = TypeVar("T")
PROVIDER_ID = "fake"


class DiscoveryTests(StandardSuite, standard=True):
    """Subclass with ``connector_class``, ``connector_options`` and ``register_provider``."""

    # What the author declares

    @property
    def connector_class(self) -> type[DiscoveryConnector]:
        raise NotImplementedError("set connector_class to the discovery connector under test")

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        """Options for a connector watching the provider ``PROVIDER_ID`` at ``upstream_url``."""
        return {"providers": [PROVIDER_ID]}

    def register_provider(
        self, discovery: DiscoveryConnector, provider_id: str, upstream_url: str
    ) -> None:
        """Tell a built connector where the provider lives, if its options cannot."""

    @pytest.fixture
    def upstream(self, fake_upstream: fake.FakeUpstream) -> fake.FakeUpstream:
        return fake_upstream

    # Helpers

    def with_discovery(self, upstream_url: str, scenario: Callable[[Any], Awaitable[T]]) -> T:
        async def run() -> T:
            discovery = self.connector_class(self.connector_options(upstream_url))  # type: ignore[call-arg]
            self.register_provider(discovery, PROVIDER_ID, upstream_url)
            try:
                return await scenario(discovery)
            finally:
                await discovery.close()

        return asyncio.run(run())

    # Standard tests: health

    def test_probe_of_a_healthy_provider_succeeds_with_latency(
        self, upstream: fake.FakeUpstream
    ) -> None:
        result = self.with_discovery(upstream.url, lambda d: d.probe(PROVIDER_ID))
        assert isinstance(result, ProbeResult)
        assert (result.provider_id, result.success) == (PROVIDER_ID, True)
        assert result.latency_ms is not None
        assert result.latency_ms >= 0

    def test_probe_of_a_failing_provider_fails(self, upstream: fake.FakeUpstream) -> None:
        upstream.script(*[fake.error(503)] * 4)
        result = self.with_discovery(upstream.url, lambda d: d.probe(PROVIDER_ID))
        assert (result.provider_id, result.success) == (PROVIDER_ID, False)

    def test_probe_of_an_unreachable_provider_fails(self) -> None:
        result = self.with_discovery(refusing_url(), lambda d: d.probe(PROVIDER_ID))
        assert (result.provider_id, result.success) == (PROVIDER_ID, False)

    def test_health_report_availability_is_a_fraction(self, upstream: fake.FakeUpstream) -> None:
        async def scenario(discovery: DiscoveryConnector) -> list[Any]:
            await discovery.probe(PROVIDER_ID)
            upstream.script(*[fake.error(503)] * 4)
            await discovery.probe(PROVIDER_ID)
            return await discovery.get_health_report(PROVIDER_ID)

        reports = self.with_discovery(upstream.url, scenario)
        assert [report.provider_id for report in reports] == [PROVIDER_ID]
        assert 0 <= reports[0].availability_score <= 1

    # Standard tests: registry sync

    def test_sync_reports_the_upstream_models(self, upstream: fake.FakeUpstream) -> None:
        result = self.with_discovery(upstream.url, lambda d: d.sync([PROVIDER_ID]))
        assert isinstance(result, SyncResult)
        assert f"{PROVIDER_ID}/{upstream.models[0]}" in result.new_models

    def test_a_second_sync_reports_nothing_new(self, upstream: fake.FakeUpstream) -> None:
        async def scenario(discovery: DiscoveryConnector) -> SyncResult:
            await discovery.sync([PROVIDER_ID])
            return await discovery.sync([PROVIDER_ID])

        assert self.with_discovery(upstream.url, scenario).new_models == ()

    def test_sync_names_an_unreachable_provider_among_errors(self) -> None:
        result = self.with_discovery(refusing_url(), lambda d: d.sync([PROVIDER_ID]))
        assert list(result.errors) == [PROVIDER_ID]

    def test_sync_status_records_the_last_sync(self, upstream: fake.FakeUpstream) -> None:
        async def scenario(discovery: DiscoveryConnector) -> Any:
            await discovery.sync([PROVIDER_ID])
            return await discovery.get_sync_status()

        assert self.with_discovery(upstream.url, scenario).last_sync is not None


__all__ = ["PROVIDER_ID", "DiscoveryTests"]
