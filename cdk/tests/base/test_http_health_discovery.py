"""HttpHealthDiscovery against a real local upstream: success, errors, stalls, recovery."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from modelmesh.clock import ManualClock
from modelmesh_cdk.base.discovery import HttpHealthDiscovery
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error, ok, stall


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(models=("fake-a", "fake-b")) as server:
        yield server


def run_with(upstream: FakeUpstream, scenario, **options):
    """Run scenario(discovery) with a discovery probing the upstream's model list."""

    async def main():
        discovery = HttpHealthDiscovery({"health_timeout": 0.2, **options}, clock=ManualClock())
        discovery.register_provider_url("fake", f"{upstream.url}/v1/models")
        try:
            return await scenario(discovery)
        finally:
            await discovery.close()

    return asyncio.run(main())


async def probe(discovery: HttpHealthDiscovery):
    return await discovery.probe("fake")


def test_a_healthy_upstream_probes_successfully(upstream):
    result = run_with(upstream, probe)
    assert (result.success, result.status_code) == (True, 200)


def test_a_probe_measures_its_latency(upstream):
    upstream.script(ok(delay=0.05))
    assert run_with(upstream, probe).latency_ms >= 50


def test_the_probe_is_a_get_of_the_registered_url(upstream):
    run_with(upstream, probe)
    (request,) = upstream.requests
    assert (request.method, request.path) == ("GET", "/v1/models")


def test_a_server_error_is_a_failed_probe_with_its_status(upstream):
    upstream.script(error(500))
    result = run_with(upstream, probe)
    assert (result.success, result.status_code) == (False, 500)


def test_a_failed_probe_is_not_retried(upstream):
    upstream.script(error(503))
    run_with(upstream, probe)
    assert len(upstream.requests) == 1


def test_a_stalled_upstream_fails_after_the_health_timeout(upstream):
    upstream.script(stall())
    result = run_with(upstream, probe)
    assert (result.success, result.status_code) == (False, None)


def test_the_provider_is_degraded_after_the_threshold_of_failures(upstream):
    upstream.script(error(500), error(500), error(500))

    async def scenario(discovery):
        for _ in range(3):
            await discovery.probe("fake")
        return discovery.is_provider_degraded("fake")

    assert run_with(upstream, scenario, failure_threshold=3)


def test_the_provider_recovers_with_a_successful_probe(upstream):
    upstream.script(error(500), error(500), error(500))

    async def scenario(discovery):
        for _ in range(4):
            await discovery.probe("fake")
        return discovery.is_provider_degraded("fake"), await discovery.get_health_report("fake")

    degraded, (report,) = run_with(upstream, scenario, failure_threshold=3)
    assert (degraded, report.availability_score) == (False, 0.25)


def test_probe_headers_are_sent(upstream):
    async def scenario(discovery):
        discovery.register_provider_url(
            "fake", f"{upstream.url}/v1/models", headers={"Authorization": "Bearer sk-test"}
        )
        return await discovery.probe("fake")

    run_with(upstream, scenario)
    assert upstream.requests[0].headers["authorization"] == "Bearer sk-test"


def test_an_unregistered_provider_is_refused_rather_than_counted_as_down(upstream):
    async def scenario(discovery):
        return await discovery.probe("nobody")

    with pytest.raises(KeyError, match="register_provider_url"):
        run_with(upstream, scenario)


def test_sync_reads_the_model_list_at_the_registered_url(upstream):
    async def scenario(discovery):
        return await discovery.sync()

    assert run_with(upstream, scenario).new_models == ("fake/fake-a", "fake/fake-b")


def test_provider_urls_can_come_from_the_options(upstream):
    async def main():
        discovery = HttpHealthDiscovery({"provider_urls": {"fake": f"{upstream.url}/v1/models"}})
        try:
            return await discovery.probe("fake")
        finally:
            await discovery.close()

    assert asyncio.run(main()).success
