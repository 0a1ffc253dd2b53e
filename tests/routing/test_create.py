"""create(): a ready MeshClient from the providers an environment mapping names, or from a config.

Every test passes its own ``environ`` mapping, never the process environment. Detected
providers keep their real base URLs, so live calls go through a local-server variable
(``OLLAMA_HOST``, ``VLLM_HOST``) pointed at a fake upstream.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelmesh.autodetect import NoProvidersDetectedError
from modelmesh.client import MeshClient, create
from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh_cdk.testing.fake_upstream import FakeUpstream, ok

MESSAGES = [{"role": "user", "content": "hi"}]


def test_a_local_server_variable_serves_a_request(
    upstreams: list[FakeUpstream], clock: ManualClock
) -> None:
    upstreams[0].script(ok("from ollama"))
    with create("chat-completion", environ={"OLLAMA_HOST": upstreams[0].url}, clock=clock) as c:
        assert isinstance(c, MeshClient)
        assert c.mesh.list_pools() == ["chat-completion"]
        response = c.chat.completions.create(model="chat-completion", messages=MESSAGES)
        assert response.choices[0].message.content == "from ollama"
        assert response.model == "llama3"
        assert response.routing.model_id == "ollama.llama3"
        assert response.routing.provider_id == c.mesh.active_providers()[0]
    assert upstreams[0].requests[0].path == "/v1/chat/completions"


def test_a_host_without_a_scheme_gets_http(
    upstreams: list[FakeUpstream], clock: ManualClock
) -> None:
    host = upstreams[0].url.removeprefix("http://")
    with create("chat-completion", environ={"OLLAMA_HOST": host}, clock=clock) as client:
        response = client.chat.completions.create(model="chat-completion", messages=MESSAGES)
    assert response.routing.model_id == "ollama.llama3"
    assert len(upstreams[0].requests) == 1


def test_a_model_of_a_detected_vendor_joins_the_pool(
    upstreams: list[FakeUpstream], clock: ManualClock
) -> None:
    environ = {"VLLM_HOST": upstreams[1].url}
    with create("chat-completion", environ=environ, models=["vllm.served"], clock=clock) as c:
        response = c.chat.completions.create(model="chat-completion", messages=MESSAGES)
    assert response.routing.model_id == "vllm.served"
    assert upstreams[1].requests[0].body["model"] == "served"
    assert response.model == "served"


def test_keys_come_from_the_mapping_given_not_the_process_environment(
    upstreams: list[FakeUpstream], clock: ManualClock
) -> None:
    environ = {"OPENAI_API_KEY": "test", "OLLAMA_HOST": upstreams[0].url}
    with create("chat-completion", environ=environ, clock=clock) as client:
        router = client.mesh.get_router()
        assert sorted(router.providers) == ["ollama.local.v1", "openai.llm.v1"]
        assert router.providers["openai.llm.v1"].connector.config.api_key == "test"
        members = [m.model_id for m in router.pools["chat-completion"].members]
        assert members == ["openai.gpt-4o", "openai.gpt-4o-mini", "ollama.llama3"]
    # Narrowed to the local server, a live call never leaves loopback.
    with create("chat-completion", environ=environ, providers=["ollama"], clock=clock) as client:
        assert list(client.mesh.get_router().providers) == ["ollama.local.v1"]
        response = client.chat.completions.create(model="chat-completion", messages=MESSAGES)
        assert response.routing.model_id == "ollama.llama3"


def test_api_keys_given_in_code_are_the_only_providers(clock: ManualClock) -> None:
    environ = {"ANTHROPIC_API_KEY": "not-used"}
    with create(
        "chat-completion", environ=environ, api_keys={"openai": "sk-${given}"}, clock=clock
    ) as client:
        providers = client.mesh.get_router().providers
        assert list(providers) == ["openai.llm.v1"]
        assert providers["openai.llm.v1"].connector.config.api_key == "sk-${given}"


def test_create_with_nothing_says_what_to_give() -> None:
    with pytest.raises(ValueError, match="Specify capabilities, pool, or config"):
        create(environ={"OPENAI_API_KEY": "test"})


def test_no_provider_detected_lists_the_variables_to_set() -> None:
    with pytest.raises(NoProvidersDetectedError) as caught:
        create("chat-completion", environ={"UNRELATED": "1"})
    message = str(caught.value)
    assert "No provider detected" in message
    for variable in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OLLAMA_HOST", "VLLM_HOST"):
        assert variable in message
    assert isinstance(caught.value, ConfigurationError)


def test_unknown_capabilities_and_empty_pools_are_refused(upstreams: list[FakeUpstream]) -> None:
    environ = {"OLLAMA_HOST": upstreams[0].url}
    with pytest.raises(ValueError, match="unknown capability 'chat-completoin'"):
        create("chat-completoin", environ=environ)
    with pytest.raises(ConfigurationError, match="has no model"):
        create("text-embeddings", environ=environ)
    with pytest.raises(ValueError, match="unknown predefined pool"):
        create(pool="no-such-pool", environ=environ)


def test_a_predefined_pool(upstreams: list[FakeUpstream], clock: ManualClock) -> None:
    environ = {"OLLAMA_HOST": upstreams[0].url}
    with create(pool="text-generation", environ=environ, clock=clock) as client:
        assert client.mesh.list_pools() == ["text-generation"]
        response = client.chat.completions.create(model="text-generation", messages=MESSAGES)
    assert response.routing.pool_id == "text-generation"


def test_a_config_skips_detection(
    upstreams: list[FakeUpstream], write_config: Callable[[str], Path], clock: ManualClock
) -> None:
    path = write_config(
        f"""
providers:
  mine: {{connector: openai.llm.v1, base_url: "{upstreams[2].url}", api_key: "${{MY_KEY}}"}}
models:
  mine.model-x: {{provider: mine, capabilities: [chat-completion]}}
"""
    )
    # OLLAMA_HOST would be detected; with config= nothing is.
    environ = {"MY_KEY": "key-from-mapping", "OLLAMA_HOST": upstreams[0].url}
    with create(config=path, environ=environ, clock=clock) as client:
        assert list(client.mesh.get_router().providers) == ["mine"]
        response = client.chat.completions.create(model="chat-completion", messages=MESSAGES)
    assert response.routing.model_id == "mine.model-x"
    assert upstreams[0].requests == []
    headers = upstreams[2].requests[0].headers
    assert headers["authorization"] == "Bearer key-from-mapping"
