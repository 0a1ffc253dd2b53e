"""Loads the ModelMesh connector kit, and serves a real webhook receiver to post to."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

pytest_plugins = ["modelmesh_cdk.testing.plugin"]


class Receiver:
    """An aiohttp.web webhook on a loop in its own thread, so the sink's loop (or none)
    is never the server's. ``script`` queues answers: a status code, ``(status,
    retry_after)``, or ``"stall"`` (hold the request open until ``stop``); unscripted
    requests get 204. ``posts`` keeps every request's headers and parsed body."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], Any]] = []
        self.open = 0
        self._script: list[Any] = []
        self._loop = asyncio.new_event_loop()
        self._release = asyncio.Event()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner = self._call(self._serve())
        self.url = f"http://127.0.0.1:{self._port}/hooks/secret-path-token"

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _serve(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/hooks/{rest:.*}", self._handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._port = runner.addresses[0][1]
        return runner

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.posts.append((dict(request.headers), json.loads(await request.read())))
        answer = self._script.pop(0) if self._script else 204
        if answer == "stall":
            self.open += 1
            try:
                await self._release.wait()
            finally:
                self.open -= 1
            return web.Response(status=204)
        status, retry_after = answer if isinstance(answer, tuple) else (answer, None)
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        return web.Response(status=status, headers=headers)

    def script(self, *answers: Any) -> None:
        self._script.extend(answers)

    @property
    def batches(self) -> list[list[dict[str, Any]]]:
        return [body for _, body in self.posts]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [record for batch in self.batches for record in batch]

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._release.set)
        self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()
