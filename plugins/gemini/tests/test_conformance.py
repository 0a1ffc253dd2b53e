"""GeminiProvider passes ModelMesh's standard provider tests against the kit's fake
upstream speaking Gemini's wire format, and behaves as Gemini's API asks: paths, the
key in a header only, streams without [DONE], embeddings, model listing, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from modelmesh.errors import (
    ConfigurationError,
    ContentFilterError,
    ProviderError,
    RateLimitError,
    StreamInterruptedError,
)
from modelmesh.interfaces.provider import CompletionRequest, EmbeddingRequest
from modelmesh_cdk.testing import fake_upstream as fake
from modelmesh_cdk.testing.suites import ProviderTests
from modelmesh_plugin_gemini.connector import GeminiProvider

API_KEY = "AIzaFAKE-gemini-key-0123456789"
MODEL = "fake-model"


def options(url: str) -> dict[str, Any]:
    return {"base_url": url, "api_key": API_KEY}


def run(url: str, call: Callable[[GeminiProvider], Any]) -> Any:
    async def scenario() -> Any:
        provider = GeminiProvider(options(url))
        try:
            return await call(provider)
        finally:
            await provider.close()

    return asyncio.run(scenario())


def failure(url: str, call: Callable[[GeminiProvider], Any]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        run(url, call)
    return caught.value


def chat(**fields: Any) -> CompletionRequest:
    return CompletionRequest(
        model=MODEL, messages=[{"role": "user", "content": "Say hello"}], **fields
    )


async def collect(provider: GeminiProvider) -> list[Any]:
    return [chunk async for chunk in provider.stream(chat())]


class TestGeminiProvider(ProviderTests):
    connector_class = GeminiProvider

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        return options(upstream_url)

    @pytest.fixture
    def upstream(self, gemini_upstream: fake.FakeUpstream) -> fake.FakeUpstream:
        return gemini_upstream

    @pytest.mark.xfail(
        reason="Gemini takes seed and response_format inside generationConfig (as seed and "
        "responseMimeType), so they are translated, not sent at the top level; "
        "test_seed_and_response_format_reach_generation_config checks where they go",
        strict=True,
    )
    def test_unknown_request_parameters_reach_upstream(self, upstream: fake.FakeUpstream) -> None:
        super().test_unknown_request_parameters_reach_upstream(upstream)


# Requests


def test_chat_posts_to_generate_content(gemini_upstream: fake.FakeUpstream) -> None:
    run(gemini_upstream.url, lambda p: p.complete(chat()))
    recorded = gemini_upstream.requests[-1]
    assert (recorded.method, recorded.path) == ("POST", f"/v1beta/models/{MODEL}:generateContent")


def test_stream_asks_for_server_sent_events(gemini_upstream: fake.FakeUpstream) -> None:
    run(gemini_upstream.url, collect)
    recorded = gemini_upstream.requests[-1]
    assert (recorded.path, recorded.query) == (
        f"/v1beta/models/{MODEL}:streamGenerateContent",
        "alt=sse",
    )


def test_the_request_body_is_translated(gemini_upstream: fake.FakeUpstream) -> None:
    run(gemini_upstream.url, lambda p: p.complete(chat(temperature=0.2, max_tokens=5)))
    body = gemini_upstream.requests[-1].body
    assert body == {
        "contents": [{"role": "user", "parts": [{"text": "Say hello"}]}],
        "generationConfig": {"temperature": 0.2, "maxOutputTokens": 5},
    }


def test_seed_and_response_format_reach_generation_config(
    gemini_upstream: fake.FakeUpstream,
) -> None:
    request = chat(extra={"seed": 7, "response_format": {"type": "json_object"}})
    run(gemini_upstream.url, lambda p: p.complete(request))
    config = gemini_upstream.requests[-1].body["generationConfig"]
    assert (config["seed"], config["responseMimeType"]) == (7, "application/json")


# The key


def test_the_key_travels_in_the_goog_header(gemini_upstream: fake.FakeUpstream) -> None:
    run(gemini_upstream.url, lambda p: p.complete(chat()))
    headers = gemini_upstream.requests[-1].headers
    assert headers["x-goog-api-key"] == API_KEY
    assert "authorization" not in headers


def test_the_key_is_in_no_request_url(gemini_upstream: fake.FakeUpstream) -> None:
    async def every_call(provider: GeminiProvider) -> None:
        await provider.complete(chat())
        await collect(provider)
        await provider.embed(EmbeddingRequest(model=MODEL, input="one"))
        await provider.embed(EmbeddingRequest(model=MODEL, input=["one", "two"]))
        await provider.discover_models()

    run(gemini_upstream.url, every_call)
    urls = [f"{r.path}?{r.query}" for r in gemini_upstream.requests]
    assert len(urls) == 5
    assert not [url for url in urls if API_KEY in url]


def test_an_echoed_key_is_blanked_from_the_error(gemini_upstream: fake.FakeUpstream) -> None:
    gemini_upstream.script(fake.error(400, f"API key not valid: {API_KEY}"))
    error = failure(gemini_upstream.url, lambda p: p.complete(chat()))
    assert API_KEY not in str(error)
    assert API_KEY not in repr(error)


def test_the_key_is_in_no_repr() -> None:
    provider = GeminiProvider(options("http://127.0.0.1:9"))
    texts = (repr(provider), repr(provider.config))
    asyncio.run(provider.close())
    assert not [text for text in texts if API_KEY in text]


def test_a_missing_key_is_refused_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="api_key"):
        GeminiProvider({"base_url": "http://127.0.0.1:9"})


def test_the_default_base_url_is_googles() -> None:
    provider = GeminiProvider({"api_key": API_KEY})
    base_url = provider.config.base_url
    asyncio.run(provider.close())
    assert base_url == "https://generativelanguage.googleapis.com"


# Streams


def test_a_stream_ending_without_finish_reason_is_interrupted(
    gemini_upstream: fake.FakeUpstream,
) -> None:
    gemini_upstream.script(fake.stream(("Hello", " there"), done=False))
    error = failure(gemini_upstream.url, collect)
    assert isinstance(error, StreamInterruptedError)
    assert "finish reason" in error.message


def test_the_finishing_chunk_carries_finish_reason_and_usage(
    gemini_upstream: fake.FakeUpstream,
) -> None:
    gemini_upstream.script(fake.stream(("Hello", " there")))
    last = run(gemini_upstream.url, collect)[-1]
    assert (last.finish_reason, last.usage.completion_tokens) == ("stop", 2)


def test_stream_chunks_name_the_model(gemini_upstream: fake.FakeUpstream) -> None:
    chunks = run(gemini_upstream.url, collect)
    assert {chunk.model for chunk in chunks} == {MODEL}


# Embeddings and models


def test_one_input_is_embedded_with_embed_content(gemini_upstream: fake.FakeUpstream) -> None:
    request = EmbeddingRequest(model=MODEL, input="one")
    response = run(gemini_upstream.url, lambda p: p.embed(request))
    assert gemini_upstream.requests[-1].path == f"/v1beta/models/{MODEL}:embedContent"
    assert len(response.data) == 1


def test_a_list_is_embedded_in_one_batch_call(gemini_upstream: fake.FakeUpstream) -> None:
    request = EmbeddingRequest(model=MODEL, input=["one", "two", "three"])
    response = run(gemini_upstream.url, lambda p: p.embed(request))
    assert [r.path for r in gemini_upstream.requests] == [
        f"/v1beta/models/{MODEL}:batchEmbedContents"
    ]
    assert [item.index for item in response.data] == [0, 1, 2]


def test_model_listing_follows_pages_and_strips_the_prefix(
    gemini_upstream_with: Callable[..., fake.FakeUpstream],
) -> None:
    upstream = gemini_upstream_with(models=("gemini-a", "gemini-b", "gemini-c"), page_size=2)
    models = run(upstream.url, lambda p: p.list_models())
    assert [model.id for model in models] == ["gemini-a", "gemini-b", "gemini-c"]
    assert [r.query for r in upstream.requests] == ["", "pageToken=2"]


# Errors


def test_a_blocked_prompt_raises_content_filter(
    gemini_upstream_with: Callable[..., fake.FakeUpstream],
) -> None:
    upstream = gemini_upstream_with(block_reason="SAFETY")
    error = failure(upstream.url, lambda p: p.complete(chat()))
    assert isinstance(error, ContentFilterError)
    assert "SAFETY" in error.message


def test_rate_limit_reads_googles_retry_info(
    gemini_upstream_with: Callable[..., fake.FakeUpstream],
) -> None:
    upstream = gemini_upstream_with(retry_delay=30)
    upstream.script(fake.error(429))
    error = failure(upstream.url, lambda p: p.complete(chat()))
    assert isinstance(error, RateLimitError)
    assert (error.retry_after, error.retryable) == (30.0, True)


def test_a_retry_after_header_wins_over_retry_info(
    gemini_upstream_with: Callable[..., fake.FakeUpstream],
) -> None:
    upstream = gemini_upstream_with(retry_delay=30)
    upstream.script(fake.error(429, retry_after=4))
    error = failure(upstream.url, lambda p: p.complete(chat()))
    assert error.retry_after == 4.0


def test_an_error_names_the_model_and_googles_message(gemini_upstream: fake.FakeUpstream) -> None:
    gemini_upstream.script(fake.error(404, "models/fake-model is not found for API version v1beta"))
    error = failure(gemini_upstream.url, lambda p: p.complete(chat()))
    assert MODEL in error.message
    assert "is not found for API version v1beta" in error.message
