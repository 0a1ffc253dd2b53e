"""HTTP client transports against the fake upstream on loopback.

For each client: sequential latency (p50, p99) and throughput with 64 requests in
flight, every request a chat completion POST whose JSON answer is parsed. The fake
upstream runs in its own process so client and server do not share an interpreter.
Raw aiohttp is the reference; the connectors' HTTP client (HttpClientMixin, which sends
through the CDK's own HTTP/1.1 client) is held to 70% of its throughput.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

import aiohttp
import attrs
import httpx
from httpx_aiohttp import AiohttpTransport

from modelmesh_cdk.mixins.http_client import HttpClientMixin, default_transport

CONCURRENCY = 64
CONCURRENT_REQUESTS = 2000
CHAT = "/v1/chat/completions"
QUESTION = {"model": "fake-model", "messages": [{"role": "user", "content": "hi"}]}

Send = Callable[[], Awaitable[object]]


@attrs.frozen
class LatencyResult:
    name: str
    latencies_ms: tuple[float, ...]
    requests_per_second: float
    goal: str = ""
    passed: bool | None = None

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[98]


def print_table(title: str, results: Sequence[LatencyResult]) -> None:
    header = ("client", "p50 ms", "p99 ms", f"req/s at {CONCURRENCY} in flight", "goal", "met")
    rows = [
        (
            r.name,
            f"{r.p50:.2f}",
            f"{r.p99:.2f}",
            f"{r.requests_per_second:.0f}",
            r.goal or "-",
            {True: "yes", False: "NO", None: "-"}[r.passed],
        )
        for r in results
    ]
    widths = [max(len(c) for c in col) for col in zip(header, *rows, strict=False)]
    print(f"\n{title}")
    for i, row in enumerate((header, *rows)):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


@asynccontextmanager
async def aiohttp_client(url: str) -> AsyncIterator[Send]:
    async with aiohttp.ClientSession(url) as session:

        async def send() -> object:
            async with session.post(CHAT, json=QUESTION) as response:
                response.raise_for_status()
                return await response.json()

        yield send


def httpx_client(make_transport: Callable[[], httpx.AsyncBaseTransport] | None) -> Callable:
    @asynccontextmanager
    async def client(url: str) -> AsyncIterator[Send]:
        transport = make_transport() if make_transport else None
        async with httpx.AsyncClient(base_url=url, transport=transport) as http:

            async def send() -> object:
                response = await http.post(CHAT, json=QUESTION)
                response.raise_for_status()
                return response.json()

            yield send

    return client


class _MixinClient(HttpClientMixin):
    def __init__(self, url: str) -> None:
        self._init_http_client(url, max_retries=0)


@asynccontextmanager
async def mixin_client(url: str) -> AsyncIterator[Send]:
    """What every connector uses: HttpClientMixin with its defaults."""
    client = _MixinClient(url)

    async def send() -> object:
        return await client._http_post(CHAT, json=QUESTION)

    try:
        yield send
    finally:
        await client._close_http_client()


def tuned_httpx_transport() -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport(
        http1=True,
        http2=False,
        limits=httpx.Limits(
            max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY, keepalive_expiry=60
        ),
    )


CLIENTS = {
    "aiohttp (reference)": aiohttp_client,
    "httpx, default transport": httpx_client(None),
    "httpx, default transport tuned": httpx_client(tuned_httpx_transport),
    "httpx + httpx_aiohttp.AiohttpTransport": httpx_client(AiohttpTransport),
    "httpx + default_transport()": httpx_client(default_transport),
    "HttpClientMixin._http_post (chosen)": mixin_client,
}


async def measure(client: Callable, url: str, sequential: int) -> tuple[list[float], float]:
    async with client(url) as send:
        for _ in range(20):
            await send()
        latencies = []
        for _ in range(sequential):
            start = time.perf_counter()
            await send()
            latencies.append((time.perf_counter() - start) * 1000)
        pending = iter(range(CONCURRENT_REQUESTS))

        async def worker() -> None:
            for _ in pending:
                await send()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        rate = CONCURRENT_REQUESTS / (time.perf_counter() - start)
    return latencies, rate


def run(runs: int) -> list[LatencyResult]:
    """``runs * 20`` sequential requests and 2,000 concurrent ones per client."""
    server = subprocess.Popen(
        [sys.executable, "-m", "modelmesh_cdk.testing.fake_upstream", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[-1]
        measured = {
            name: asyncio.run(measure(client, url, sequential=20 * runs))
            for name, client in CLIENTS.items()
        }
    finally:
        server.terminate()
        server.wait()
    reference = measured["aiohttp (reference)"][1]
    results = []
    for name, (latencies, rate) in measured.items():
        chosen = name.endswith("(chosen)")
        results.append(
            LatencyResult(
                name,
                tuple(latencies),
                rate,
                ">= 70% of aiohttp req/s" if chosen else "",
                rate >= 0.7 * reference if chosen else None,
            )
        )
    return results
