"""The demo's run: fake providers, the proxy in front of them, requests through the
official ``openai`` client, each outcome and event handed to the display.

Everything is in this process: the fake providers serve from their own threads, the proxy
from the event loop, and the blocking client calls run in worker threads so the loop keeps
serving them. Leaving ``run_demo`` stops all of it, whatever happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator

import attrs
import openai
from rich.console import Console

from modelmesh.proxy import ProxyServer

from .config import POOL, demo_config
from .display import Display
from .events import EventCollector
from .tally import Call, Outcome, Tally
from .upstreams import PROVIDERS, RunningProviders

LOOPBACK = "127.0.0.1"
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")
CLIENT_TIMEOUT = 15.0
"""Seconds the client waits for one answer; above the pool's 10 s deadline."""


@attrs.frozen
class Options:
    requests: int
    delay: float
    """Seconds between the end of one request and the start of the next."""


@attrs.frozen
class _Reply:
    model: str | None
    provider: str | None
    attempts: int
    latency_ms: float
    error: str | None = None


def run_demo(options: Options, console: Console, *, live: bool) -> Tally:
    """Run the whole demo and return its tally; ``live`` pins the model board."""
    with _loopback_not_proxied(), RunningProviders(PROVIDERS) as providers:
        return asyncio.run(_serve_and_send(options, console, live, providers))


@contextlib.contextmanager
def _loopback_not_proxied() -> Iterator[None]:
    """Keep 127.0.0.1 out of any HTTP proxy set in the user's shell for the run: the
    client and the provider connectors honour HTTP_PROXY, and a proxy cannot reach the
    demo's loopback servers."""
    saved = {name: os.environ.get(name) for name in NO_PROXY_VARIABLES}
    for name, value in saved.items():
        os.environ[name] = f"{value},{LOOPBACK}" if value else LOOPBACK
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


async def _serve_and_send(
    options: Options, console: Console, live: bool, providers: RunningProviders
) -> Tally:
    sink = EventCollector()
    config = demo_config(providers.environ, sink)
    models = {model_id: model.provider for model_id, model in config.models.items()}
    tally = Tally(models)
    with Display(console, live=live, providers=PROVIDERS, models=models) as display:
        async with ProxyServer(config, port=0) as server:
            display.start(server.url, providers.urls, options.requests)
            with openai.OpenAI(
                base_url=f"{server.url}/v1",
                api_key="demo",
                max_retries=0,
                timeout=CLIENT_TIMEOUT,
            ) as client:
                first = time.monotonic()
                for number in range(1, options.requests + 1):
                    if number > 1:
                        await asyncio.sleep(options.delay)
                    before = providers.calls()
                    at = time.monotonic() - first
                    reply = await asyncio.to_thread(_send, client, number)
                    calls = tuple(Call(*answer) for answer in providers.answers_since(before))
                    outcome = Outcome(number, at, calls=calls, **attrs.asdict(reply))
                    events = sink.drain()
                    tally.add(outcome, events)
                    display.request(outcome, events)
        display.finish(tally)
    return tally


def _send(client: openai.OpenAI, number: int) -> _Reply:
    """One chat request through the proxy; the served model from its headers."""
    started = time.perf_counter()
    try:
        raw = client.chat.completions.with_raw_response.create(
            model=POOL,
            messages=[{"role": "user", "content": f"Request {number}: say hello"}],
        )
        raw.parse()
    except openai.APIStatusError as error:
        return _Reply(None, None, 0, _since(started), f"{error.status_code} {error.message}")
    except openai.APIError as error:
        return _Reply(None, None, 0, _since(started), str(error))
    return _Reply(
        model=raw.headers.get("x-modelmesh-model"),
        provider=raw.headers.get("x-modelmesh-provider"),
        attempts=int(raw.headers.get("x-modelmesh-attempts", "1")),
        latency_ms=_since(started),
    )


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
