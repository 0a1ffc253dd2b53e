"""A minimal provider written against the core interface passes the whole provider suite.

The provider below is what the suite asks of any connector, in the fewest lines: it
talks to the fake upstream with httpx and maps failures to the core's error classes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

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
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ErrorCategory,
    ErrorClassification,
    ModelInfo,
    ModelPricing,
    ProviderConnector,
    QuotaStatus,
    RateLimitStatus,
    TokenUsage,
)
from modelmesh_cdk.testing.suites import ProviderTests

_BY_STATUS: dict[int, type[ProviderError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: AuthenticationError,
    404: ModelNotFoundError,
    429: RateLimitError,
}
_BY_CODE = {"context_length_exceeded": ContextLengthError, "content_filter": ContentFilterError}
_CATEGORIES = {category.value: category for category in ErrorCategory}


class MinimalProvider(ProviderConnector):
    def __init__(self, options: Mapping[str, Any]) -> None:
        self._client = httpx.AsyncClient(
            base_url=f"{options['base_url']}/v1", timeout=options.get("timeout", 5.0)
        )

    async def complete(self, request: CompletionRequest) -> CompletionResponse:
        payload = await self._call("POST", "/chat/completions", request.to_openai_payload())
        return CompletionResponse.from_openai_payload(payload)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[CompletionChunk]:
        body = {**request.to_openai_payload(), "stream": True}
        try:
            async with self._client.stream("POST", "/chat/completions", json=body) as response:
                self._check(response, (await response.aread()) if response.is_error else b"")
                async for line in response.aiter_lines():
                    if line.startswith("data:") and line[5:].strip() != "[DONE]":
                        yield CompletionChunk.from_openai_payload(json.loads(line[5:]))
        except httpx.TransportError as exc:
            raise StreamInterruptedError(f"stream broke: {exc!r}") from exc

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        payload = await self._call("POST", "/embeddings", request.to_openai_payload())
        return EmbeddingResponse.from_openai_payload(payload)

    async def _call(self, method: str, path: str, body: Any) -> Any:
        try:
            response = await self._client.request(method, path, json=body)
        except httpx.TimeoutException as exc:
            raise ProviderTimeoutError(f"timed out: {exc!r}") from exc
        except httpx.TransportError as exc:
            raise ProviderConnectionError(f"unreachable: {exc!r}") from exc
        self._check(response, response.content)
        return response.json()

    def _check(self, response: httpx.Response, content: bytes) -> None:
        if not response.is_error:
            return
        error = json.loads(content or b"{}").get("error") or {}
        status = response.status_code
        cls = _BY_CODE.get(error.get("code")) or _BY_STATUS.get(status)
        cls = cls or (ProviderServerError if status >= 500 else BadRequestError)
        retry_after = response.headers.get("retry-after")
        raise cls(
            error.get("message", "failed"),
            status_code=status,
            retry_after=None if retry_after is None else float(retry_after),
        )

    def classify_error(self, exc: BaseException) -> ErrorClassification:
        assert isinstance(exc, ProviderError)
        return ErrorClassification(
            retryable=exc.retryable,
            category=_CATEGORIES[exc.category],
            status_code=exc.status_code,
            retry_after=exc.retry_after,
        )

    def get_capabilities(self) -> list[str]:
        return ["generation.text-generation.chat-completion"]

    async def list_models(self) -> list[ModelInfo]:
        return [ModelInfo("fake-model", "Fake model")]

    async def check_quota(self) -> QuotaStatus:
        return QuotaStatus()

    async def get_rate_limits(self) -> RateLimitStatus:
        return RateLimitStatus()

    async def get_pricing(self, model_id: str) -> ModelPricing:
        return ModelPricing()

    def report_usage(self, model_id: str, usage: TokenUsage) -> None:
        pass

    async def close(self) -> None:
        await self._client.aclose()


class TestMinimalProvider(ProviderTests):
    connector_class = MinimalProvider

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        return {"base_url": upstream_url}
