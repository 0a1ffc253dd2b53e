"""Fixtures of the proxy tests: fake upstreams and proxies started on port 0."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from modelmesh_cdk.testing.fake_upstream import FakeUpstream

from .proxies import ThreadedProxy, mesh_config


@pytest.fixture(scope="session")
def upstream_servers() -> Iterator[list[FakeUpstream]]:
    servers = [FakeUpstream().start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def upstreams(upstream_servers: list[FakeUpstream]) -> Iterator[list[FakeUpstream]]:
    """Two running fake upstreams with nothing scripted and nothing recorded."""
    for server in upstream_servers:
        server.clear()
    yield upstream_servers
    for server in upstream_servers:
        server.clear()


@pytest.fixture
def serve(upstreams: list[FakeUpstream]) -> Iterator[Callable[..., ThreadedProxy]]:
    """Start a proxy on port 0: ``serve(config=None, **ProxyServer options)``; the default
    configuration is ``mesh_config(upstreams)``. Every proxy started is stopped after."""
    started: list[ThreadedProxy] = []

    def start(config: Any = None, **options: Any) -> ThreadedProxy:
        proxy = ThreadedProxy(config or mesh_config(upstreams), port=0, **options)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


@pytest.fixture
def proxy(serve: Callable[..., ThreadedProxy]) -> ThreadedProxy:
    return serve()
