"""MeshClient and AsyncMeshClient: OpenAI SDK-shaped calls through the router to fake upstreams.

Code written against ``openai.OpenAI`` reads ``response.choices[0].message.content``,
iterates a stream's chunks and lists models; the mesh adds ``response.routing``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from modelmesh.client import AsyncMeshClient, MeshClient, OpenAIObject, RoutingInfo
from modelmesh.clock import ManualClock
from modelmesh.errors import ModelMeshError, UnknownModelError
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, error, ok, stream

from .conftest import run, started

MESSAGES = [{"role": "user", "content": "hi"}]


def _config(upstreams: list[FakeUpstream], state: Path | None = None) -> str:
    a, b, c = (server.url for server in upstreams)
    storage = (
        f"storage:\n  connector: modelmesh.local-file.v1\n  path: {state}\n"
        "  sync_policy: sync-on-boundary\n"
        if state is not None
        else ""
    )
    return f"""
providers:
  a: {{connector: openai.llm.v1, base_url: "{a}", api_key: k1}}
  b: {{connector: openai.llm.v1, base_url: "{b}", api_key: k2}}
  c: {{connector: openai.llm.v1, base_url: "{c}", api_key: k3}}
models:
  a.gpt-a: {{provider: a, capabilities: [chat-completion]}}
  b.gpt-b: {{provider: b, capabilities: [chat-completion]}}
  c.embed-c: {{provider: c, capabilities: [text-embeddings]}}
