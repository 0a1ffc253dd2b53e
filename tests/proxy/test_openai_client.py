"""The official ``openai`` client, sync and async, against the proxy: what a user runs."""

from __future__ import annotations

import asyncio
import time

import openai
import pytest

from modelmesh_cdk.testing.fake_upstream import CHAT_PATH, FakeUpstream, error, stream

from .proxies import MESSAGES, ThreadedProxy, chat_calls


def test_sync_client_chat_gets_the_upstream_answer_and_routing_headers(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    with openai.OpenAI(base_url=proxy.url + "/v1", api_key="unused") as client:
        raw = client.chat.completions.with_raw_response.create(model="chat", messages=MESSAGES)
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello from the fake upstream"
    assert completion.usage is not None
    assert completion.usage.total_tokens > 0
    assert raw.headers["x-modelmesh-model"] == "a.m"
    assert raw.headers["x-modelmesh-provider"] == "a"
    assert raw.headers["x-modelmesh-attempts"] == "1"
    assert chat_calls(upstreams[0]) == 1


def test_unknown_openai_parameters_reach_the_upstream(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    with openai.OpenAI(base_url=proxy.url + "/v1", api_key="unused") as client:
        client.chat.completions.create(
            model="chat",
            messages=MESSAGES,
            seed=7,
            response_format={"type": "json_object"},
            user="session-1",
        )
    (sent,) = [r for r in upstreams[0].requests if r.path == CHAT_PATH]
    assert sent.body["seed"] == 7
    assert sent.body["response_format"] == {"type": "json_object"}
    assert sent.body["user"] == "session-1"
    assert sent.body["model"] == "fake-model"


def test_async_client_chat_embeddings_and_models(proxy: ThreadedProxy) -> None:
    async def scenario() -> None:
        async with openai.AsyncOpenAI(base_url=proxy.url + "/v1", api_key="unused") as client:
            completion = await client.chat.completions.create(model="chat", messages=MESSAGES)
            assert completion.choices[0].message.content == "Hello from the fake upstream"

            embeddings = await client.embeddings.create(model="chat", input=["one", "two"])
            assert [item.index for item in embeddings.data] == [0, 1]
            assert all(len(item.embedding) > 0 for item in embeddings.data)

            models = await client.models.list()
            assert [(m.id, m.owned_by) for m in models.data] == [("chat", "modelmesh")]
            assert (await client.models.retrieve("chat")).id == "chat"

    asyncio.run(scenario())


def test_streaming_chunks_arrive_as_the_upstream_sends_them(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    gap = 0.3
    upstreams[0].script(stream(["one", " two", " three"], gap=gap))

    async def scenario() -> tuple[list[str], list[float], float]:
        async with openai.AsyncOpenAI(base_url=proxy.url + "/v1", api_key="unused") as client:
            started = time.monotonic()
            chunks = await client.chat.completions.create(
                model="chat", messages=MESSAGES, stream=True
            )
            texts: list[str] = []
            arrivals: list[float] = []
            async for chunk in chunks:
                if chunk.choices and chunk.choices[0].delta.content:
                    texts.append(chunk.choices[0].delta.content)
                    arrivals.append(time.monotonic() - started)
            return texts, arrivals, time.monotonic() - started

    texts, arrivals, total = asyncio.run(scenario())
    assert texts == ["one", " two", " three"]
    # The first chunk is in the client's hands while the upstream still sends the rest.
    assert arrivals[0] < total - gap
    assert arrivals[-1] - arrivals[0] >= gap


def test_sync_client_stream_reads_every_chunk(proxy: ThreadedProxy) -> None:
    with openai.OpenAI(base_url=proxy.url + "/v1", api_key="unused") as client:
        chunks = client.chat.completions.create(model="chat", messages=MESSAGES, stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the fake upstream"


def test_failover_shows_in_the_headers(proxy: ThreadedProxy, upstreams: list[FakeUpstream]) -> None:
    upstreams[0].script(error(429, retry_after=30))
    with openai.OpenAI(base_url=proxy.url + "/v1", api_key="unused") as client:
        raw = client.chat.completions.with_raw_response.create(model="chat", messages=MESSAGES)
    assert raw.parse().choices[0].message.content == "Hello from the fake upstream"
    assert (raw.headers["x-modelmesh-model"], raw.headers["x-modelmesh-attempts"]) == ("b.m", "2")
    assert chat_calls(upstreams[0]) == chat_calls(upstreams[1]) == 1


def test_stream_failover_before_the_first_chunk_is_invisible_but_in_headers(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    upstreams[0].script(error(500))
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key="unused")
    with (
        client,
        client.chat.completions.with_streaming_response.create(
            model="chat", messages=MESSAGES, stream=True
        ) as response,
    ):
        assert response.headers["x-modelmesh-provider"] == "b"
        text = "".join(c.choices[0].delta.content or "" for c in response.parse() if c.choices)
    assert text == "Hello from the fake upstream"


def test_errors_reach_the_client_as_openai_exceptions(
    proxy: ThreadedProxy, upstreams: list[FakeUpstream]
) -> None:
    with openai.OpenAI(base_url=proxy.url + "/v1", api_key="unused", max_retries=0) as client:
        with pytest.raises(openai.NotFoundError) as unknown:
            client.chat.completions.create(model="no-such-pool", messages=MESSAGES)
        upstreams[0].script(error(500))
        upstreams[1].script(error(500))
        with pytest.raises(openai.APIStatusError) as exhausted:
            client.chat.completions.create(model="chat", messages=MESSAGES)
    assert unknown.value.code == "model_not_found"
    assert exhausted.value.status_code == 502
    assert exhausted.value.code == "all_providers_exhausted"
