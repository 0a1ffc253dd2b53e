"""Fixtures of the proxy tests: fake upstreams and proxies started on port 0."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from modelmesh_cdk.testing.fake_upstream import FakeUpstream

from .proxies import ThreadedProxy, mesh_config


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
