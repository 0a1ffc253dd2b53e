"""Two mesh instances sharing one storage probe a provider once per interval between
them: the storage lock and the last-probe record it guards decide who probes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import FakeUpstream

from .helpers import SteppedClock, mesh_config, probes

HEALTH = {"connector": "modelmesh.health-monitor.v1", "health": {"interval": "60s"}}


def _storage(directory: Path) -> dict[str, object]:
    return {
        "connector": "modelmesh.local-file.v1",
        "sync_policy": "periodic",
        "options": {"path": str(directory)},
    }


def test_two_instances_probe_once_per_interval(
    upstreams: list[FakeUpstream], clock: SteppedClock, tmp_path: Path
) -> None:
    a, b = upstreams
    config = mesh_config([a.url, b.url], [HEALTH], storage=_storage(tmp_path))

    async def scenario() -> None:
        async with ModelMesh(config, clock=clock), ModelMesh(config, clock=clock):
            await clock.settled(2)
            assert (probes(a), probes(b)) == (1, 1)
            for interval in range(2, 6):
                await clock.step(60, sleepers=2)
                assert (probes(a), probes(b)) == (interval, interval)

    asyncio.run(scenario())


def test_in_memory_instances_each_probe(upstreams: list[FakeUpstream], clock: SteppedClock) -> None:
    a, b = upstreams
    config = mesh_config([a.url, b.url], [HEALTH])

    async def scenario() -> None:
        async with ModelMesh(config, clock=clock), ModelMesh(config, clock=clock):
            await clock.settled(2)
            await clock.step(60, sleepers=2)
            assert probes(a) == 4  # nothing shared, nothing coordinated

    asyncio.run(scenario())
