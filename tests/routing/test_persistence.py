"""State persistence through the YAML ``storage:`` section, on real storage connectors.

A model put on standby stays on standby across a restart, and the request counts
survive, under every sync policy that persists; in-memory forgets. Two instances on one
storage with ``immediate`` share deactivations and a free tier's request count.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import AllProvidersExhaustedError, NoActiveModelError
from modelmesh.interfaces.provider import CompletionRequest
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error
from modelmesh_cdk.testing.redis_server import redis_url  # noqa: F401 - a fixture

from .conftest import run, started

COOLDOWN = 60.0
MESSAGES = [{"role": "user", "content": "hi"}]


STORAGES = ["local-file", "sqlite", "redis"]


@pytest.fixture(params=STORAGES)
def storage_yaml(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The connector-specific lines of a ``storage:`` section, indented for YAML."""
    if request.param == "local-file":
        return f"  connector: modelmesh.local-file.v1\n  path: {tmp_path / 'state'}\n"
    if request.param == "sqlite":
        return f"  connector: modelmesh.sqlite.v1\n  path: {tmp_path / 'state.db'}\n"
    url = request.getfixturevalue("redis_url")
    prefix = f"test-{uuid.uuid4().hex}:"
    return f"  connector: redis.redis.v1\n  url: {url}\n  key_prefix: '{prefix}'\n"


def _config(
    upstreams: list[FakeUpstream], storage: str, policy: str, *, pool_extra: str = ""
) -> str:
    a, b = upstreams[0].url, upstreams[1].url
    return f"""
providers:
  a: {{connector: openai.llm.v1, base_url: "{a}", api_key: k1}}
  b: {{connector: openai.llm.v1, base_url: "{b}", api_key: k2}}
models:
  a.m1: {{provider: a, capabilities: [chat-completion]}}
  b.m2: {{provider: b, capabilities: [chat-completion]}}
pools:
  chat:
    capability: chat-completion
    recovery: {{cooldown: {COOLDOWN}s}}
    retry: {{max_attempts: 1}}
    deactivation:
      retry_limit: 1
{pool_extra}
storage:
{storage}  sync_policy: {policy}
  sync_interval: 30s
"""


async def _ask(mesh: ModelMesh) -> str:
    routed = await mesh.get_router().complete(CompletionRequest("chat", MESSAGES))
    return routed.model_id


def _status(mesh: ModelMesh, model: str) -> str:
    return mesh.pool_status("chat")["chat"]["models"][model]["status"]


@pytest.mark.parametrize("policy", ["sync-on-boundary", "periodic", "immediate"])
def test_a_cooling_model_stays_on_standby_across_a_restart(
    upstreams: list[FakeUpstream],
    storage_yaml: str,
    policy: str,
    clock: ManualClock,
    write_config: Callable[[str], Path],
) -> None:
    path = write_config(_config(upstreams, storage_yaml, policy))

    async def before() -> None:
        mesh = await started(path, clock)
        upstreams[0].script(error(500))
        assert await _ask(mesh) == "b.m2"  # a.m1 failed once: standby, b.m2 answered
        assert await _ask(mesh) == "b.m2"
        assert _status(mesh, "a.m1") == "standby"
        await mesh.shutdown()

    async def after() -> None:
        mesh = await started(path, clock)
        assert _status(mesh, "a.m1") == "standby"
        record = mesh.state.models["a.m1"]
        assert record.cooldown_until == clock.now() + timedelta(seconds=COOLDOWN)
        assert (record.total_requests, record.total_failures) == (1, 1)
        assert mesh.state.models["b.m2"].total_requests == 2
        assert mesh.state.pools["chat"].current_model == "b.m2"
        # Still cooling: the pool's only other model serves.
        assert await _ask(mesh) == "b.m2"
        clock.advance(COOLDOWN + 1)
        assert await _ask(mesh) == "b.m2"  # stick-until-failure keeps b.m2 ...
        assert _status(mesh, "a.m1") == "active"  # ... but a.m1 is back
        mesh.deactivate("b.m2")
        assert await _ask(mesh) == "a.m1"
        await mesh.shutdown()

    run(before())
    run(after())


