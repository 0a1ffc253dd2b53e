"""The proxy's server: the mesh, the ASGI app and uvicorn in one object.

uvicorn (with httptools, and uvloop under ``modelmesh serve``) was chosen by benchmark
and for embedding: it serves on a socket bound here (port 0 works, and the bound port is
known before the first request), it starts and stops inside a running event loop, and its
shutdown stops accepting, lets requests in flight finish within a bound, then cancels the
rest. docs/decisions.md has the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from modelmesh.clock import Clock
from modelmesh.errors import ConfigurationError
from modelmesh.log import get_logger
from modelmesh.mesh import ConfigSource, ModelMesh
from modelmesh.proxy.app import ProxyApp, create_app
from modelmesh.proxy.settings import ProxySettings

try:
    import uvicorn
except ImportError as exc:  # the extra is not installed
    raise ConfigurationError(
        "the proxy needs its server: pip install 'modelmesh-core[proxy]'"
    ) from exc

__all__ = ["DRAIN_SECONDS", "ProxyServer"]

DRAIN_SECONDS = 10.0
"""How long a stop waits for requests in flight before cancelling them."""

_log = get_logger("modelmesh.proxy")


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: ProxyServer.serve handles the signals, and
    an embedded server (tests, the demo) must leave the host's handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port "
            "(0 picks a free one) or stop what is using it"
        ) from exc
    sock.set_inheritable(True)
    return sock


class ProxyServer:
    """An OpenAI-compatible HTTP server in front of a mesh built from ``config``.

    ``host``, ``port`` and ``tokens`` replace the YAML's ``proxy:`` values; port 0 takes
    any free port, and ``url`` says which once started. Use ``async with`` or
    ``start()``/``stop()``; ``serve()`` runs until SIGTERM or SIGINT.
    """

    def __init__(
        self,
        config: ConfigSource,
        *,
        host: str | None = None,
        port: int | None = None,
        tokens: Sequence[str] | None = None,
        clock: Clock | None = None,
        drain_seconds: float = DRAIN_SECONDS,
    ) -> None:
        self.mesh = ModelMesh(config, clock=clock)
        self._host = host
        self._port = port
        self._tokens = tuple(tokens) if tokens else None
        self._drain_seconds = drain_seconds
        self.settings: ProxySettings | None = None
        self.app: ProxyApp | None = None
        self.url = ""
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = 0.0

    def __repr__(self) -> str:
        return f"ProxyServer({self.url or 'not started'})"

    async def start(self) -> None:
        """Start the mesh, bind, and return once connections are accepted."""
        if self._task is not None:
            raise RuntimeError("the proxy server is already started")
        await self.mesh.initialize()
        try:
            assert self.mesh.config is not None
            self.settings = ProxySettings.from_config(
                self.mesh.config, host=self._host, port=self._port, tokens=self._tokens
            )
            sock = _bind(self.settings.host, self.settings.port)
        except BaseException:
            await self.mesh.shutdown()
            raise
        port = sock.getsockname()[1]
        self.app = create_app(self.mesh, self.settings)
        self.app.port = port
        host = self.settings.host
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        self._server = _Server(
            uvicorn.Config(
                self.app,
                http="httptools",
                ws="none",
                lifespan="off",
                access_log=False,
                log_config=None,
                server_header=False,
                # Nothing here reads the client address or scheme that X-Forwarded-*
                # would rewrite, so the middleware that does it is left out.
                proxy_headers=False,
                backlog=2048,
                timeout_graceful_shutdown=self._drain_seconds,
            )
        )
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                break
            await asyncio.sleep(0.005)
        if not self._server.started:
            task, self._task = self._task, None
            await self.mesh.shutdown()
            await task
            raise RuntimeError(f"the proxy server did not start on {self.url}")
        self._started = time.monotonic()
        _log.info("proxy listening", url=self.url)

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (bounded), then shut the mesh
        down, which saves its state; idempotent."""
        if self._task is None:
            return
        assert self._server is not None
        assert self.app is not None
        self.app.running = False
        self._server.should_exit = True
        task, self._task = self._task, None
        try:
            await task
        finally:
            await self.mesh.shutdown()
        _log.info("proxy stopped", url=self.url)

    async def serve(self, ready: Callable[[ProxyServer], None] | None = None) -> None:
        """Start, call ``ready``, run until SIGTERM or SIGINT, then stop gracefully; a
        second signal while draining cancels what is still running."""
        await self.start()
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()

        def on_signal() -> None:
            if stopping.is_set() and self._server is not None:
                self._server.force_exit = True
            stopping.set()

        signals = (signal.SIGTERM, signal.SIGINT)
        try:
            for number in signals:
                loop.add_signal_handler(number, on_signal)
            if ready is not None:
                ready(self)
            await stopping.wait()
            await self.stop()
        finally:
            for number in signals:
                loop.remove_signal_handler(number)
            await self.stop()

    def status(self) -> dict[str, Any]:
        """running, host, port, uptime_seconds, total_requests."""
        if self.app is None or self.settings is None:
            return {"running": False, "host": self._host, "port": self._port}
        return {"host": self.settings.host, **self.app.status(), "running": self._task is not None}

    async def __aenter__(self) -> ProxyServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
