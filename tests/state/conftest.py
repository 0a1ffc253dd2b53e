"""Real storage connectors, built through the registry as a configuration would build
them, and one throwaway redis-server for the session when it is installed."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from modelmesh.registry import ConnectorRegistry

# How long a fresh redis-server may take to answer PING before the session gives up.
STARTUP_SECONDS = 15.0

BACKENDS = ["memory", "file", "sqlite", "redis"]

OpenStorage = Callable[[], Any]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a redis-server on loopback without persistence; skips when absent."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not on PATH: install it (apt-get install redis-server)")
    workdir: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    log = workdir / "redis-server.log"
    with log.open("wb") as output:
        # A file, not a pipe: a pipe nobody reads would stall the server once full.
        server = subprocess.Popen(
            [
                executable,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _answers_ping(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {port} did not answer PING in time")
            try:
                server.wait(timeout=0.02)
            except subprocess.TimeoutExpired:
                continue
            output_text = log.read_text(errors="replace")
            raise RuntimeError(f"redis-server exited with {server.returncode}:\n{output_text}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(params=BACKENDS)
def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> OpenStorage:
    """``open_storage()`` -> a new connector on the same store, as another process would
    open it (the memory store, which lives in one object, returns that object)."""
    registry = ConnectorRegistry()
    backend = request.param
    if backend == "memory":
        shared = registry.create("modelmesh.memory.v1", {})
        return lambda: shared
    if backend == "file":
        options: dict[str, Any] = {"path": str(tmp_path / "state")}
        connector_id = "modelmesh.local-file.v1"
    elif backend == "sqlite":
        options = {"path": str(tmp_path / "state.db")}
        connector_id = "modelmesh.sqlite.v1"
    else:
        url = request.getfixturevalue("redis_url")
        options = {"url": url, "key_prefix": f"test-{uuid.uuid4().hex}:"}
        connector_id = "redis.redis.v1"
    return lambda: registry.create(connector_id, options)