def test_in_memory_forgets_everything_at_restart(
    upstreams: list[FakeUpstream], clock: ManualClock, write_config: Callable[[str], Path]
) -> None:
    path = write_config(_config(upstreams, "  connector: modelmesh.memory.v1\n", "in-memory"))

    async def scenario() -> None:
        mesh = await started(path, clock)
        upstreams[0].script(error(500))
        assert await _ask(mesh) == "b.m2"
        assert _status(mesh, "a.m1") == "standby"
        await mesh.shutdown()
        mesh = await started(path, clock)
        assert _status(mesh, "a.m1") == "active"
        assert mesh.state.models["a.m1"].total_requests == 0
        assert await _ask(mesh) == "a.m1"
        await mesh.shutdown()

    run(scenario())


def test_periodic_writes_once_the_interval_has_passed(
    upstreams: list[FakeUpstream],
    tmp_path: Path,
    clock: ManualClock,
    write_config: Callable[[str], Path],
) -> None:
    """Without a shutdown, a second instance reads what the first synced on time."""
    storage = f"  connector: modelmesh.sqlite.v1\n  path: {tmp_path / 'state.db'}\n"
    path = write_config(_config(upstreams, storage, "periodic"))

    async def scenario() -> None:
        first = await started(path, clock)
        await _ask(first)
        peek = await started(path, clock)
        assert peek.state.models["a.m1"].total_requests == 0  # interval not over: unsaved
        await peek.shutdown()
        clock.advance(31)
        await _ask(first)
        later = await started(path, clock)
        assert later.state.models["a.m1"].total_requests == 2
        await later.shutdown()
        await first.shutdown()

    run(scenario())


def test_two_instances_share_deactivations_and_a_free_tier(
    upstreams: list[FakeUpstream],
    tmp_path: Path,
    clock: ManualClock,
    write_config: Callable[[str], Path],
) -> None:
    storage = f"  connector: modelmesh.sqlite.v1\n  path: {tmp_path / 'state.db'}\n"
    path = write_config(
        _config(upstreams, storage, "immediate", pool_extra="      request_limit: 5\n")
    )

    async def scenario() -> None:
        one = await started(path, clock)
        two = await started(path, clock)
        # The free tier of a.m1 (5 requests a day) is spent by both instances together.
        served = []
        for turn in range(5):
            clock.advance(1)
            served.append(await _ask(one if turn % 2 == 0 else two))
        assert served == ["a.m1"] * 5
        clock.advance(1)
        assert await _ask(one) == "b.m2"  # one counted 3 here and sees two's 2 after syncing
        assert one.state.models["a.m1"].daily.requests == 5
        assert one.pool_status("chat")["chat"]["models"]["a.m1"]["reason"] == "request_limit"
        # two last synced at 4 requests: it selects before it syncs, so its next request
        # still goes to a.m1 (the shared tier overshoots by what one instance does between
        # two syncs), and the sync after it adopts one's deactivation.
        clock.advance(1)
        assert await _ask(two) == "a.m1"
        assert _status(two, "a.m1") == "standby"
        clock.advance(1)
        assert await _ask(two) == "b.m2"
        assert two.state.models["a.m1"].daily.requests == 6
        await two.shutdown()
        assert await _ask(one) == "b.m2"
        assert one.state.models["a.m1"].daily.requests == 6
        await one.shutdown()

    run(scenario())


def test_a_manual_deactivation_reaches_the_other_instance(
    upstreams: list[FakeUpstream],
    tmp_path: Path,
    clock: ManualClock,
    write_config: Callable[[str], Path],
) -> None:
    storage = f"  connector: modelmesh.local-file.v1\n  path: {tmp_path / 'state'}\n"
    path = write_config(_config(upstreams, storage, "immediate"))

    async def scenario() -> None:
        one = await started(path, clock)
        two = await started(path, clock)
        clock.advance(1)
        assert await _ask(two) == "a.m1"
        clock.advance(1)
        one.deactivate("a.m1")
        assert await _ask(one) == "b.m2"  # the request syncs the deactivation
        clock.advance(1)
        assert await _ask(two) == "a.m1"  # two still selects on its old view, then syncs ...
        clock.advance(1)
        assert await _ask(two) == "b.m2"  # ... and skips a.m1 from its next one
        assert two.pool_status("chat")["chat"]["models"]["a.m1"]["reason"] == "manual"
        two.deactivate("b.m2")
        with pytest.raises((NoActiveModelError, AllProvidersExhaustedError)):
            await _ask(two)
        await one.shutdown()
        await two.shutdown()

    run(scenario())
