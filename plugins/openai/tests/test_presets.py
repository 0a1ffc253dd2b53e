"""Each connector ID starts from its preset, and any option given wins over it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.clock import ManualClock
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.provider import CompletionRequest, RateLimitStatus
from modelmesh_cdk.base.provider import CHAT_COMPLETION
from modelmesh_cdk.testing import fake_upstream as fake
from modelmesh_cdk.testing.fake_upstream import FakeUpstream
from modelmesh_plugin_openai.connector import PROVIDERS, OpenAIPresetProvider
from modelmesh_plugin_openai.presets import PRESETS, TEXT_EMBEDDINGS, Preset

HOSTED = [preset for preset in PRESETS if preset.requires_api_key]
LOCAL = [preset for preset in PRESETS if not preset.requires_api_key]

# Where each service lives, written out here rather than read from the table, so a
# slip in the table shows.
SERVER_ROOTS = {
    "openai.llm.v1": "https://api.openai.com",
    "deepseek.api.v1": "https://api.deepseek.com",
    "groq.api.v1": "https://api.groq.com/openai",
    "mistral.api.v1": "https://api.mistral.ai",
    "together.api.v1": "https://api.together.xyz",
    "openrouter.gateway.v1": "https://openrouter.ai/api",
    "xai.grok.v1": "https://api.x.ai",
    "perplexity.search.v1": "https://api.perplexity.ai",
    "ollama.local.v1": "http://localhost:11434",
    "lmstudio.local.v1": "http://localhost:1234",
    "vllm.local.v1": "http://localhost:8000",
    "localai.local.v1": "http://localhost:8080",
}
# Model ID -> upstream name, for the presets that declare models.
DECLARED_MODELS = {
    "openai.llm.v1": {"openai.gpt-4o": "gpt-4o", "openai.gpt-4o-mini": "gpt-4o-mini"},
    "groq.api.v1": {"groq.llama-3.3-70b-versatile": "llama-3.3-70b-versatile"},
    "mistral.api.v1": {
        "mistral.mistral-large-latest": "mistral-large-latest",
        "mistral.mistral-small-latest": "mistral-small-latest",
    },
    "openrouter.gateway.v1": {"openrouter.auto": "openrouter/auto"},
    "ollama.local.v1": {"ollama.llama3": "llama3"},
}
API_KEY_VARIABLES = {
    "openai.llm.v1": "OPENAI_API_KEY",
    "deepseek.api.v1": "DEEPSEEK_API_KEY",
    "groq.api.v1": "GROQ_API_KEY",
    "mistral.api.v1": "MISTRAL_API_KEY",
    "together.api.v1": "TOGETHER_API_KEY",
    "openrouter.gateway.v1": "OPENROUTER_API_KEY",
    "xai.grok.v1": "XAI_API_KEY",
    "perplexity.search.v1": "PERPLEXITY_API_KEY",
}
CHAT = CompletionRequest(model="m", messages=[{"role": "user", "content": "hi"}])


def by_id(preset: Preset) -> str:
    return preset.connector_id


def key_for(preset: Preset) -> dict[str, str]:
    return {"api_key": "sk-test"} if preset.requires_api_key else {}


def build(preset: Preset, options: dict[str, Any], **kwargs: Any) -> OpenAIPresetProvider:
    return PROVIDERS[preset.connector_id](options, **kwargs)


def closed(provider: OpenAIPresetProvider) -> OpenAIPresetProvider:
    asyncio.run(provider.close())
    return provider


def test_the_table_covers_the_twelve_ids() -> None:
    assert [preset.connector_id for preset in PRESETS] == list(SERVER_ROOTS)


@pytest.mark.parametrize("preset", PRESETS, ids=by_id)
def test_base_url_defaults_to_the_service_root(preset: Preset) -> None:
    provider = closed(build(preset, key_for(preset)))
    assert provider.config.base_url == SERVER_ROOTS[preset.connector_id]


@pytest.mark.parametrize("preset", PRESETS, ids=by_id)
def test_declared_models_default_to_the_table(preset: Preset) -> None:
    provider = closed(build(preset, key_for(preset)))
    declared = {model.id: model.name for model in provider.config.models}
    assert declared == DECLARED_MODELS.get(preset.connector_id, {})


def test_mistral_small_also_serves_embeddings() -> None:
    models = {model.id: model.capabilities for model in PROVIDERS["mistral.api.v1"].preset.models}
    assert models["mistral.mistral-small-latest"] == (CHAT_COMPLETION, TEXT_EMBEDDINGS)
    assert models["mistral.mistral-large-latest"] == (CHAT_COMPLETION,)


@pytest.mark.parametrize("preset", PRESETS, ids=by_id)
def test_requests_go_to_the_preset_server(preset: Preset) -> None:
    """No option but the key: the call leaves for the service's own /v1 endpoint."""
    seen: list[httpx.URL] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"choices": [{"message": {"content": "hi"}}]})

    async def scenario() -> None:
        provider = build(preset, key_for(preset), transport=httpx.MockTransport(answer))
        try:
            await provider.complete(CHAT)
        finally:
            await provider.close()

    asyncio.run(scenario())
    assert str(seen[0]) == f"{SERVER_ROOTS[preset.connector_id]}/v1/chat/completions"


