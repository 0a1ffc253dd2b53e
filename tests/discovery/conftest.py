"""Fixtures of the discovery tests: two fake upstreams and a stepped clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelmesh_cdk.testing.fake_upstream import FakeUpstream

from .helpers import SteppedClock


@pytest.fixture
def upstreams() -> Iterator[list[FakeUpstream]]:
    """Providers a and b, serving ``a.m`` and ``b.m``."""
    servers = [FakeUpstream(models=(f"{name}.m",)).start() for name in ("a", "b")]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()
