"""Fixtures of the discovery tests: two fake upstreams and a stepped clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelmesh_cdk.testing.fake_upstream import FakeUpstream

from .helpers import SteppedClock


@pytest.fixture
def upstreams() -> Iterator[list[FakeUpstream]]:
    """Providers a and b, each listing ``m`` (the mesh's ``a.m`` and ``b.m``)."""
    servers = [FakeUpstream(models=("m",)).start() for _ in range(2)]
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()
