"""What routing costs on top of a direct call, and how often a dead provider is called.

A routed call (``router.complete`` through one openai.llm.v1 provider) is measured
against direct calls to the same fake upstream, running in its own process so client
and server do not share an interpreter: raw aiohttp (the reference), httpx on its own
transport, the connectors' HTTP client (``HttpClientMixin``) alone and the connector
called directly, which separate what the transport and the connector cost from what
the router adds. The clients take turns,
one round each at a time, so load from other processes falls on all of them alike.

The router's own cost is measured without I/O, through an in-process provider that
returns a canned answer. The dead-provider run puts a connection-refused provider
first in a priority pool (the worst case: it is preferred whenever it is active)
and counts every HTTP request its transport sends over 500 requests, one second
apart on a ManualClock, so several cooldowns pass.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import Any

import attrs
import httpx
from transport import CONCURRENCY, Send, aiohttp_client, httpx_client, mixin_client

from modelmesh.clock import ManualClock
from modelmesh.interfaces.provider import (
    Choice,
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    ErrorCategory,
    ErrorClassification,
    ModelInfo,
    ModelPricing,
    ProviderConnector,
    QuotaStatus,
    RateLimitStatus,
    TokenUsage,
)
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.mixins.http_client import default_transport
from modelmesh_plugin_openai.connector import OpenAIProvider

SEQUENTIAL_PER_ROUND = 40
# Enough that 64 workers spend most of a round with all 64 in flight.
CONCURRENT_PER_ROUND = 1024
WARM_UP = 50
OVERHEAD_CALLS = 2000
DEAD_REQUESTS = 500
STEP_SECONDS = 1.0
RETRY_LIMIT = 3
COOLDOWN = 60.0
MESSAGES = ({"role": "user", "content": "hi"},)
REFERENCE = "aiohttp direct (reference)"
NO_RATE_LIMITS = RateLimitStatus()
ROUTED = "routed: router.complete -> openai.llm.v1"


@attrs.frozen
class Row:
    """One line of the table; figures are preformatted with their units."""

    name: str
    p50: str = "-"
    p99: str = "-"
    rate: str = "-"
    goal: str = ""
    passed: bool | None = None


def print_table(title: str, results: Sequence[Row]) -> None:
    header = ("benchmark", "p50 / value", "p99", f"req/s at {CONCURRENCY} in flight", "goal", "met")
    rows = [
        (
            r.name,
            r.p50,
            r.p99,
            r.rate,
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


# --- the upstreams ----------------------------------------------------------------------


@contextmanager
def fake_upstream() -> Iterator[str]:
    """The fake upstream in its own process; yields its URL."""
    server = subprocess.Popen(
        [sys.executable, "-m", "modelmesh_cdk.testing.fake_upstream", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        yield server.stdout.readline().split()[-1]
    finally:
        server.terminate()
        server.wait()


def refused_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class CannedProvider(ProviderConnector):
    """Answers at once without I/O, so a routed call's time is the router's own."""

    call_timeout = 1.0  # it answers at once; the CDK's providers declare their timeout

    def __init__(self) -> None:
        self.answer = CompletionResponse(
            id="canned",
            model="canned-model",
            choices=(Choice(message={"role": "assistant", "content": "hi"}, finish_reason="stop"),),
            usage=TokenUsage(prompt_tokens=1, completion_tokens=1),
        )

    async def complete(self, request: CompletionRequest) -> CompletionResponse:
        return self.answer

    async def stream(self, request: CompletionRequest) -> AsyncIterator[CompletionChunk]:
        raise NotImplementedError
        yield

    def get_capabilities(self) -> list[str]:
        return ["generation.text-generation.chat-completion"]

    async def list_models(self) -> list[ModelInfo]:
        return []

    async def check_quota(self) -> QuotaStatus:
        return QuotaStatus()

    async def get_rate_limits(self) -> RateLimitStatus:
        return NO_RATE_LIMITS

    async def get_pricing(self, model_id: str) -> ModelPricing:
        raise KeyError(model_id)

    def report_usage(self, model_id: str, usage: TokenUsage) -> None:
        pass

    def classify_error(self, exc: BaseException) -> ErrorClassification:
        return ErrorClassification(False, ErrorCategory.UNKNOWN)


class CountingTransport(httpx.AsyncBaseTransport):
    """The connectors' transport, noting the clock time of every request it sends."""

    def __init__(self, clock: ManualClock) -> None:
        self._inner = default_transport()
        self._clock = clock
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(self._clock.monotonic())
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def chat_config(providers: dict[str, Any], pool: dict[str, Any]) -> dict[str, Any]:
    """A mesh with one model per provider, named after it, all in pool ``chat``."""
    return {
        "providers": providers,
        "models": {
            f"{key}-model": {
                "provider": key,
                "name": "fake-model",
                "capabilities": ["chat-completion"],
            }
            for key in providers
        },
        "pools": {"chat": {"models": [f"{key}-model" for key in providers], **pool}},
    }


