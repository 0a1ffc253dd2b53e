"""The standard tests every provider connector passes, against a scripted fake upstream.

An author subclasses ``ProviderTests`` and says which class to build, with which
options, for which model; the suite then checks the behaviour the router relies on:
normalised responses, streaming, embeddings, error classes and their classification,
timeouts, refused connections, one upstream call per ``complete()`` and ``close()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

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
    StreamInterruptedError,
)
from modelmesh.interfaces.provider import (
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ErrorCategory,
    ErrorClassification,
    ProviderConnector,
)
from modelmesh_cdk.testing import fake_upstream as fake
from modelmesh_cdk.testing.suites.guard import StandardSuite
from modelmesh_cdk.testing.suites.loopback import refusing_url

# How long the suite waits on a stalled upstream: short, but long enough for loopback.
STALL_TIMEOUT = 0.2
# The pause between streamed chunks when the suite checks they arrive one by one; the
# chunks are two pauses apart, the check asks for one, leaving room for a loaded machine.
STREAM_GAP = 0.05

# What each upstream status must become: the error raised, and the router's verdict.
STATUS_ERRORS: dict[int, type[ProviderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: ModelNotFoundError,
    500: ProviderServerError,
    502: ProviderServerError,
    503: ProviderServerError,
}
STATUS_VERDICTS: dict[int, tuple[ErrorCategory, bool]] = {
    400: (ErrorCategory.CLIENT, False),
    401: (ErrorCategory.AUTH, False),
    403: (ErrorCategory.AUTH, False),
    404: (ErrorCategory.NOT_FOUND, False),
    500: (ErrorCategory.SERVER, True),
    502: (ErrorCategory.SERVER, True),
    503: (ErrorCategory.SERVER, True),
}
REQUEST_SCOPED_CASES = [
    pytest.param(
        fake.context_length_exceeded,
        ContextLengthError,
        ErrorCategory.CONTEXT_LENGTH,
        id="context-length",
    ),
    pytest.param(
        fake.content_filtered, ContentFilterError, ErrorCategory.CONTENT_FILTER, id="content-filter"
    ),
]


class ProviderTests(StandardSuite, standard=True):
    """Subclass with ``connector_class`` and ``connector_options``; override the rest as needed."""

    # What the author declares

    @property
    def connector_class(self) -> type[ProviderConnector]:
        """The provider class under test; built as ``connector_class(options)``."""
        raise NotImplementedError("set connector_class to the provider class under test")

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        """Options pointing the provider at the fake upstream (``upstream_url`` has no /v1)."""
        raise NotImplementedError("return the provider's options for the fake upstream's URL")

    def timeout_options(self, upstream_url: str, timeout: float) -> dict[str, Any]:
        """The same options with a request timeout of ``timeout`` seconds."""
        return {**self.connector_options(upstream_url), "timeout": timeout}

    @property
    def model(self) -> str:
        """The model name requests ask for."""
        return "fake-model"

    @property
    def supports_streaming(self) -> bool:
        return True

    @property
    def supports_embeddings(self) -> bool:
        return True

    @pytest.fixture
    def upstream(self, fake_upstream: fake.FakeUpstream) -> fake.FakeUpstream:
        """The upstream to test against; a vendor plugin returns its own vendor-format fake
        with the same scripting API (``script``, ``requests``, ``url``)."""
        return fake_upstream

    # Helpers

    def chat_request(self, **extra: Any) -> CompletionRequest:
        return CompletionRequest(
            model=self.model, messages=[{"role": "user", "content": "Say hello"}], extra=extra
        )

    @contextlib.asynccontextmanager
    async def connected(self, options: Mapping[str, Any]) -> AsyncIterator[ProviderConnector]:
        """A provider built inside the running loop (clients bind to it) and closed after."""
        provider = self.connector_class(dict(options))
        try:
            yield provider
        finally:
            await provider.close()

    def run_with(self, options: Mapping[str, Any], call: Callable[[ProviderConnector], Any]) -> Any:
        async def scenario() -> Any:
            async with self.connected(options) as provider:
                return await call(provider)

        return asyncio.run(scenario())

    def failure_of(
        self, options: Mapping[str, Any], call: Callable[[ProviderConnector], Any]
    ) -> tuple[ProviderError, ErrorClassification]:
        """The error ``call`` raises, and the provider's classification of it."""

        async def scenario() -> tuple[ProviderError, ErrorClassification]:
            async with self.connected(options) as provider:
                with pytest.raises(ProviderError) as caught:
                    await call(provider)
                return caught.value, provider.classify_error(caught.value)

        return asyncio.run(scenario())

    def complete_call(self) -> Callable[[ProviderConnector], Any]:
        request = self.chat_request()
        return lambda provider: provider.complete(request)

    async def _collect(self, provider: ProviderConnector) -> list[Any]:
        return [chunk async for chunk in provider.stream(self.chat_request())]

    def _skip_unless_streaming(self) -> None:
        if not self.supports_streaming:
            pytest.skip("the connector declares supports_streaming = False")

    # Standard tests: responses

    def test_complete_returns_content_and_usage(self, upstream: fake.FakeUpstream) -> None:
        upstream.script(fake.ok("Hello there", usage={"prompt_tokens": 3, "completion_tokens": 2}))
        response = self.run_with(self.connector_options(upstream.url), self.complete_call())
        assert isinstance(response, CompletionResponse)
        assert response.content == "Hello there"
        assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (3, 2)

    def test_unknown_request_parameters_reach_upstream(self, upstream: fake.FakeUpstream) -> None:
        request = self.chat_request(seed=7, response_format={"type": "json_object"})
        self.run_with(self.connector_options(upstream.url), lambda p: p.complete(request))
        body = upstream.requests[-1].body
        assert (body["seed"], body["response_format"]) == (7, {"type": "json_object"})

    def test_stream_yields_chunks_that_join_to_the_text(self, upstream: fake.FakeUpstream) -> None:
        self._skip_unless_streaming()
        upstream.script(fake.stream(("Hello", " streaming", " world")))
        chunks = self.run_with(self.connector_options(upstream.url), self._collect)
        texts = [chunk.content for chunk in chunks if chunk.content]
        assert len(texts) >= 3
        assert "".join(texts) == "Hello streaming world"

    def test_stream_delivers_chunks_as_they_arrive(self, upstream: fake.FakeUpstream) -> None:
        """A provider that buffers the whole answer would hand out every chunk at once."""
        self._skip_unless_streaming()
        upstream.script(fake.stream(("Hello", " slow", " world"), gap=STREAM_GAP))

        async def arrival_times(provider: ProviderConnector) -> list[float]:
            return [
                time.monotonic()
                async for chunk in provider.stream(self.chat_request())
                if chunk.content
            ]

        arrivals = self.run_with(self.connector_options(upstream.url), arrival_times)
        assert arrivals[-1] - arrivals[0] >= STREAM_GAP

    def test_stream_cut_midway_raises_stream_interrupted(self, upstream: fake.FakeUpstream) -> None:
        self._skip_unless_streaming()
        upstream.script(fake.stream(("Hello", " cut", " off"), cut_after=1))
        error, _ = self.failure_of(self.connector_options(upstream.url), self._collect)
        assert isinstance(error, StreamInterruptedError)

    def test_embed_returns_one_vector_per_input(self, upstream: fake.FakeUpstream) -> None:
        if not self.supports_embeddings:
            pytest.skip("the connector declares supports_embeddings = False")
        request = EmbeddingRequest(model=self.model, input=["one", "two"])
        response = self.run_with(self.connector_options(upstream.url), lambda p: p.embed(request))
        assert isinstance(response, EmbeddingResponse)
        assert [len(item.embedding) > 0 for item in response.data] == [True, True]

    def test_declares_the_capabilities_it_supports(self) -> None:
        provider = self.connector_class(self.connector_options(refusing_url()))
        capabilities = provider.get_capabilities()
        asyncio.run(provider.close())
        assert capabilities
        assert all(provider.supports(capability) for capability in capabilities)

    # Standard tests: errors

    @pytest.mark.parametrize("status", sorted(STATUS_ERRORS))
    def test_status_raises_its_error_class(self, upstream: fake.FakeUpstream, status: int) -> None:
        upstream.script(fake.error(status))
        error, _ = self.failure_of(self.connector_options(upstream.url), self.complete_call())
        assert type(error) is STATUS_ERRORS[status]
        assert error.status_code == status

    @pytest.mark.parametrize("status", sorted(STATUS_VERDICTS))
    def test_status_is_classified(self, upstream: fake.FakeUpstream, status: int) -> None:
        upstream.script(fake.error(status))
        _, verdict = self.failure_of(self.connector_options(upstream.url), self.complete_call())
        category, retryable = STATUS_VERDICTS[status]
        assert (verdict.category, verdict.retryable, verdict.status_code) == (
            category,
            retryable,
            status,
        )

    def test_rate_limit_carries_retry_after(self, upstream: fake.FakeUpstream) -> None:
        upstream.script(fake.error(429, retry_after=7))
        error, verdict = self.failure_of(self.connector_options(upstream.url), self.complete_call())
        assert isinstance(error, RateLimitError)
        assert (verdict.category, verdict.retryable) == (ErrorCategory.RATE_LIMIT, True)
        assert error.retry_after == verdict.retry_after == 7

    @pytest.mark.parametrize(("behaviour", "error_class", "category"), REQUEST_SCOPED_CASES)
    def test_request_caused_errors_are_request_scoped(
        self,
        upstream: fake.FakeUpstream,
        behaviour: Callable[[], fake.Error],
        error_class: type[ProviderError],
        category: ErrorCategory,
    ) -> None:
        upstream.script(behaviour())
        error, verdict = self.failure_of(self.connector_options(upstream.url), self.complete_call())
        assert isinstance(error, error_class)
        assert (verdict.category, verdict.request_scoped, verdict.retryable) == (
            category,
            True,
            False,
        )

    def test_stalled_upstream_times_out_retryably(self, upstream: fake.FakeUpstream) -> None:
        upstream.script(fake.stall())
        options = self.timeout_options(upstream.url, STALL_TIMEOUT)
        error, verdict = self.failure_of(options, self.complete_call())
        assert isinstance(error, ProviderTimeoutError)
        assert (verdict.category, verdict.retryable) == (ErrorCategory.TIMEOUT, True)

    def test_refused_connection_is_a_retryable_connection_error(self) -> None:
        error, verdict = self.failure_of(
            self.connector_options(refusing_url()), self.complete_call()
        )
        assert isinstance(error, ProviderConnectionError)
        assert (verdict.category, verdict.retryable) == (ErrorCategory.CONNECTION, True)

    def test_complete_calls_upstream_once_even_on_503(self, upstream: fake.FakeUpstream) -> None:
        """Retrying is the router's job: it counts attempts and may pick another model."""
        upstream.script(*[fake.error(503)] * 3)
        with contextlib.suppress(ProviderError):
            self.run_with(self.connector_options(upstream.url), self.complete_call())
        assert len(upstream.requests) == 1

    # Standard tests: lifecycle

    def test_close_is_idempotent(self, upstream: fake.FakeUpstream) -> None:
        async def use_and_close_twice() -> None:
            provider = self.connector_class(self.connector_options(upstream.url))
            await provider.complete(self.chat_request())
            await provider.close()
            await provider.close()

        asyncio.run(use_and_close_twice())


__all__ = ["STALL_TIMEOUT", "STATUS_ERRORS", "STATUS_VERDICTS", "STREAM_GAP", "ProviderTests"]
