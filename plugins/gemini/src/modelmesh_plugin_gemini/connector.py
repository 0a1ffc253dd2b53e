"""google.gemini.v1: the Gemini API (generateContent, streaming, embeddings, models).

Gemini is not OpenAI-shaped, so the connector is an HttpApiProvider whose hooks
translate (see ``translate``); calls, deadlines, one attempt per routed call and error
classification stay the CDK's. The API key travels in the ``x-goog-api-key`` header and
never in a URL, so no logged or quoted URL can carry it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs
import httpx

from modelmesh.clock import Clock
from modelmesh.config.fields import http_url, non_empty, strip_trailing_slash
from modelmesh.errors import (
    BadRequestError,
    ConfigurationError,
    ContentFilterError,
    ContextLengthError,
    ProviderError,
    RateLimitError,
    StreamInterruptedError,
)
from modelmesh.interfaces.provider import (
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ModelInfo,
)
from modelmesh_cdk.base.http_api import HttpApiProvider, HttpApiProviderConfig
from modelmesh_cdk.options import load_options
from modelmesh_plugin_gemini import translate

__all__ = ["CONNECTOR_ID", "DEFAULT_BASE_URL", "GeminiConfig", "GeminiProvider"]

CONNECTOR_ID = "google.gemini.v1"
DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
_FRAME_PREVIEW = 120
# How Gemini words a 400 for a prompt that does not fit the model.
_CONTEXT_LENGTH_MARKERS = (
    "exceeds the maximum number of tokens",
    "input token count",
    "input too long",
    "too many tokens",
    "maximum context length",
)
# How Google words a 400 for a request its safety filters blocked.
_CONTENT_FILTER_MARKERS = ("blockreason", "was blocked")
_RETRY_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


@attrs.frozen(kw_only=True)
class GeminiConfig(HttpApiProviderConfig):
    """``base_url`` defaults to Google's endpoint; ``api_version`` is the path prefix
    (``v1beta`` carries system instructions, tools and embeddings)."""

    base_url: str = attrs.field(
        default=DEFAULT_BASE_URL, converter=strip_trailing_slash, validator=http_url
    )
    api_version: str = attrs.field(default="v1beta", validator=non_empty)


class GeminiProvider(HttpApiProvider):
    """Chat, streaming, embeddings and model listing on the Gemini API."""

    config_class: ClassVar[type[GeminiConfig]] = GeminiConfig
    # Gemini streams end with the response, not an end frame: a finishReason completes them.
    stream_ends_on_finish: ClassVar[bool] = True
    config: GeminiConfig

    def __init__(
        self,
        config: GeminiConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """A YAML section that leaves out ``base_url`` hands it over as None: that means
        Google's endpoint. Gemini refuses every call without a key, so a missing key
        fails here, at configuration time, not as a 403 in the middle of routing."""
        if config is not None and not isinstance(config, GeminiConfig):
            config = {
                key: value
                for key, value in config.items()
                if not (key in ("base_url", "api_key") and value is None)
            }
        config = load_options(GeminiConfig, config, connector=CONNECTOR_ID)
        if not config.api_key.strip():
            raise ConfigurationError(
                f"connector {CONNECTOR_ID} needs an api_key and got none: set api_key in its "
                "provider section, usually api_key: ${secrets:GEMINI_API_KEY} with the key in "
                "the environment variable GEMINI_API_KEY",
                details={"connector": CONNECTOR_ID, "option": "api_key"},
            )
        super().__init__(config, clock=clock, transport=transport)

    # --- hooks -----------------------------------------------------------------------

    def _build_headers(self) -> dict[str, str]:
        """The key goes in ``x-goog-api-key``: a ``?key=`` URL would end up in logs."""
        headers = super()._build_headers()
        headers.pop("Authorization", None)
        if self.config.api_key:
            headers["x-goog-api-key"] = self.config.api_key
        return headers

    def _translate_request(self, request: CompletionRequest) -> tuple[str, Any]:
        method = "streamGenerateContent?alt=sse" if request.stream else "generateContent"
        return self._model_url(request.model, method), translate.request_to_gemini(request)

    def _translate_response(self, data: Any, request: CompletionRequest) -> CompletionResponse:
        return translate.response_from_gemini(self._object(data), request.model)

    def _parse_sse_chunk(self, data: str) -> CompletionChunk | None:
        """One SSE payload, a GenerateContentResponse; its model is filled in by the
        stream when the frame names none."""
        try:
            payload = json.loads(data)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise StreamInterruptedError(f"malformed stream frame: {data[:_FRAME_PREVIEW]!r}")
        if "error" in payload:
            error = payload["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise StreamInterruptedError(f"upstream error inside the stream: {message}")
        return translate.chunk_from_gemini(payload, "")

    # --- streaming ---------------------------------------------------------------------

    # --- embeddings and models -------------------------------------------------------------

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        """``embedContent`` for one text, ``batchEmbedContents`` for a list."""
        with self._failures(request.model):
            method, body = translate.embedding_request_to_gemini(request)
            data = await self.with_timeout(
                self._post_once(self._model_url(request.model, method), body),
                operation="embeddings",
            )
            return translate.embedding_response_from_gemini(self._object(data), request.model)

    async def discover_models(self) -> list[ModelInfo]:
        """Every model ``GET /models`` lists, following its pages."""
        models: list[ModelInfo] = []
        page_token: str | None = None
        with self._failures(None):
            while True:
                params = {"pageToken": page_token} if page_token else None
                response = await self._retry(
                    self._http_request, "GET", f"/{self.config.api_version}/models", params=params
                )
                self._remember_rate_limits(response.headers)
                data = self._object(response.json())
                models.extend(
                    translate.model_info_from_gemini(item, self.config.capabilities)
                    for item in data.get("models") or ()
                    if isinstance(item, dict) and item.get("name")
                )
                page_token = data.get("nextPageToken")
                if not page_token:
                    return models

    # --- errors ------------------------------------------------------------------------------

    def _as_provider_error(self, exc: BaseException, model_id: str | None) -> ProviderError:
        """The CDK's classification, plus what only Google's error bodies say: a 400 for
        a prompt over the token limit or a blocked one, and a 429's RetryInfo delay."""
        error = super()._as_provider_error(exc, model_id)
        if type(error) is BadRequestError:
            text = error.message.lower()
            if any(marker in text for marker in _CONTEXT_LENGTH_MARKERS):
                error = _as(ContextLengthError, error)
            elif any(marker in text for marker in _CONTENT_FILTER_MARKERS):
                error = _as(ContentFilterError, error)
        if (
            isinstance(error, RateLimitError)
            and error.retry_after is None
            and isinstance(exc, httpx.HTTPStatusError)
        ):
            error.retry_after = error.details["retry_after"] = _retry_delay(exc.response)
        return error

    # --- helpers -----------------------------------------------------------------------------

    def _model_url(self, model: str, method: str) -> str:
        return f"/{self.config.api_version}/models/{translate.model_path(model)}:{method}"

    @staticmethod
    def _object(data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ProviderError(f"expected a JSON object from Gemini, got {type(data).__name__}")
        return data


def _as(kind: type[ProviderError], error: ProviderError) -> ProviderError:
    """``error`` as the more specific class the upstream's message shows it to be."""
    return kind(
        error.message,
        provider_id=error.provider_id,
        model_id=error.model_id,
        status_code=error.status_code,
        retryable=False,
    )


def _retry_delay(response: httpx.Response) -> float | None:
    """The ``retryDelay`` of a google.rpc.RetryInfo detail (``"30s"``), if any."""
    try:
        details = response.json()["error"]["details"]
    except (ValueError, KeyError, TypeError):
        return None
    for detail in details if isinstance(details, list) else ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("RetryInfo"):
            match = _RETRY_DELAY.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None
