"""A mesh whose webhook sink posts to a webhook that stalls still answers every request
at once: the sink only queues on the request path, and the proxy shuts down cleanly."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from aiohttp import web

from modelmesh_cdk.testing.fake_upstream import FakeUpstream

from .proxies import MESSAGES, ThreadedProxy, mesh_config

Serve = Callable[..., ThreadedProxy]


class StalledWebhook:
    """Accepts each POST and never answers it until stopped; counts the held ones."""

    def __init__(self) -> None:
        self.held = 0
        self.loop = asyncio.new_event_loop()
        self._release = asyncio.Event()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._runner, port = asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)
        self.url = f"http://127.0.0.1:{port}/hook"

    async def _serve(self) -> tuple[web.AppRunner, int]:
        app = web.Application()
        app.router.add_post("/hook", self._hold)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner, runner.addresses[0][1]

    async def _hold(self, request: web.Request) -> web.Response:
        await request.read()
        self.held += 1
        await self._release.wait()
        return web.Response(status=204)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._release.set)
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


@pytest.fixture
def webhook() -> Iterator[StalledWebhook]:
    server = StalledWebhook()
    yield server
    server.stop()


def test_requests_are_answered_while_the_webhook_stalls(
    serve: Serve, upstreams: list[FakeUpstream], webhook: StalledWebhook
) -> None:
    sink = {
        "connector": "modelmesh.webhook.v1",
        "url": webhook.url,
        "batch_size": 1,
        "timeout": 60,
        "close_timeout": 0.2,
    }
    proxy = serve(mesh_config(upstreams, observability={"sinks": [sink]}))
    body = {"model": "chat", "messages": MESSAGES}
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        first = client.post("/v1/chat/completions", json=body)
        deadline = time.monotonic() + 5
        while webhook.held == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert webhook.held == 1  # the sink's POST hangs, for up to its 60 s timeout
        answers = [client.post("/v1/chat/completions", json=body) for _ in range(20)]

    assert [answer.status_code for answer in [first, *answers]] == [200] * 21
    # The webhook never answered, yet no request waited for it: all were served while
    # the single POST stayed open.
    assert webhook.held == 1
    started = time.monotonic()
    proxy.call(proxy.server.stop())
    assert time.monotonic() - started < 5  # the sink gave up after its close_timeout
    assert proxy.tasks() == 0  # its sender task is gone
