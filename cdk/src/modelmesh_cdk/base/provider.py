"""The base provider: an OpenAI-shaped HTTP connector that works from options alone.

A subclass changes behaviour by overriding small hooks (how a request body is built,
how a response is read, which headers are sent) instead of rewriting ``complete`` or
``stream``. Two rules hold for every provider built on it:

- One retry layer. ``complete``, ``stream`` and ``embed`` make exactly one attempt
  (the HTTP client is built with ``max_retries=0``); the router decides whether to
  retry, rotate or cool down. Only catalogue calls (``GET /v1/models``) are retried
  here, up to ``max_retries`` times, for the failures ``classify_error`` calls
  retryable.
- Every failure leaves as a classified ``modelmesh.errors.ProviderError`` that names
  the provider and model, quotes the upstream's message and never the API key.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any, ClassVar

import attrs
import httpx

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.config.durations import Duration
from modelmesh.config.fields import (
    at_least,
    each,
    hidden_repr,
    http_status,
    http_url,
    non_empty,
    optional,
    redacted_repr,
    strip_trailing_slash,
)
from modelmesh.config.issues import InvalidValue
from modelmesh.config.schema import AuthMethod
from modelmesh.errors import ProviderError, StreamInterruptedError
from modelmesh.interfaces.provider import (
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    ErrorClassification,
    ModelInfo,
    ModelPricing,
    ProviderConnector,
    QuotaStatus,
    RateLimitStatus,
    TokenUsage,
)
from modelmesh.redaction import redact_text, redact_url
from modelmesh_cdk.base.error_classification import (
    DEFAULT_NON_RETRYABLE_CODES,
    DEFAULT_RETRYABLE_CODES,
    classify_error,
    is_timeout,
    to_provider_error,
)
from modelmesh_cdk.base.rate_limit_headers import rate_limit_status
from modelmesh_cdk.mixins.http_client import HttpClientMixin, iter_sse_data
from modelmesh_cdk.mixins.retry import RetryMixin
from modelmesh_cdk.mixins.timeout import TimeoutMixin
from modelmesh_cdk.options import load_options, parse_duration

__all__ = [
    "CHAT_COMPLETION",
    "BaseProvider",
    "BaseProviderConfig",
    "ModelDeclaration",
    "api_root",
]

CHAT_COMPLETION = "generation.text-generation.chat-completion"

_DONE = "[DONE]"
_FRAME_PREVIEW = 120
_NO_RATE_LIMITS = RateLimitStatus()


def api_root(base_url: str) -> str:
    """The server root that ``/v1/...`` paths are appended to.

    Base URLs are given without ``/v1``; one that ends in ``/v1`` anyway, as some
    vendors document theirs, is not doubled.
    """
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def _positive(_instance: Any, _attribute: Any, value: float) -> None:
    if value <= 0:
        raise InvalidValue("expected a duration of more than 0 seconds", value)


@attrs.frozen(kw_only=True)
class ModelDeclaration:
    """One model as written in a provider's ``models`` option.

    ``name`` is the model string the upstream knows (default: ``id``); without
    ``capabilities`` the provider's own ``capabilities`` apply.
    """

    id: str = attrs.field(validator=non_empty)
    name: str | None = None
    capabilities: tuple[str, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(tuple)
    )
    context_window: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    max_output_tokens: int | None = attrs.field(default=None, validator=optional(at_least(1)))
    pricing: ModelPricing | None = None
    features: dict[str, bool] = attrs.field(factory=dict)
    delivery: dict[str, bool] = attrs.field(factory=dict)

    def to_model_info(self, default_capabilities: tuple[str, ...]) -> ModelInfo:
        return ModelInfo(
            id=self.id,
            name=self.name or self.id,
            capabilities=default_capabilities if self.capabilities is None else self.capabilities,
            context_window=self.context_window,
            max_output_tokens=self.max_output_tokens,
            pricing=self.pricing,
            features=dict(self.features),
            delivery=dict(self.delivery),
        )


@attrs.frozen(kw_only=True)
class BaseProviderConfig:
    """Options every HTTP provider understands.

    ``max_retries`` applies to catalogue calls only: routed calls make one attempt.
    ``timeout`` bounds one call and a stream's wait for its first chunk;
    ``stream_timeout`` bounds a whole stream.
    """

    base_url: str = attrs.field(converter=strip_trailing_slash, validator=http_url)
    api_key: str = attrs.field(default="", repr=hidden_repr)
    models: tuple[ModelDeclaration, ...] = attrs.field(default=(), converter=tuple)
    timeout: Duration = attrs.field(default=30.0, converter=parse_duration, validator=_positive)
    stream_timeout: Duration = attrs.field(
        default=300.0, converter=parse_duration, validator=_positive
    )
    max_retries: int = attrs.field(default=3, validator=at_least(0))
    auth_method: AuthMethod = attrs.field(default=AuthMethod.API_KEY, converter=AuthMethod)
    retryable_codes: tuple[int, ...] = attrs.field(
        default=DEFAULT_RETRYABLE_CODES, converter=tuple, validator=each(http_status)
    )
    non_retryable_codes: tuple[int, ...] = attrs.field(
        default=DEFAULT_NON_RETRYABLE_CODES, converter=tuple, validator=each(http_status)
    )
    capabilities: tuple[str, ...] = attrs.field(
        default=(CHAT_COMPLETION,), converter=tuple, validator=each(non_empty)
    )
    headers: dict[str, str] = attrs.field(factory=dict, repr=redacted_repr)
    provider_id: str | None = None


@attrs.frozen
class _RateLimitReport:
    """The rate-limit headers of the last response and when it arrived."""

    status: RateLimitStatus
    received_at: float


class BaseProvider(HttpClientMixin, RetryMixin, TimeoutMixin, ProviderConnector):
    """An OpenAI-compatible provider; subclasses override hooks, not methods.

    Hooks: ``_build_request_payload``, ``_parse_response``, ``_build_headers``,
    ``_get_completion_endpoint``, ``_parse_sse_chunk``; and, for APIs that differ
    in more than the body, ``_translate_request`` and ``_translate_response``.
    """

    config_class: ClassVar[type[BaseProviderConfig]] = BaseProviderConfig
    stream_ends_on_finish: ClassVar[bool] = False
    """True for upstreams whose streams have no end frame: a stream is then complete
    when the response ends after a chunk carried a finish reason."""

    def __init__(
        self,
        config: BaseProviderConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = load_options(self.config_class, config, connector=type(self).__name__)
        self._clock = clock or SYSTEM_CLOCK
        self._provider_label = self.config.provider_id or type(self).__name__
        self._request_count = 0
        self._usage: dict[str, list[int]] = {}  # prompt, completion, total tokens
        self._rate_limits: _RateLimitReport | None = None
        self._discovered: list[ModelInfo] | None = None
        timeout = self.config.timeout
        self.call_timeout = timeout  # complete and embed run under with_timeout(timeout)
        # So a call's reads need no bound of their own (a stream's do: it runs longer).
        self._call_http_timeout = httpx.Timeout(timeout, read=None)
        self.configure_timeout(
            default=timeout,
            streaming=timeout,
            streaming_total=self.config.stream_timeout,
            connect=min(timeout, 10.0),
        )
        self._retry_max_attempts = self.config.max_retries + 1
        self._init_http_client(
            api_root(self.config.base_url),
            timeout=timeout,
            max_retries=0,
            headers=self._build_headers(),
            transport=transport,
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider_id={self._provider_label!r}, "
            f"base_url={redact_url(self.config.base_url)!r})"
        )

    # --- hooks ---------------------------------------------------------------------

    def _build_headers(self) -> dict[str, str]:
        """Headers sent with every call: bearer token, JSON, then configured extras."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        headers.update(self.config.headers)
        return headers

    def _get_completion_endpoint(self) -> str:
        return "/v1/chat/completions"

    def _build_request_payload(self, request: CompletionRequest) -> dict[str, Any]:
        """Every parameter as given, unknown ones included; the model string too,
        because the router has already resolved names."""
        return request.to_openai_payload()

    def _parse_response(self, data: Any) -> CompletionResponse:
        return CompletionResponse.from_openai_payload(data, raw=data)

    def _parse_sse_chunk(self, data: str) -> CompletionChunk | None:
        """One SSE data payload as a chunk, or None to skip the frame (for upstreams
        that send keep-alive or metadata frames). Unreadable frames end the stream."""
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
        return CompletionChunk.from_openai_payload(payload)

    def _translate_request(self, request: CompletionRequest) -> tuple[str, Any]:
        """The path and body of the call for ``request``."""
        return self._get_completion_endpoint(), self._build_request_payload(request)

    def _translate_response(self, data: Any, request: CompletionRequest) -> CompletionResponse:
        return self._parse_response(data)

    def _body_arguments(self, body: Any) -> dict[str, Any]:
        """How a body travels: as JSON here; other encodings in subclasses."""
        return {"json": body}

    # --- execution -------------------------------------------------------------------

    async def complete(self, request: CompletionRequest) -> CompletionResponse:
        with self._failures(request.model):
            path, body = self._translate_request(request)
            data = await self.with_timeout(self._post_once(path, body), operation="chat completion")
            return self._translate_response(data, request)

    async def stream(self, request: CompletionRequest) -> AsyncIterator[CompletionChunk]:
        """Yield chunks as frames arrive; a stream never ends short without an error.

        Before the first chunk a failure is classified like any call; after it, every
        failure (cut, stall, malformed frame, missing ``[DONE]``) is a
        StreamInterruptedError.
        """
        request = attrs.evolve(request, stream=True)
        with self._failures(request.model):
            path, body = self._translate_request(request)
        chunks = self.with_stream_timeout(self._stream_chunks(path, body))
        started = False
        try:
            async for chunk in chunks:
                started = True
                # A chunk that names no model (some upstreams omit it) is the requested one.
                yield chunk if chunk.model else attrs.evolve(chunk, model=request.model)
        except Exception as exc:
            error = self._as_provider_error(exc, request.model)
            if started and not isinstance(error, StreamInterruptedError):
                error = StreamInterruptedError(
                    f"stream broke after it started: {error.message}",
                    provider_id=self._provider_label,
                    model_id=request.model,
                )
            if error is exc:
                raise
            raise error from exc
        finally:
            await chunks.aclose()

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        with self._failures(request.model):
            data = await self.with_timeout(
                self._post_once("/v1/embeddings", request.to_openai_payload()),
                operation="embeddings",
            )
            return EmbeddingResponse.from_openai_payload(data)

    async def _post_once(self, path: str, body: Any) -> Any:
        """One attempt (the client has no retries of its own) and its parsed JSON."""
        self._request_count += 1
        response = await self._http_request(
            "POST", path, timeout=self._call_http_timeout, **self._body_arguments(body)
        )
        self._remember_rate_limits(response.headers)
        return response.json()

    async def _stream_chunks(self, path: str, body: Any) -> AsyncIterator[CompletionChunk]:
        """Chunks as frames arrive, until the end frame (``_is_stream_end``) or, for
        upstreams that send none (``stream_ends_on_finish``), until the response ends
        after a chunk carried a finish reason. Anything else is an interrupted stream."""
        self._request_count += 1
        finished = False
        parse = self._stream_parser()
        async with self._http_open_stream("POST", path, **self._body_arguments(body)) as response:
            self._remember_rate_limits(response.headers)
            try:
                async for data in iter_sse_data(response):
                    if self._is_stream_end(data):
                        return
                    chunk = parse(data)
                    if chunk is None:
                        continue
                    finished = finished or any(c.finish_reason for c in chunk.choices)
                    yield chunk
            except (httpx.TransportError, httpx.StreamError) as exc:
                if is_timeout(exc):
                    raise
                raise StreamInterruptedError(f"stream was cut: {redact_text(str(exc))}") from exc
        if self.stream_ends_on_finish and finished:
            return
        raise StreamInterruptedError(
            "stream ended before any chunk carried a finish reason"
            if self.stream_ends_on_finish
            else "stream ended without its end marker"
        )

    def _stream_parser(self) -> Callable[[str], CompletionChunk | None]:
        """What reads one stream's frames, asked once per stream: ``_parse_sse_chunk``
        unless the format spreads state over frames (Anthropic numbers tool calls by
        block and sends usage in two events), when a fresh parser per stream keeps
        concurrent streams apart."""
        return self._parse_sse_chunk

    def _is_stream_end(self, data: str) -> bool:
        """True for the frame that ends a stream: OpenAI's ``[DONE]``."""
        return data.strip() == _DONE

    # --- catalogue ---------------------------------------------------------------------

    def get_capabilities(self) -> list[str]:
        return list(self.config.capabilities)

    async def list_models(self) -> list[ModelInfo]:
        """The configured models, or, when none are, the upstream's ``/v1/models``
        (fetched once and kept)."""
        if self.config.models:
            return [model.to_model_info(self.config.capabilities) for model in self.config.models]
        if self._discovered is None:
            self._discovered = await self.discover_models()
        return list(self._discovered)

    async def discover_models(self) -> list[ModelInfo]:
        """Every model ``GET /v1/models`` lists, with the provider's capabilities."""
        with self._failures(None):
            response = await self._retry(self._http_request, "GET", "/v1/models")
            self._remember_rate_limits(response.headers)
            listed = response.json().get("data") or []
        return [
            ModelInfo(
                id=str(item["id"]), name=str(item["id"]), capabilities=self.config.capabilities
            )
            for item in listed
            if isinstance(item, dict) and item.get("id")
        ]

    # --- quota, rate limits, pricing ------------------------------------------------------

    async def check_quota(self) -> QuotaStatus:
        """Calls made by this instance; the upstream's own quota is not queried."""
        return QuotaStatus(used=self._request_count)

    async def get_rate_limits(self) -> RateLimitStatus:
        """What the last response's rate-limit headers said; the reset time counts
        down on the provider's clock since that response arrived."""
        report = self._rate_limits
        if report is None:
            return _NO_RATE_LIMITS
        reset = report.status.reset_seconds
        if reset is None:
            return report.status
        elapsed = self._clock.monotonic() - report.received_at
        return attrs.evolve(report.status, reset_seconds=max(0.0, reset - elapsed))

    async def get_pricing(self, model_id: str) -> ModelPricing:
        info = await self.get_model_info(model_id)
        if info.pricing is None:
            raise KeyError(f"provider {self._provider_label} declares no pricing for {model_id!r}")
        return info.pricing

    def report_usage(self, model_id: str, usage: TokenUsage) -> None:
        counts = self._usage.get(model_id)
        if counts is None:
            counts = self._usage[model_id] = [0, 0, 0]
        counts[0] += usage.prompt_tokens
        counts[1] += usage.completion_tokens
        counts[2] += usage.total_tokens

    def usage_totals(self) -> dict[str, TokenUsage]:
        """Tokens reported through ``report_usage``, per model."""
        return {model_id: TokenUsage(*counts) for model_id, counts in self._usage.items()}

    # --- errors and lifecycle -------------------------------------------------------------

    def classify_error(self, exc: BaseException) -> ErrorClassification:
        return classify_error(
            exc,
            retryable_codes=self.config.retryable_codes,
            non_retryable_codes=self.config.non_retryable_codes,
        )

    def _is_retryable_error(self, exc: Exception) -> bool:
        return self.classify_error(exc).retryable

    async def close(self) -> None:
        await self._close_http_client()

    def _failures(self, model_id: str | None) -> _Failures:
        """``with self._failures(model):`` lets every failure out as a classified
        ProviderError with this provider's name, the model and the upstream's message,
        never the API key."""
        return _Failures(self, model_id)

    def _as_provider_error(self, exc: BaseException, model_id: str | None) -> ProviderError:
        if isinstance(exc, httpx.HTTPStatusError):
            self._remember_rate_limits(exc.response.headers)
        error = to_provider_error(
            exc,
            provider_id=self._provider_label,
            model_id=model_id,
            secrets=(self.config.api_key,),
            now=self._clock.now(),
        )
        if error.status_code is not None:
            # The configured code lists, not the class default, decide (a 504 is not
            # retryable unless listed), so the error agrees with classify_error.
            error.retryable = self.classify_error(error).retryable
        return error

    def _remember_rate_limits(self, headers: Mapping[str, str]) -> None:
        status = rate_limit_status(headers, self._clock.now())
        if status is not None:
            self._rate_limits = _RateLimitReport(status, self._clock.monotonic())


class _Failures:
    """The context of ``BaseProvider._failures``; a class, not a generator, because
    every call enters one."""

    __slots__ = ("_model_id", "_provider")

    def __init__(self, provider: BaseProvider, model_id: str | None) -> None:
        self._provider = provider
        self._model_id = model_id

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not isinstance(exc, Exception):  # none, or a cancellation or exit
            return
        error = self._provider._as_provider_error(exc, self._model_id)
        if error is not exc:
            raise error from exc