# --- latency and throughput -------------------------------------------------------------


@asynccontextmanager
async def routed_client(url: str) -> AsyncIterator[Send]:
    config = chat_config(
        {"fake": {"connector": "openai.llm.v1", "base_url": url, "api_key": "sk-bench"}}, {}
    )
    async with ModelMesh(config) as mesh:
        router = mesh.get_router()
        request = CompletionRequest("chat", MESSAGES)

        async def send() -> object:
            return await router.complete(request)

        yield send


@asynccontextmanager
async def connector_client(url: str) -> AsyncIterator[Send]:
    connector = OpenAIProvider({"base_url": url, "api_key": "sk-bench"})
    request = CompletionRequest("fake-model", MESSAGES)

    async def send() -> object:
        return await connector.complete(request)

    try:
        yield send
    finally:
        await connector.close()


CLIENTS: dict[str, Callable[[str], Any]] = {
    REFERENCE: aiohttp_client,
    "httpx direct, default transport": httpx_client(None),
    "HttpClientMixin direct (the connectors' HTTP client)": mixin_client,
    "connector direct: openai.llm.v1 complete()": connector_client,
    ROUTED: routed_client,
}


@attrs.define
class _Tally:
    latencies_ms: list[float] = attrs.Factory(list)
    rates: list[float] = attrs.Factory(list)
    round_p50s: list[float] = attrs.Factory(list)


async def _concurrent_rate(send: Send, requests: int) -> float:
    pending = iter(range(requests))

    async def worker() -> None:
        for _ in pending:
            await send()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return requests / (time.perf_counter() - start)


async def _compare(url: str, rounds: int) -> dict[str, _Tally]:
    """Per client: sequential latencies and a rate at 64 in flight per round, the
    clients taking turns round by round."""
    tallies = {name: _Tally() for name in CLIENTS}
    async with AsyncExitStack() as stack:
        senders = {name: await stack.enter_async_context(c(url)) for name, c in CLIENTS.items()}
        for send in senders.values():
            for _ in range(WARM_UP):
                await send()
        for _ in range(rounds):
            for name, send in senders.items():
                tally = tallies[name]
                round_ms = []
                for _ in range(SEQUENTIAL_PER_ROUND):
                    start = time.perf_counter()
                    await send()
                    round_ms.append((time.perf_counter() - start) * 1000)
                tally.latencies_ms.extend(round_ms)
                tally.round_p50s.append(statistics.median(round_ms))
                tally.rates.append(await _concurrent_rate(send, CONCURRENT_PER_ROUND))
    return tallies


