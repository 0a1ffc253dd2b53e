"""What the proxy tests share: a mesh configuration over fake upstreams, and a proxy
served from a thread of its own.

The proxy runs on its own event loop in a background thread, the way a real server runs
apart from its clients, so the sync ``openai`` client works against it and async tests
use ``asyncio.run`` with no loop shared with the server.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

from modelmesh.mesh import ModelMesh
from modelmesh.proxy import ProxyServer
from modelmesh_cdk.testing.fake_upstream import CHAT_PATH, FakeUpstream

T = TypeVar("T")
TOKEN = "test-token-0123456789"
MESSAGES = [{"role": "user", "content": "hi"}]


def mesh_config(
    upstreams: list[FakeUpstream],
    *,
    pool: Mapping[str, Any] | None = None,
    providers: Mapping[str, Mapping[str, Any]] | None = None,
    models: Mapping[str, Mapping[str, Any]] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    """Providers a, b on upstreams 0 and 1, models a.m and b.m, pool ``chat`` in priority
    order with one attempt per model, so a failure rotates at once."""
    names = ("a", "b")
    return {
        "providers": {
            name: {
                "connector": "openai.llm.v1",
                "base_url": server.url,
                "api_key": "upstream-key",
                **(providers or {}).get(name, {}),
            }
            for name, server in zip(names, upstreams, strict=False)
        },
        "models": {
            f"{name}.m": {
                "provider": name,
                "name": "fake-model",
                "capabilities": ["chat-completion", "text-embeddings"],
                **(models or {}).get(name, {}),
            }
            for name in names
        },
        "pools": {
            "chat": {
                "models": ["a.m", "b.m"],
                "strategy": "priority-selection",
                "retry": {"max_attempts": 1},
                **(pool or {}),
            }
        },
        **sections,
    }


class ThreadedProxy:
    """A started ProxyServer on an event loop in a background thread."""

    def __init__(self, config: Any, **options: Any) -> None:
        self.server = ProxyServer(config, **options)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        try:
            self.call(self.server.start())
        except BaseException:
            self._close_loop()
            raise

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def mesh(self) -> ModelMesh:
        return self.server.mesh

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the server's loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout=30)

    def tasks(self) -> int:
        """How many tasks the server's loop holds (this inspection's own not counted)."""

        async def count() -> int:
            return len(asyncio.all_tasks()) - 1

        return self.call(count())

    def stop(self) -> None:
        try:
            self.call(self.server.stop())
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


def chat_calls(server: FakeUpstream) -> int:
    """Chat completions the upstream received (start-up probes list models instead)."""
    return sum(1 for request in server.requests if request.path == CHAT_PATH)
