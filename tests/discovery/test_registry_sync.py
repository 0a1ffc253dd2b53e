"""Registry sync in a running mesh: a model that appears in the upstream's /v1/models
joins the pools its capability serves and takes traffic; a model that disappears is put
on standby; one that comes back is recovered."""

from __future__ import annotations

import asyncio

from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import FakeUpstream

from .helpers import EventLog, SteppedClock, mesh_config

SYNC = {
    "connector": "modelmesh.registry-sync.v1",
    "sync": {"interval": "1h", "on_new_model": "register", "on_deprecated_model": "deactivate"},
}


def test_new_models_are_registered_and_removed_ones_deactivated(
    upstreams: list[FakeUpstream], clock: SteppedClock
) -> None:
    a, b = upstreams
    events = EventLog()

    async def scenario() -> None:
        config = mesh_config([a.url, b.url], [SYNC], events=events)
        async with ModelMesh(config, clock=clock) as mesh:
            await clock.settled(1)
            assert events.of("discovery_models_updated") == []  # nothing changed at start
            a.models = ("m", "new")
            await clock.step(3600)
            status = mesh.pool_status("chat")["chat"]["models"]
            assert status["a.new"] == {
                "status": "active",
                "provider": "a",
                "reason": None,
                "cooldown_until": None,
            }
            (joined,) = events.of("pool_membership_changed")
            assert (joined.model_id, joined.pool_id) == ("a.new", "chat")
            (updated,) = events.of("discovery_models_updated")
            assert updated.metadata["new_models"] == ["a/new"]
            decisions = {c.model_id for c in mesh.explain("chat").candidates}
            assert "a.new" in decisions  # routing sees it as a candidate

            b.models = ()
            await clock.step(3600)
            assert mesh.pool_status("chat")["chat"]["models"]["b.m"]["status"] == "standby"
            result = await mesh.discovery[0].get_sync_status()
            assert result.status == "idle"
            assert result.models_synced == 2  # m and new of a

            b.models = ("m",)
            await clock.step(3600)
            assert mesh.pool_status("chat")["chat"]["models"]["b.m"]["status"] == "active"

    asyncio.run(scenario())


def test_notify_only_announces(upstreams: list[FakeUpstream], clock: SteppedClock) -> None:
    a, b = upstreams
    events = EventLog()
    notify = {
        "connector": "modelmesh.registry-sync.v1",
        "sync": {"interval": "1h", "on_new_model": "notify", "on_deprecated_model": "notify"},
    }

    async def scenario() -> None:
        config = mesh_config([a.url, b.url], [notify], events=events)
        async with ModelMesh(config, clock=clock) as mesh:
            await clock.settled(1)
            a.models = ("new",)
            await clock.step(3600)
            models = mesh.pool_status("chat")["chat"]["models"]
            assert set(models) == {"a.m", "b.m"}
            assert models["a.m"]["status"] == "active"
            (updated,) = events.of("discovery_models_updated")
            assert updated.metadata["new_models"] == ["a/new"]
            assert updated.metadata["deprecated_models"] == ["a/m"]
            assert events.of("pool_membership_changed") == []

    asyncio.run(scenario())
