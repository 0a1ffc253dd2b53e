"""Every failure leaves the provider as a classified ProviderError, without the key."""

from __future__ import annotations

import socket

import pytest

from modelmesh.errors import (
    AuthenticationError,
    BadRequestError,
    ContentFilterError,
    ContextLengthError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderTimeoutError,
    RateLimitError,
)
from modelmesh.interfaces.provider import ErrorCategory
from modelmesh_cdk.base.openai_compatible import OpenAICompatibleProvider
from modelmesh_cdk.testing.fake_upstream import (
    content_filtered,
    context_length_exceeded,
    error,
    reset,
    stall,
)

pytestmark = pytest.mark.anyio

STATUSES = [
    (400, BadRequestError, ErrorCategory.CLIENT, False),
    (401, AuthenticationError, ErrorCategory.AUTH, False),
    (403, AuthenticationError, ErrorCategory.AUTH, False),
    (404, ModelNotFoundError, ErrorCategory.NOT_FOUND, False),
    (429, RateLimitError, ErrorCategory.RATE_LIMIT, True),
    (500, ProviderServerError, ErrorCategory.SERVER, True),
    (502, ProviderServerError, ErrorCategory.SERVER, True),
    (503, ProviderServerError, ErrorCategory.SERVER, True),
]


@pytest.mark.parametrize(("status", "error_class", "category", "retryable"), STATUSES)
async def test_status_maps_to_its_error_class(
    provider, upstream, question, status, error_class, category, retryable
):
    upstream.script(error(status))
    with pytest.raises(error_class):
        await provider.complete(question())


@pytest.mark.parametrize(("status", "error_class", "category", "retryable"), STATUSES)
async def test_status_maps_to_its_classification(
    provider, upstream, question, status, error_class, category, retryable
):
    upstream.script(error(status))
    with pytest.raises(ProviderError) as caught:
        await provider.complete(question())
    verdict = provider.classify_error(caught.value)
    assert (verdict.category, verdict.retryable, verdict.status_code) == (
        category,
        retryable,
        status,
    )


async def test_error_names_provider_model_and_status(provider, upstream, question):
    upstream.script(error(503))
    with pytest.raises(ProviderServerError) as caught:
        await provider.complete(question())
    found = caught.value
    assert (found.provider_id, found.model_id, found.status_code) == ("acme", "fake-model", 503)


async def test_error_message_quotes_the_upstream(provider, upstream, question):
    upstream.script(error(400, "temperature must be at most 2"))
    with pytest.raises(BadRequestError, match="temperature must be at most 2"):
        await provider.complete(question())


async def test_rate_limit_carries_retry_after(provider, upstream, question):
    upstream.script(error(429, retry_after=7))
    with pytest.raises(RateLimitError) as caught:
        await provider.complete(question())
    assert caught.value.retry_after == 7.0


async def test_rate_limit_classification_carries_retry_after(provider, upstream, question):
    upstream.script(error(429, retry_after=7))
    with pytest.raises(RateLimitError) as caught:
        await provider.complete(question())
    assert provider.classify_error(caught.value).retry_after == 7.0


async def test_context_length_exceeded(provider, upstream, question):
    upstream.script(context_length_exceeded())
    with pytest.raises(ContextLengthError) as caught:
        await provider.complete(question())
    assert provider.classify_error(caught.value).request_scoped


async def test_content_filtered(provider, upstream, question):
    upstream.script(content_filtered())
    with pytest.raises(ContentFilterError) as caught:
        await provider.complete(question())
    assert provider.classify_error(caught.value).category is ErrorCategory.CONTENT_FILTER


async def test_one_call_on_503_and_no_hidden_retry(provider, upstream, question):
    upstream.script(error(503), error(503), error(503), error(503))
    with pytest.raises(ProviderServerError):
        await provider.complete(question())
    assert len(upstream.requests) == 1


async def test_one_call_on_429_and_no_hidden_retry(provider, upstream, question):
    upstream.script(error(429, retry_after=0), error(429))
    with pytest.raises(RateLimitError):
        await provider.complete(question())
    assert len(upstream.requests) == 1


async def test_stalled_upstream_times_out(upstream, question):
    upstream.script(stall())
    provider = OpenAICompatibleProvider({"base_url": upstream.url, "timeout": 0.2})
    try:
        with pytest.raises(ProviderTimeoutError) as caught:
            await provider.complete(question())
    finally:
        await provider.close()
    assert provider.classify_error(caught.value).retryable


async def test_reset_connection_is_a_connection_error(provider, upstream, question):
    upstream.script(reset())
    with pytest.raises(ProviderConnectionError) as caught:
        await provider.complete(question())
    assert provider.classify_error(caught.value).category is ErrorCategory.CONNECTION


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_closed_port_is_a_retryable_connection_error(question):
    provider = OpenAICompatibleProvider({"base_url": f"http://127.0.0.1:{free_port()}"})
    try:
        with pytest.raises(ProviderConnectionError) as caught:
            await provider.complete(question())
    finally:
        await provider.close()
    assert provider.classify_error(caught.value).retryable


async def test_api_key_never_appears_in_an_error(provider, upstream, question, api_key):
    upstream.script(error(401, f"Incorrect API key provided: {api_key}"))
    with pytest.raises(AuthenticationError) as caught:
        await provider.complete(question())
    assert api_key not in str(caught.value)


async def test_api_key_never_appears_in_error_details(provider, upstream, question, api_key):
    upstream.script(error(401, f"Incorrect API key provided: {api_key}"))
    with pytest.raises(AuthenticationError) as caught:
        await provider.complete(question())
    assert api_key not in repr(caught.value.details) + repr(caught.value.args)


@pytest.mark.parametrize("status", [500, 504])
async def test_the_error_agrees_with_the_classification(provider, upstream, question, status):
    upstream.script(error(status))
    with pytest.raises(ProviderServerError) as caught:
        await provider.complete(question())
    assert caught.value.retryable == provider.classify_error(caught.value).retryable


async def test_a_status_listed_as_retryable_makes_the_error_retryable(upstream, question):
    upstream.script(error(504))
    provider = OpenAICompatibleProvider(
        {"base_url": upstream.url, "retryable_codes": [429, 500, 502, 503, 504]}
    )
    try:
        with pytest.raises(ProviderServerError) as caught:
            await provider.complete(question())
    finally:
        await provider.close()
    assert caught.value.retryable
