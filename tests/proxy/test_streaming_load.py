"""Streams under stress: a client that leaves mid-stream, and 1,000 streams at once."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml

from modelmesh_cdk.testing.fake_upstream import FakeUpstream, stream

from .proxies import MESSAGES, ThreadedProxy, mesh_config


def upstream_connections(server: FakeUpstream) -> int:
    return len(server._connections)


def wait_for(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return bool(condition())  # type: ignore[operator]


def test_a_client_leaving_mid_stream_closes_the_upstream_stream_and_leaves_no_task(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    upstream = upstreams[0]
    idle_tasks = proxy.tasks()
    # The upstream stalls after two chunks: only the proxy closing it ends that connection.
    upstream.script(stream([f"w{i} " for i in range(50)], stall_after=2))
    body = json.dumps({"model": "chat", "messages": MESSAGES, "stream": True}).encode()
    host, port = proxy.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as client:
        client.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: proxy\r\n"
            b"content-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        received = b""
        while b"w1 " not in received:
            received += client.recv(65536)
        assert b"200 OK" in received
        streaming = upstream_connections(upstream)
        assert streaming >= 1
        time.sleep(0.2)
        assert upstream_connections(upstream) == streaming
    # The socket is closed: the proxy notices, cancels its reader, closes the routed stream.
    assert wait_for(lambda: upstream_connections(upstream) == streaming - 1)
    assert wait_for(lambda: proxy.tasks() == idle_tasks)
    assert proxy.mesh.pool_status("chat")["chat"]["models"]["a.m"]["status"] == "active"


@contextmanager
def process_url(command: list[str], marker: str) -> Iterator[str]:
    """Run ``command`` until the block ends; yields the URL ending its ``marker`` line."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = ""
        while marker not in line:
            line = process.stdout.readline()
            assert line, f"{command} exited before printing {marker!r}"
        yield line.split()[-1]
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stdout is not None
        process.stdout.close()


def test_a_thousand_concurrent_streams_complete_without_error(tmp_path: Path) -> None:
    """Upstream and proxy in processes of their own, as deployed, so the client's load does
    not share an interpreter with them."""
    count = 1000
    body = {"model": "chat", "messages": MESSAGES, "stream": True}

    async def one(client: httpx.AsyncClient) -> str:
        async with client.stream("POST", "/v1/chat/completions", json=body) as response:
            assert response.status_code == 200
            text = []
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    chunk = json.loads(line[6:])
                    assert "error" not in chunk
                    text.append(chunk["choices"][0]["delta"].get("content") or "")
                elif line == "data: [DONE]":
                    text.append("|done")
            return "".join(text)

    async def scenario(url: str) -> list[str]:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        async with httpx.AsyncClient(
            base_url=url, limits=limits, timeout=httpx.Timeout(60.0)
        ) as client:
            return await asyncio.gather(*(one(client) for _ in range(count)))

    upstream_command = [sys.executable, "-m", "modelmesh_cdk.testing.fake_upstream", "--port", "0"]
    with process_url(upstream_command, "http://") as upstream:
        config = tmp_path / "modelmesh.yaml"
        config.write_text(yaml.safe_dump(mesh_config([FakeUrl(upstream)] * 2)), encoding="utf-8")
        serve = [sys.executable, "-m", "modelmesh.cli", "serve", "--config", str(config)]
        with process_url([*serve, "--port", "0"], "listening on") as url:
            texts = asyncio.run(scenario(url))
            with httpx.Client(base_url=url) as client:
                health = client.get("/health").json()
    assert texts == ["Hello from the fake upstream|done"] * count
    assert health["total_requests"] == count + 1


class FakeUrl:
    """Stands in for a FakeUpstream in ``mesh_config`` when only its URL is known."""

    def __init__(self, url: str) -> None:
        self.url = url
