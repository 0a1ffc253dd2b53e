"""What the proxy adds to a call, and how many requests one proxy process answers.

Three processes: the fake upstream, the proxy (``modelmesh serve``, one worker, uvicorn
with httptools and uvloop) and the load. Latency: sequential chat completions through
the proxy against the same requests sent straight to the fake upstream with aiohttp,
taking turns one round each; the proxy's added p50 is the difference of the medians.
Throughput: 64 connections for a few seconds, from wrk when /usr/bin/wrk exists, else
from an aiohttp client in its own process; the upstream's own rate under the same load
is the ceiling any proxy in front of it can reach. A last row serves a provider that
answers in process without I/O, which leaves the server, the app and the router: what
the proxy costs apart from its upstream connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import yaml
from routing import Row, fake_upstream, print_table

CONNECTIONS = 64
SECONDS = 5
WARM_UP = 200
SEQUENTIAL_PER_ROUND = 50
ADDED_P50_GOAL_MS = 1.0
RATE_GOAL = 2000.0
CHAT = "/v1/chat/completions"
BODY = {"model": "chat", "messages": [{"role": "user", "content": "hi"}]}
DIRECT_BODY = {**BODY, "model": "fake-model"}
WRK = "/usr/bin/wrk"


def _ready_url(server: subprocess.Popen[str]) -> str:
    assert server.stdout is not None
    line = ""
    while "listening on" not in line:
        line = server.stdout.readline()
        if not line:
            raise RuntimeError("the proxy exited before listening")
    return line.split()[-1]


@contextmanager
def _serving(command: list[str]) -> Iterator[str]:
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield _ready_url(server)
    finally:
        server.terminate()
        server.wait()
        assert server.stdout is not None
        server.stdout.close()


@contextmanager
def proxy_process(upstream: str) -> Iterator[str]:
    """``modelmesh serve`` on a free port in front of ``upstream``; yields its URL."""
    config = {
        "providers": {
            "fake": {"connector": "openai.llm.v1", "base_url": upstream, "api_key": "bench"}
        },
        "models": {
            "fake.m": {
                "provider": "fake",
                "name": "fake-model",
                "capabilities": ["chat-completion"],
            }
        },
        "pools": {"chat": {"models": ["fake.m"]}},
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "modelmesh.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        command = [sys.executable, "-m", "modelmesh.cli", "serve", "--config", str(path)]
        with _serving([*command, "--port", "0"]) as url:
            yield url


async def _serve_canned() -> None:
    """A proxy whose one provider is routing.CannedProvider (``--canned``)."""
    from routing import CannedProvider

    from modelmesh.proxy import ProxyServer

    config = {
        "providers": {"canned": {"instance": CannedProvider()}},
        "models": {"canned.m": {"provider": "canned", "capabilities": ["chat-completion"]}},
        "pools": {"chat": {"models": ["canned.m"]}},
    }
    await ProxyServer(config, port=0).serve(
        lambda server: print(f"listening on {server.url}", flush=True)
    )


# --- latency ----------------------------------------------------------------------------


async def _sequential(runs: int, direct: str, proxied: str) -> tuple[list[float], list[float]]:
    """Sequential calls, direct and proxied taking turns a round at a time, in ms."""
    timings: dict[str, list[float]] = {direct: [], proxied: []}
    async with aiohttp.ClientSession() as session:

        async def call(url: str, body: dict[str, object]) -> float:
            started = time.perf_counter()
            async with session.post(url + CHAT, json=body) as response:
                assert response.status == 200, await response.text()
                await response.read()
            return (time.perf_counter() - started) * 1000

        for _ in range(WARM_UP):
            await call(direct, DIRECT_BODY)
            await call(proxied, BODY)
        for _ in range(runs):
            for url, body in ((direct, DIRECT_BODY), (proxied, BODY)):
                for _ in range(SEQUENTIAL_PER_ROUND):
                    timings[url].append(await call(url, body))
    return timings[direct], timings[proxied]


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


# --- throughput -------------------------------------------------------------------------


def _wrk_rate(url: str, body: dict[str, object]) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(json.dumps(body))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
    try:
        result = subprocess.run(
            [WRK, "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-s", script.name, url + CHAT],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    if "Non-2xx" in result.stdout:
        raise RuntimeError(f"errors under load:\n{result.stdout}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    assert match is not None, result.stdout
    return float(match.group(1))


async def _aiohttp_load(url: str, body: dict[str, object]) -> float:
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    count = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        deadline = time.perf_counter() + SECONDS

        async def worker() -> None:
            nonlocal count
            while time.perf_counter() < deadline:
                async with session.post(url + CHAT, json=body) as response:
                    assert response.status == 200
                    await response.read()
                count += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        return count / (time.perf_counter() - started)


def _rate(url: str, body: dict[str, object]) -> tuple[float, str]:
    """Requests per second at CONNECTIONS connections, and what produced the load."""
    if shutil.which(WRK):
        return _wrk_rate(url, body), "wrk"
    load = subprocess.run(
        [sys.executable, __file__, "--load", url, json.dumps(body)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(load.stdout), "aiohttp"


def run(runs: int) -> list[Row]:
    with fake_upstream() as upstream, proxy_process(upstream) as proxied:
        direct, through = asyncio.run(_sequential(runs, upstream, proxied))
        upstream_rate, tool = _rate(upstream, DIRECT_BODY)
        proxy_rate, _ = _rate(proxied, BODY)
    with _serving([sys.executable, __file__, "--canned"]) as canned:
        canned_rate, _ = _rate(canned, BODY)
    added = statistics.median(through) - statistics.median(direct)
    added_p99 = _p99(through) - _p99(direct)
    return [
        Row(
            "aiohttp -> fake upstream (reference)",
            f"{statistics.median(direct):.2f} ms",
            f"{_p99(direct):.2f} ms",
            f"{upstream_rate:.0f} ({tool})",
        ),
        Row(
            "aiohttp -> modelmesh serve -> fake upstream",
            f"{statistics.median(through):.2f} ms",
            f"{_p99(through):.2f} ms",
            f"{proxy_rate:.0f} ({tool})",
            goal=f">= {RATE_GOAL:.0f} req/s",
            passed=proxy_rate >= RATE_GOAL,
        ),
        Row(
            "added by the proxy",
            f"{added:.2f} ms",
            f"{added_p99:.2f} ms",
            goal=f"p50 <= {ADDED_P50_GOAL_MS:g} ms",
            passed=added <= ADDED_P50_GOAL_MS,
        ),
        Row("proxy over an in-process provider (no upstream)", rate=f"{canned_rate:.0f} ({tool})"),
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--canned"]:
        import uvloop

        uvloop.run(_serve_canned())
    elif sys.argv[1:2] == ["--load"]:
        print(asyncio.run(_aiohttp_load(sys.argv[2], json.loads(sys.argv[3]))))
    else:
        print_table("Proxy against direct calls to the fake upstream", run(3))
