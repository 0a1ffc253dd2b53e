"""Fixtures of the routing tests: fake upstreams on loopback and a mesh built from YAML.

Every test here goes the way a user's request goes: a YAML file, the registry, real
provider connectors, real HTTP to fake upstreams, back through the router.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from modelmesh.clock import ManualClock
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import FakeUpstream

from .meshes import mesh_yaml

T = TypeVar("T")


@pytest.fixture
def dead_url() -> str:
    """A loopback URL where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "modelmesh.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def a_b(upstreams: list[FakeUpstream], write_config: Callable[[str], Path]) -> Callable[..., Path]:
    """A config of upstreams 0 and 1 as providers a and b (see ``meshes.mesh_yaml``)."""

    def build(pool: str = "", **options: Any) -> Path:
        return write_config(mesh_yaml([upstreams[0].url, upstreams[1].url], pool, **options))

    return build


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def started(path: Path, clock: ManualClock, **options: Any) -> ModelMesh:
    return await ModelMesh(path, clock=clock, **options).initialize()
