"""What the discovery tests share: a clock whose sleeps wait for the test, an event
recorder, and configuration mappings of meshes on fake upstreams.

The clock is what makes the background rounds deterministic: a discovery loop's
``clock.sleep(interval)`` returns only once the test has moved time past its end, so
``advance(60)`` followed by ``settled`` runs exactly one round of each loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from modelmesh.clock import ManualClock
from modelmesh.interfaces.observability import (
    AggregateStats,
    ObservabilityConnector,
    RequestLogEntry,
    RoutingEvent,
    TraceEntry,
)
from modelmesh_cdk.testing.fake_upstream import CHAT_PATH, MODELS_PATH, FakeUpstream

SETTLE_TIMEOUT = 10.0


class SteppedClock(ManualClock):
    """A ManualClock whose ``sleep`` waits until the test advances past its end."""

    def __init__(self) -> None:
        super().__init__()
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    @property
    def sleepers(self) -> int:
        return sum(1 for _, future in self._waiters if not future.done())

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        future = asyncio.get_running_loop().create_future()
        self._waiters.append((self.monotonic() + max(0.0, seconds), future))
        self._wake()
        await future

    def advance(self, seconds: float) -> None:
        super().advance(seconds)
        self._wake()

    def _wake(self) -> None:
        due = [(end, f) for end, f in self._waiters if end <= self.monotonic()]
        for entry in due:
            self._waiters.remove(entry)
            if not entry[1].done():
                entry[1].set_result(None)

    async def settled(self, sleepers: int) -> None:
        """Wait (real time, bounded) until ``sleepers`` loops sleep again."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SETTLE_TIMEOUT
        while self.sleepers < sleepers:
            if loop.time() > deadline:
                raise AssertionError(f"{self.sleepers} of {sleepers} discovery loops settled")
            await asyncio.sleep(0.005)

    async def step(self, seconds: float, sleepers: int = 1) -> None:
        """Move time on by ``seconds`` and wait for the rounds that woke."""
        self.advance(seconds)
        await asyncio.sleep(0)
        await self.settled(sleepers)


class EventLog(ObservabilityConnector):
    """Keeps the events the mesh emits, for assertions."""

    def __init__(self) -> None:
        self.events: list[RoutingEvent] = []

    def emit(self, event: RoutingEvent) -> None:
        self.events.append(event)

    def log(self, entry: RequestLogEntry) -> None:
        """Request logs are not what these tests look at."""

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        """Statistics are not what these tests look at."""

    def trace(self, entry: TraceEntry) -> None:
        """Traces are not what these tests look at."""

    def of(self, kind: str) -> list[RoutingEvent]:
        return [event for event in self.events if event.event_type.value == kind]


def mesh_config(
    urls: list[str],
    discovery: list[dict[str, Any]],
    *,
    events: EventLog | None = None,
    storage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Providers a and b on ``urls``, model ``<name>.m`` each, a pool ``chat`` and the
    given discovery connectors."""
    names = ["a", "b"][: len(urls)]
    config: dict[str, Any] = {
        "providers": {
            name: {
                "connector": "openai.llm.v1",
                "base_url": url,
                "api_key": "test",
                "max_retries": 0,
                "capabilities": ["chat-completion"],
            }
            for name, url in zip(names, urls, strict=True)
        },
        "pools": {"chat": {"capability": "chat-completion"}},
        "models": {
            f"{name}.m": {"provider": name, "capabilities": ["chat-completion"]} for name in names
        },
        "discovery": {"connectors": discovery},
    }
    if events is not None:
        config["observability"] = {"sinks": [{"instance": events}]}
    if storage is not None:
        config["storage"] = storage
    return config


def probes(server: FakeUpstream) -> int:
    return sum(1 for request in server.requests if request.path == MODELS_PATH)


def chats(server: FakeUpstream) -> int:
    return sum(1 for request in server.requests if request.path == CHAT_PATH)


def discovery_tasks() -> list[asyncio.Task[Any]]:
    """Tasks still running a discovery round loop."""
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and "_every" in repr(task.get_coro())
    ]
