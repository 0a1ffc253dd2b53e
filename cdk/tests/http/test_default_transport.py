"""The default transport: httpx's API on aiohttp, with errors that say what happened."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from modelmesh_cdk.mixins.http_client import default_transport
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, reset, stall, stream

CHAT = "/v1/chat/completions"


def fetch(url: str, timeout: float = 5.0) -> httpx.Response:
    async def main() -> httpx.Response:
        async with httpx.AsyncClient(
            base_url=url, transport=default_transport(), timeout=timeout
        ) as client:
            return await client.post(CHAT, json={"model": "m"})

    return asyncio.run(main())


def test_answers_come_through(upstream):
    assert fetch(upstream.url).json()["object"] == "chat.completion"


def test_reset_connection_is_a_read_error(upstream):
    upstream.script(reset())
    with pytest.raises(httpx.ReadError):
        fetch(upstream.url)


def test_refused_connection_is_a_connect_error():
    with FakeUpstream() as gone:
        url = gone.url
    with pytest.raises(httpx.ConnectError):
        fetch(url)


def test_silent_upstream_is_a_read_timeout(upstream):
    upstream.script(stall())
    with pytest.raises(httpx.ReadTimeout):
        fetch(upstream.url, timeout=0.1)


def test_stream_cut_mid_way_is_a_protocol_error(upstream):
    upstream.script(stream(["a", "b"], cut_after=1))
    with pytest.raises(httpx.RemoteProtocolError):
        fetch(upstream.url)


def test_stream_stalled_mid_way_is_a_read_timeout(upstream):
    upstream.script(stream(["a", "b"], stall_after=1))
    with pytest.raises(httpx.ReadTimeout):
        fetch(upstream.url, timeout=0.1)


def test_each_call_gives_a_new_transport():
    assert default_transport() is not default_transport()
