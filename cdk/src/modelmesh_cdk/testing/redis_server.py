"""A throwaway redis-server for tests of anything stored in Redis.

Storage connectors (and the state kept through them) must be tested against a real
server, not a fake: ``redis_url`` starts one on loopback for the session, without
persistence, and skips the tests that ask for it where redis-server is not installed.
The kit's pytest plugin provides the fixture; other conftests import it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["redis_server", "redis_url"]

# How long a fresh redis-server may take to answer PING before the session gives up.
STARTUP_SECONDS = 15.0


@contextmanager
def redis_server(workdir: Path, executable: str = "redis-server") -> Iterator[str]:
    """Run a redis-server on a free loopback port until the block ends; yields its URL."""
    port = _free_port()
    log = workdir / "redis-server.log"
    with log.open("wb") as output:
        # A file, not a pipe: a pipe nobody reads would stall the server once full.
        server = subprocess.Popen(
            [
                executable,
                *("--port", str(port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
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
                # Waits for the next poll, and notices at once a server that exited.
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


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a throwaway redis-server on loopback, without persistence."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.skip("redis-server is not on PATH: install it (apt-get install redis-server)")
    with redis_server(tmp_path_factory.mktemp("redis"), executable) as url:
        yield url


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