@given(
    preset=st.sampled_from(PRESETS),
    host=st.from_regex(r"[a-z][a-z0-9]{0,15}\.example", fullmatch=True),
    port=st.integers(min_value=1, max_value=65535),
)
def test_a_given_base_url_wins_over_the_preset(preset: Preset, host: str, port: int) -> None:
    url = f"https://{host}:{port}"
    provider = closed(build(preset, {**key_for(preset), "base_url": url}))
    assert provider.config.base_url == url


@pytest.mark.parametrize("preset", PRESETS, ids=by_id)
def test_given_models_replace_the_preset_models(preset: Preset) -> None:
    options = {**key_for(preset), "models": [{"id": "acme.model-x", "name": "model-x"}]}
    provider = closed(build(preset, options))
    assert [(model.id, model.name) for model in provider.config.models] == [
        ("acme.model-x", "model-x")
    ]


def test_an_empty_models_list_leaves_the_catalogue_to_the_server() -> None:
    provider = closed(build(PROVIDERS["openai.llm.v1"].preset, {"api_key": "k", "models": []}))
    assert provider.config.models == ()


@pytest.mark.parametrize("preset", PRESETS, ids=by_id)
def test_options_left_as_none_fall_back_to_the_preset(preset: Preset) -> None:
    """A provider section without base_url hands it over as None."""
    provider = closed(build(preset, {**key_for(preset), "base_url": None}))
    assert provider.config.base_url == preset.base_url


@pytest.mark.parametrize("api_key", ["", "   ", None])
@pytest.mark.parametrize("preset", HOSTED, ids=by_id)
def test_hosted_presets_refuse_a_missing_key(preset: Preset, api_key: str | None) -> None:
    with pytest.raises(ConfigurationError) as refused:
        build(preset, {"api_key": api_key})
    message = str(refused.value)
    assert preset.connector_id in message
    assert API_KEY_VARIABLES[preset.connector_id] in message


@pytest.mark.parametrize("preset", LOCAL, ids=by_id)
def test_local_presets_start_without_a_key(preset: Preset) -> None:
    provider = closed(build(preset, {"api_key": ""}))
    assert provider.config.api_key == ""


@pytest.mark.parametrize("preset", LOCAL, ids=by_id)
def test_local_presets_send_no_authorization_without_a_key(
    preset: Preset, fake_upstream: FakeUpstream
) -> None:
    async def scenario() -> None:
        provider = build(preset, {"base_url": fake_upstream.url})
        try:
            await provider.complete(CHAT)
        finally:
            await provider.close()

    asyncio.run(scenario())
    headers = {name.lower() for name in fake_upstream.requests[-1].headers}
    assert "authorization" not in headers


@pytest.mark.parametrize("preset", PRESETS, ids=by_id)
def test_rate_limit_headers_show_in_get_rate_limits(
    preset: Preset, fake_upstream: FakeUpstream, manual_clock: ManualClock
) -> None:
    fake_upstream.script(
        fake.ok(
            headers={
                "x-ratelimit-limit-requests": "100",
                "x-ratelimit-remaining-requests": "42",
                "x-ratelimit-limit-tokens": "5000",
                "x-ratelimit-remaining-tokens": "1234",
                "x-ratelimit-reset-requests": "6s",
            }
        )
    )

    async def scenario() -> RateLimitStatus:
        options = {**key_for(preset), "base_url": fake_upstream.url}
        provider = build(preset, options, clock=manual_clock)
        try:
            await provider.complete(CHAT)
            return await provider.get_rate_limits()
        finally:
            await provider.close()

    assert asyncio.run(scenario()) == RateLimitStatus(
        requests_remaining=42,
        requests_limit=100,
        tokens_remaining=1234,
        tokens_limit=5000,
        reset_seconds=6.0,
    )