async def _overhead(rounds: int) -> tuple[list[float], list[float], float]:
    """Microseconds of a routed call to the canned provider, of the provider call
    alone, and the routed rate at 64 in flight: the router's own cost, no I/O."""
    provider = CannedProvider()
    config = chat_config({"canned": {"instance": provider}}, {})
    async with ModelMesh(config) as mesh:
        router = mesh.get_router()
        request = CompletionRequest("chat", MESSAGES)
        direct = CompletionRequest("canned-model", MESSAGES)
        routed_us: list[float] = []
        provider_us: list[float] = []
        for _ in range(WARM_UP):
            await router.complete(request)
        for _ in range(rounds):
            for _ in range(OVERHEAD_CALLS // rounds):
                start = time.perf_counter()
                await router.complete(request)
                routed_us.append((time.perf_counter() - start) * 1e6)
                start = time.perf_counter()
                await provider.complete(direct)
                provider_us.append((time.perf_counter() - start) * 1e6)

        async def send() -> object:
            return await router.complete(request)

        rate = await _concurrent_rate(send, OVERHEAD_CALLS)
    return routed_us, provider_us, rate


# --- the dead provider ------------------------------------------------------------------


async def _dead_provider_calls(url: str) -> tuple[list[float], int]:
    """Clock times of the requests sent to the dead provider over 500 routed requests,
    and how many of those requests were answered."""
    clock = ManualClock()
    transport = CountingTransport(clock)
    dead = OpenAIProvider(
        {
            "base_url": refused_url(),
            "api_key": "sk-bench",
            "provider_id": "dead",
            "models": [{"id": "dead-model", "name": "fake-model"}],
        },
        transport=transport,
    )
    config = chat_config(
        {
            "dead": {"instance": dead},
            "live": {"connector": "openai.llm.v1", "base_url": url, "api_key": "sk-bench"},
        },
        {
            "strategy": "modelmesh.priority-selection.v1",
            "model_priority": ["dead-model", "live-model"],
            "deactivation": {"retry_limit": RETRY_LIMIT},
            "recovery": {"cooldown": COOLDOWN},
        },
    )
    answered = 0
    async with ModelMesh(config, clock=clock) as mesh:
        router = mesh.get_router()
        transport.sent.clear()
        for _ in range(DEAD_REQUESTS):
            routed = await router.complete(CompletionRequest("chat", MESSAGES))
            answered += routed.model_id == "live-model"
            clock.advance(STEP_SECONDS)
        await router.drain()
    return transport.sent, answered


def most_in_window(times: Sequence[float], window: float) -> int:
    """The most times falling within any half-open interval ``window`` long."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, time_ in enumerate(ordered):
        while ordered[first] <= time_ - window:
            first += 1
        most = max(most, last - first + 1)
    return most


# --- the suite --------------------------------------------------------------------------


def _ms(samples: Sequence[float]) -> tuple[str, str]:
    return f"{statistics.median(samples):.2f} ms", f"{_p99(samples):.2f} ms"


def _p99(samples: Sequence[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


def run(runs: int) -> list[Row]:
    """``runs`` rounds of 40 sequential and 1,024 concurrent requests per client, the
    router alone over 2,000 calls, and the 500-request dead-provider run."""
    with fake_upstream() as url:
        tallies = asyncio.run(_compare(url, runs))
        sent, answered = asyncio.run(_dead_provider_calls(url))
    routed_us, provider_us, router_rate = asyncio.run(_overhead(runs))

    rows = []
    for name, tally in tallies.items():
        p50, p99 = _ms(tally.latencies_ms)
        rows.append(Row(name, p50, p99, f"{statistics.median(tally.rates):.0f}"))
    reference, routed = tallies[REFERENCE], tallies[ROUTED]
    # Each round's routed figure against the reference's in the same round (they ran
    # seconds apart), then the median round: drifts in machine load cancel out.
    latency_ratio = statistics.median(
        r / a for r, a in zip(routed.round_p50s, reference.round_p50s, strict=True)
    )
    rate_share = statistics.median(
        r / a for r, a in zip(routed.rates, reference.rates, strict=True)
    )
    rows.append(
        Row(
            "routed p50 / aiohttp p50 (sequential)",
            p50=f"{latency_ratio:.2f}x",
            goal="<= 1.25x",
            passed=latency_ratio <= 1.25,
        )
    )
    rows.append(
        Row(
            "routed req/s / aiohttp req/s",
            rate=f"{rate_share:.0%}",
            goal=">= 70%",
            passed=rate_share >= 0.70,
        )
    )
    overhead = [r - p for r, p in zip(routed_us, provider_us, strict=True)]
    rows.append(
        Row(
            "routing overhead: router.complete - provider call (in-process provider)",
            p50=f"{statistics.median(overhead):.0f} us",
            p99=f"{_p99(overhead):.0f} us",
            rate=f"{router_rate:.0f}",
        )
    )
    most = most_in_window(sent, COOLDOWN)
    rows.append(
        Row(
            f"dead provider: calls in any {COOLDOWN:.0f}s cooldown, {DEAD_REQUESTS} requests "
            f"{STEP_SECONDS:.0f}s apart ({len(sent)} calls, {answered} answered)",
            p50=str(most),
            goal=f"<= retry_limit ({RETRY_LIMIT})",
            passed=most <= RETRY_LIMIT and answered == DEAD_REQUESTS,
        )
    )
    return rows