pools:
  chat:
    capability: chat-completion
    retry: {{max_attempts: 1}}
    deactivation: {{retry_limit: 1}}
  embed:
    capability: text-embeddings
{storage}"""


@pytest.fixture
def config(upstreams: list[FakeUpstream], write_config: Callable[[str], Path]) -> Path:
    return write_config(_config(upstreams))


def test_sync_chat_completion_reads_like_the_openai_sdk(
    upstreams: list[FakeUpstream], config: Path, clock: ManualClock
) -> None:
    upstreams[0].script(ok("first answer"))
    with MeshClient(config, clock=clock) as client:
        response = client.chat.completions.create(model="chat", messages=MESSAGES)
    assert isinstance(response, OpenAIObject)
    assert response.choices[0].message.content == "first answer"
    assert response.choices[0].message.role == "assistant"
    assert response.object == "chat.completion"
    assert response.model == "gpt-a"  # the upstream's model, not the pool
    assert response.usage.total_tokens == response.to_dict()["usage"]["total_tokens"]
    assert response.routing == RoutingInfo("chat", "a.gpt-a", "a", 1)
    assert upstreams[0].requests[0].body["model"] == "gpt-a"


def test_a_capability_name_routes_and_a_failure_fails_over(
    upstreams: list[FakeUpstream], config: Path, clock: ManualClock
) -> None:
    upstreams[0].script(error(500))
    upstreams[1].script(ok("from b"))
    with MeshClient(config, clock=clock) as client:
        response = client.chat.completions.create(
            model="chat-completion", messages=MESSAGES, temperature=0.5
        )
        assert response.choices[0].message.content == "from b"
        assert response.model == "gpt-b"
        assert response.routing == RoutingInfo("chat", "b.gpt-b", "b", 2)
        assert client.pool_status("chat")["chat"]["models"]["a.gpt-a"]["status"] == "standby"
    assert upstreams[1].requests[0].body["temperature"] == 0.5


def test_an_unknown_model_name_says_which_pools_exist(config: Path, clock: ManualClock) -> None:
    with (
        MeshClient(config, clock=clock) as client,
        pytest.raises(UnknownModelError, match="chat"),
    ):
        client.chat.completions.create(model="no-such-thing", messages=MESSAGES)


def test_sync_stream_yields_chunks_in_order(
    upstreams: list[FakeUpstream], config: Path, clock: ManualClock
) -> None:
    upstreams[0].script(stream(("one", " two", " three")))
    with MeshClient(config, clock=clock) as client:
        chunks = client.chat.completions.create(model="chat", messages=MESSAGES, stream=True)
        assert chunks.routing.model_id == "a.gpt-a"
        received = list(chunks)
        record = client.mesh.state.models["a.gpt-a"]
        assert record.total_requests == 1  # counted when the stream ended
    # Read as OpenAI SDK code reads it: the closing chunk's delta has no content (None).
    contents = [chunk.choices[0].delta.content for chunk in received if chunk.choices]
    assert "".join(content or "" for content in contents) == "one two three"
    assert contents[-1] is None
    assert received[-1].choices[0].finish_reason == "stop"
    assert received[0].usage is None
    assert all(chunk.object == "chat.completion.chunk" for chunk in received)
    assert upstreams[0].requests[0].body["stream"] is True


def test_sync_embeddings_and_model_listing(
    upstreams: list[FakeUpstream], config: Path, clock: ManualClock
) -> None:
    with MeshClient(config, clock=clock) as client:
        response = client.embeddings.create(model="text-embeddings", input=["alpha", "beta"])
        listed = client.models.list()
    assert response.object == "list"
    assert [item.index for item in response.data] == [0, 1]
    assert len(response.data[0].embedding) > 0
    assert response.model == "embed-c"
    assert response.routing == RoutingInfo("embed", "c.embed-c", "c", 1)
    assert upstreams[2].requests[0].path == "/v1/embeddings"
    ids = [entry.id for entry in listed.data]
    assert ids[:2] == ["chat", "embed"]
    assert set(ids[2:]) == {"a.gpt-a", "b.gpt-b", "c.embed-c"}
    assert next(e for e in listed.data if e.id == "b.gpt-b").owned_by == "b"


def test_describe_pool_status_and_explain(
    upstreams: list[FakeUpstream], config: Path, clock: ManualClock
) -> None:
    with MeshClient(config, clock=clock) as client:
        client.chat.completions.create(model="chat", messages=MESSAGES)
        status = client.pool_status()
        assert status["chat"]["current_model"] == "a.gpt-a"
        assert (status["chat"]["active"], status["chat"]["total"]) == (2, 2)
        text = client.describe("chat")
        assert "pool chat: capability generation.text-generation.chat-completion" in text
        assert "strategy modelmesh.stick-until-failure.v1" in text
        assert "-> a.gpt-a [active]" in text
        assert "   b.gpt-b [active]" in text
        assert client.rotate("chat") == "b.gpt-b"
        assert "a.gpt-a [standby (manual)]" in client.describe("chat")
        explanation = client.explain("chat-completion")
        assert explanation.pool_id == "chat"
        assert explanation.selected_model == "b.gpt-b"
        dropped = {c.model_id: c.reason for c in explanation.candidates if not c.kept}
        assert dropped == {"a.gpt-a": "standby (manual)"}
        assert client.active_providers() == ["a", "b", "c"]
    # explain never called an upstream
    assert len(upstreams[0].requests) == 1
    assert upstreams[1].requests == []


def test_closing_the_sync_client_saves_the_state(
    upstreams: list[FakeUpstream],
    write_config: Callable[[str], Path],
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    path = write_config(_config(upstreams, tmp_path / "state"))
    with MeshClient(path, clock=clock) as client:
        for _ in range(3):
            client.chat.completions.create(model="chat", messages=MESSAGES)
    client.close()  # a second close is a no-op

    async def reopened() -> int:
        mesh = await started(path, clock)
        try:
            return mesh.state.models["a.gpt-a"].total_requests
        finally:
            await mesh.shutdown()

    assert run(reopened()) == 3


def test_the_async_client_and_its_context_manager(
    upstreams: list[FakeUpstream],
    write_config: Callable[[str], Path],
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    path = write_config(_config(upstreams, tmp_path / "state"))
    upstreams[0].script(ok("async answer"), stream(("a", "b", "c")))

    async def scenario() -> None:
        async with AsyncMeshClient(path, clock=clock) as client:
            response = await client.chat.completions.create(model="chat", messages=MESSAGES)
            assert response.choices[0].message.content == "async answer"
            assert response.model == "gpt-a"
            assert response.routing.attempts == 1
            chunks = await client.chat.completions.create(
                model="chat", messages=MESSAGES, stream=True
            )
            async with chunks:
                texts = [c.choices[0].delta.content or "" async for c in chunks if c.choices]
            assert "".join(texts) == "abc"
            embedded = await client.embeddings.create(model="embed", input="x")
            assert embedded.data[0].object == "embedding"
            listed = await client.models.list()
            assert "chat" in [entry.id for entry in listed.data]
            assert client.pool_status("chat")["chat"]["current_model"] == "a.gpt-a"
            assert client.explain("chat").selected_model == "a.gpt-a"
        with pytest.raises(ModelMeshError, match="not initialized"):
            client.mesh.get_router()
        mesh = await started(path, clock)
        assert mesh.state.models["a.gpt-a"].total_requests == 2
        assert mesh.state.models["c.embed-c"].total_requests == 1
        await mesh.shutdown()

    run(scenario())


def test_an_async_client_over_a_given_mesh_leaves_it_running(
    config: Path, clock: ManualClock
) -> None:
    async def scenario() -> None:
        mesh = await ModelMesh(config, clock=clock).initialize()
        async with mesh.get_client() as client:
            response = await client.chat.completions.create(model="chat", messages=MESSAGES)
            assert response.routing.pool_id == "chat"
        assert mesh.list_pools() == ["chat", "embed"]  # still running
        await mesh.shutdown()

    run(scenario())


def test_a_sync_client_that_cannot_start_raises_and_stops_its_thread(
    write_config: Callable[[str], Path], clock: ManualClock
) -> None:
    path = write_config("providers:\n  a: {connector: no.such.v1}\n")
    before = threading.active_count()
    with pytest.raises(ModelMeshError, match=r"no\.such\.v1"):
        MeshClient(path, clock=clock)
    assert threading.active_count() == before
