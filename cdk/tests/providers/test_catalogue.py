"""Catalogue, embeddings, quota, rate limits, pricing and usage."""

from __future__ import annotations

import pytest

from modelmesh.clock import ManualClock
from modelmesh.errors import RateLimitError
from modelmesh.interfaces.provider import (
    EmbeddingRequest,
    ModelPricing,
    RateLimitStatus,
    TokenUsage,
)
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.base.provider import CHAT_COMPLETION
from modelmesh_cdk.testing.fake_upstream import error, ok

pytestmark = pytest.mark.anyio

RATE_HEADERS = {
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-limit-tokens": "30000",
    "x-ratelimit-remaining-tokens": "29000",
    "x-ratelimit-reset-requests": "6m0s",
}
PRICED = {
    "id": "priced",
    "pricing": {"input_per_1k_tokens": 1.0, "output_per_1k_tokens": 2.0},
}


@pytest.fixture
async def configured(upstream):
    provider = OpenAICompatibleProvider(
        {"base_url": upstream.url, "models": [PRICED, {"id": "free"}]}
    )
    yield provider
    await provider.close()


async def test_embeddings_are_returned(provider, upstream):
    response = await provider.embed(EmbeddingRequest(model="embed-model", input=["a", "b"]))
    assert len(response.data) == 2


async def test_embeddings_post_to_v1_embeddings_with_the_payload(provider, upstream):
    request = EmbeddingRequest(model="embed-model", input="a", extra={"vendor": True})
    await provider.embed(request)
    recorded = upstream.requests[0]
    assert (recorded.path, recorded.body) == ("/v1/embeddings", request.to_openai_payload())


async def test_configured_models_are_listed_without_calling_upstream(configured, upstream):
    models = await configured.list_models()
    assert ([m.id for m in models], upstream.requests) == (["priced", "free"], [])


async def test_without_configured_models_the_upstream_list_is_used(provider):
    models = await provider.list_models()
    assert [m.id for m in models] == ["fake-model", "other-model"]


async def test_discovered_models_serve_chat_completion(provider):
    models = await provider.list_models()
    assert all(m.capabilities == (CHAT_COMPLETION,) for m in models)


async def test_the_upstream_list_is_fetched_once(provider, upstream):
    await provider.list_models()
    await provider.list_models()
    assert len(upstream.requests) == 1


async def test_catalogue_calls_retry_transient_failures(upstream):
    provider = OpenAICompatibleProvider({"base_url": upstream.url}, clock=ManualClock())
    upstream.script(error(503), error(503))
    try:
        models = await provider.list_models()
    finally:
        await provider.close()
    assert (len(models), len(upstream.requests)) == (2, 3)


async def test_get_model_info_of_an_unknown_model_is_a_key_error(configured):
    with pytest.raises(KeyError, match="nope"):
        await configured.get_model_info("nope")


async def test_pricing_comes_from_the_model(configured):
    assert await configured.get_pricing("priced") == ModelPricing(1.0, 2.0)


async def test_a_model_without_pricing_is_a_key_error_naming_it(configured):
    with pytest.raises(KeyError, match="free"):
        await configured.get_pricing("free")


async def test_rate_limits_are_empty_before_any_response(provider):
    assert await provider.get_rate_limits() == RateLimitStatus()


async def test_rate_limits_come_from_the_last_response(provider, upstream, question):
    upstream.script(ok(headers=RATE_HEADERS))
    await provider.complete(question())
    assert await provider.get_rate_limits() == RateLimitStatus(
        requests_remaining=499,
        requests_limit=500,
        tokens_remaining=29000,
        tokens_limit=30000,
        reset_seconds=360.0,
    )


@pytest.mark.parametrize(
    ("header", "seconds"), [("1s", 1.0), ("20ms", 0.02), ("1m30.5s", 90.5), ("2", 2.0)]
)
async def test_reset_durations_are_read(provider, upstream, question, header, seconds):
    upstream.script(ok(headers={"x-ratelimit-reset-requests": header}))
    await provider.complete(question())
    assert (await provider.get_rate_limits()).reset_seconds == pytest.approx(seconds)


async def test_a_429_reports_its_retry_after_as_the_reset(provider, upstream, question):
    upstream.script(error(429, retry_after=9))
    with pytest.raises(RateLimitError):
        await provider.complete(question())
    assert (await provider.get_rate_limits()).reset_seconds == 9.0


async def test_the_reset_counts_down_on_the_clock(upstream, question):
    clock = ManualClock()
    provider = OpenAICompatibleProvider({"base_url": upstream.url}, clock=clock)
    upstream.script(ok(headers={"x-ratelimit-reset-requests": "10s"}))
    try:
        await provider.complete(question())
    finally:
        await provider.close()
    clock.advance(4)
    assert (await provider.get_rate_limits()).reset_seconds == 6.0


async def test_reported_usage_is_summed_per_model(provider):
    provider.report_usage("m", TokenUsage(1, 2))
    provider.report_usage("m", TokenUsage(3, 4))
    assert provider.usage_totals() == {"m": TokenUsage(4, 6)}


def test_capabilities_are_the_configured_ones(upstream):
    provider = OpenAICompatibleProvider(
        {"base_url": upstream.url, "capabilities": ["generation.text-generation"]}
    )
    assert provider.get_capabilities() == ["generation.text-generation"]


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_base_url_with_or_without_v1_reaches_the_same_path(upstream, question, suffix):
    provider = OpenAICompatibleProvider({"base_url": upstream.url + suffix})
    try:
        await provider.complete(question())
    finally:
        await provider.close()
    assert upstream.requests[0].path == "/v1/chat/completions"
