"""The health monitor in a running mesh: a fake upstream that goes down (500s, or
refused connections) is taken out after ``failure_threshold`` failed probes, routing
avoids it meanwhile, and the first successful probe brings it back."""

from __future__ import annotations

import asyncio
from typing import Any

from modelmesh.interfaces.discovery import HealthStatus
from modelmesh.interfaces.provider import CompletionRequest
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error

from .helpers import EventLog, SteppedClock, chats, discovery_tasks, mesh_config, probes

HEALTH = {
    "connector": "modelmesh.health-monitor.v1",
    "health": {"interval": "60s", "failure_threshold": 2},
}


def monitor(mesh: ModelMesh) -> Any:
    (connector,) = mesh.discovery
    return connector


async def serve(mesh: ModelMesh, count: int = 4) -> None:
    router = mesh.get_router()
    for _ in range(count):
        await router.complete(CompletionRequest("chat", [{"role": "user", "content": "hi"}]))


def test_a_failing_provider_is_taken_out_and_recovered(
    upstreams: list[FakeUpstream], clock: SteppedClock
) -> None:
    a, b = upstreams
    events = EventLog()

    async def scenario() -> None:
        config = mesh_config([a.url, b.url], [HEALTH], events=events)
        async with ModelMesh(config, clock=clock) as mesh:
            await clock.settled(1)
            assert (probes(a), probes(b)) == (1, 1)  # the first round runs at start
            a.repeat(error(500))
            await clock.step(60)
            assert mesh.active_providers() == ["a", "b"]  # one failure, threshold 2
            await clock.step(60)
            assert mesh.active_providers() == ["b"]
            (out,) = events.of("provider_deactivated")
            assert (out.provider_id, out.metadata["reason"]) == ("a", "health_check")

            before = chats(a)
            await serve(mesh)
            assert chats(a) == before  # routing avoids the provider meanwhile
            assert chats(b) >= 4

            a.repeat()  # the upstream answers again
            await clock.step(60)
            assert mesh.active_providers() == ["a", "b"]
            (back,) = events.of("provider_recovered")
            assert (back.provider_id, back.metadata["trigger"]) == ("a", "health_check")
            (report,) = await monitor(mesh).get_health_report("a")
            assert report.status is HealthStatus.HEALTHY
            assert 0 < report.availability_score < 1

    asyncio.run(scenario())


def test_a_refusing_provider_that_comes_back_is_recovered(clock: SteppedClock) -> None:
    down = FakeUpstream(models=("m",)).start()
    port = int(down.url.rsplit(":", 1)[1])
    other = FakeUpstream(models=("m",)).start()

    async def scenario() -> None:
        config = mesh_config([down.url, other.url], [HEALTH])
        async with ModelMesh(config, clock=clock) as mesh:
            await clock.settled(1)
            await asyncio.to_thread(down.stop)  # connections are refused now
            await clock.step(60)
            await clock.step(60)
            assert mesh.active_providers() == ["b"]
            (report,) = await monitor(mesh).get_health_report("a")
            assert report.status is HealthStatus.UNAVAILABLE
            assert report.consecutive_failures == 2
            again = FakeUpstream(models=("m",), port=port)
            await asyncio.to_thread(again.start)
            try:
                await clock.step(60)
                assert mesh.active_providers() == ["a", "b"]
            finally:
                await asyncio.to_thread(again.stop)

    try:
        asyncio.run(scenario())
    finally:
        other.stop()


def test_a_manual_deactivation_is_left_to_the_operator(
    upstreams: list[FakeUpstream], clock: SteppedClock
) -> None:
    async def scenario() -> None:
        config = mesh_config([u.url for u in upstreams], [HEALTH])
        async with ModelMesh(config, clock=clock) as mesh:
            await clock.settled(1)
            mesh.get_router().deactivate_provider("a")
            await clock.step(60)
            assert mesh.active_providers() == ["b"]  # a healthy probe does not undo it

    asyncio.run(scenario())


def test_shutdown_leaves_no_discovery_task(
    upstreams: list[FakeUpstream], clock: SteppedClock
) -> None:
    sync = {"connector": "modelmesh.registry-sync.v1", "sync": {"interval": "60s"}}

    async def scenario() -> None:
        mesh = ModelMesh(mesh_config([u.url for u in upstreams], [HEALTH, sync]), clock=clock)
        await mesh.initialize()
        await clock.settled(2)
        assert len(discovery_tasks()) == 2
        await mesh.shutdown()
        assert discovery_tasks() == []
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(scenario())
