"""Provider connectors: how the mesh talks to one AI vendor.

The value types follow OpenAI's chat-completion and embeddings shapes, because that is
the one format the router, the proxy and the client all speak; a provider translates
to and from its own API at the edge. Catalogue, quota, pricing and error
classification are part of the interface because routing decisions depend on them.

The types made for every request and response are dict classes (``slots=False``):
attrs fills a frozen dict instance by writing its ``__dict__``, about twice as fast as
the ``object.__setattr__`` call per field a frozen slotted instance needs.
"""

from __future__ import annotations

import abc
import enum
import operator
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

_Request = TypeVar("_Request", "CompletionRequest", "EmbeddingRequest")

_non_negative = attrs.validators.ge(0)
_optional_non_negative = attrs.validators.optional(attrs.validators.ge(0))


def _plain(value: Any) -> Any:
    """Tuples (how frozen types hold sequences) become lists, as JSON expects."""
    return list(value) if isinstance(value, tuple) else value


def _renamed(request: _Request, model: str) -> _Request:
    """A copy of a valid request naming another model: only the name changes, so the
    validators need not run again (the router renames every request it sends)."""
    fields = dict(request.__dict__)
    fields["model"] = model
    copy = object.__new__(type(request))
    object.__setattr__(copy, "__dict__", fields)
    return copy


def _str_or_tuple(value: str | Sequence[Any]) -> str | tuple[Any, ...]:
    return value if isinstance(value, str) else tuple(value)


def _unknown_parameters_only(
    known: tuple[str, ...],
) -> Callable[[Any, attrs.Attribute, Mapping[str, Any]], None]:
    """Validator for ``extra``: a known parameter there would silently shadow its field."""

    def check(instance: Any, attribute: attrs.Attribute, value: Mapping[str, Any]) -> None:
        clashes = sorted(set(value) & set(known))
        if clashes:
            raise ValueError(
                f"{attribute.name} repeats known parameter(s) {', '.join(clashes)}; "
                "set them through their own fields"
            )

    return check


class DeliveryMode(enum.Enum):
    """How a response is delivered; models declare which modes they serve."""

    SYNC = "sync"
    STREAM = "stream"
    BATCH = "batch"

    @property
    def delivery_key(self) -> str:
        """The key of this mode in ``ModelInfo.delivery`` and in YAML ``delivery:``."""
        return _DELIVERY_KEYS[self]


_DELIVERY_KEYS = {
    DeliveryMode.SYNC: "synchronous",
    DeliveryMode.STREAM: "streaming",
    DeliveryMode.BATCH: "batch",
}


# --- usage and cost -----------------------------------------------------------------


@attrs.frozen(slots=False)
class TokenUsage:
    """Tokens one call consumed; the unit budgets, quotas and statistics count in."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = attrs.field(
        default=attrs.Factory(
            lambda self: self.prompt_tokens + self.completion_tokens, takes_self=True
        )
    )

    def __attrs_post_init__(self) -> None:
        # One test for the three counts rather than a validator each: every response
        # carries one.
        if min(self.prompt_tokens, self.completion_tokens, self.total_tokens) < 0:
            raise ValueError(
                f"token counts must be 0 or more, got prompt_tokens={self.prompt_tokens}, "
                f"completion_tokens={self.completion_tokens}, total_tokens={self.total_tokens}"
            )

    def to_openai_payload(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }

    @classmethod
    def from_openai_payload(cls, payload: Mapping[str, Any]) -> TokenUsage:
        """Read an OpenAI ``usage`` object; a missing total is the sum of the parts."""
        prompt = int(payload.get("prompt_tokens") or 0)
        completion = int(payload.get("completion_tokens") or 0)
        total = payload.get("total_tokens")
        return cls(prompt, completion, prompt + completion if total is None else int(total))


@attrs.frozen
class ModelPricing:
    """USD prices of one model; cost-first selection and budgets read them."""

    input_per_1k_tokens: float = attrs.field(default=0.0, validator=_non_negative)
    output_per_1k_tokens: float = attrs.field(default=0.0, validator=_non_negative)
    per_request: float = attrs.field(default=0.0, validator=_non_negative)

    def cost(self, usage: TokenUsage) -> float:
        """USD cost of one call that consumed ``usage``."""
        return (
            usage.prompt_tokens / 1000 * self.input_per_1k_tokens
            + usage.completion_tokens / 1000 * self.output_per_1k_tokens
            + self.per_request
        )


@attrs.frozen
class QuotaStatus:
    """A provider's quota in its current period; ``limit`` None means unlimited."""

    used: int = attrs.field(default=0, validator=_non_negative)
    limit: int | None = attrs.field(default=None, validator=_optional_non_negative)
    remaining: int | None = attrs.field(
        default=attrs.Factory(
            lambda self: None if self.limit is None else max(self.limit - self.used, 0),
            takes_self=True,
        ),
        validator=_optional_non_negative,
    )
    reset_at: datetime | None = None

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0


@attrs.frozen(slots=False)
class RateLimitStatus:
    """Rate-limit headroom as upstream headers report it; None means not reported."""

    requests_remaining: int | None = attrs.field(default=None, validator=_optional_non_negative)
    requests_limit: int | None = attrs.field(default=None, validator=_optional_non_negative)
    tokens_remaining: int | None = attrs.field(default=None, validator=_optional_non_negative)
    tokens_limit: int | None = attrs.field(default=None, validator=_optional_non_negative)
    reset_seconds: float | None = attrs.field(default=None, validator=_optional_non_negative)


# --- catalogue ----------------------------------------------------------------------


@attrs.frozen
class ModelInfo:
    """One model a provider serves: what it can do, how big, how priced, how delivered.

    ``delivery`` uses the YAML keys ``synchronous``, ``streaming`` and ``batch``; a
    model that declares nothing is synchronous only.
    """

    id: str
    name: str
    capabilities: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    context_window: int | None = attrs.field(default=None, validator=_optional_non_negative)
    max_output_tokens: int | None = attrs.field(default=None, validator=_optional_non_negative)
    pricing: ModelPricing | None = None
    features: Mapping[str, bool] = attrs.field(factory=dict)
    delivery: Mapping[str, bool] = attrs.field(factory=dict)

    def supports_delivery(self, mode: DeliveryMode) -> bool:
        return bool(self.delivery.get(mode.delivery_key, mode is DeliveryMode.SYNC))


# --- chat completions ---------------------------------------------------------------

_REQUEST_FIELDS = (
    "model",
    "messages",
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "tools",
    "tool_choice",
    "stream",
    "user",
)
# The optional parameters, read at once, and their values when a request sets none.
_PARAMETERS = _REQUEST_FIELDS[2:]
_read_parameters = operator.attrgetter(*_PARAMETERS)
_UNSET_PARAMETERS = tuple(False if name == "stream" else None for name in _PARAMETERS)


@attrs.frozen(slots=False)
class CompletionRequest:
    """An OpenAI chat-completion request.

    ``extra`` carries every parameter the core does not model (``seed``,
    ``response_format``, vendor options ...) so it reaches the provider untouched.
    """

    model: str
    messages: tuple[Mapping[str, Any], ...] = attrs.field(converter=tuple)
    temperature: float | None = attrs.field(default=None, validator=_optional_non_negative)
    max_tokens: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    top_p: float | None = attrs.field(
        default=None,
        validator=attrs.validators.optional([attrs.validators.ge(0), attrs.validators.le(1)]),
    )
    stop: str | tuple[str, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(_str_or_tuple)
    )
    tools: tuple[Mapping[str, Any], ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(tuple)
    )
    tool_choice: str | Mapping[str, Any] | None = None
    stream: bool = False
    user: str | None = None
    extra: Mapping[str, Any] = attrs.field(
        factory=dict, validator=_unknown_parameters_only(_REQUEST_FIELDS)
    )

    def to_openai_payload(self) -> dict[str, Any]:
        """The JSON body of ``POST /v1/chat/completions``; unset parameters are omitted."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(message) for message in self.messages],
        }
        values = _read_parameters(self)
        if values != _UNSET_PARAMETERS:  # most requests set none: one C comparison
            for name, value in zip(_PARAMETERS, values, strict=True):
                if value is not None and value is not False:  # stream=False is the default
                    payload[name] = _plain(value)
        if self.extra:
            payload.update(self.extra)
        return payload

    def with_model(self, model: str) -> CompletionRequest:
        """The same request for ``model``."""
        return _renamed(self, model)

    @classmethod
    def from_openai_payload(cls, payload: Mapping[str, Any]) -> CompletionRequest:
        """Read an OpenAI request body; unknown parameters land in ``extra``."""
        known, extra = _split_payload(
            payload, _REQUEST_FIELDS, ("model", "messages"), "chat completion request"
        )
        return cls(**known, extra=extra)


@attrs.frozen(kw_only=True, slots=False)
class Choice:
    """One complete answer; ``message`` is the OpenAI message object as is."""

    message: Mapping[str, Any]
    index: int = 0
    finish_reason: str | None = None


@attrs.frozen(slots=False)
class CompletionResponse:
    """An OpenAI ``chat.completion``; ``raw`` may keep the provider's own body."""

    id: str
    model: str
    choices: tuple[Choice, ...] = attrs.field(converter=tuple)
    usage: TokenUsage = attrs.field(factory=TokenUsage)
    created: int = 0
    raw: Any = attrs.field(default=None, eq=False, repr=False)

    @property
    def content(self) -> str | None:
        """Text of the first choice, the common case callers want."""
        return self.choices[0].message.get("content") if self.choices else None

    def to_openai_payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": choice.index,
                    "message": dict(choice.message),
                    "finish_reason": choice.finish_reason,
                }
                for choice in self.choices
            ],
            "usage": self.usage.to_openai_payload(),
        }

    @classmethod
    def from_openai_payload(
        cls, payload: Mapping[str, Any], *, raw: Any = None
    ) -> CompletionResponse:
        """Read an OpenAI ``chat.completion`` body; ``raw`` is kept as given."""
        return cls(
            id=str(payload.get("id", "")),
            model=str(payload.get("model", "")),
            choices=tuple(
                Choice(
                    message=choice.get("message") or {},
                    index=choice.get("index", position),
                    finish_reason=choice.get("finish_reason"),
                )
                for position, choice in enumerate(payload.get("choices") or ())
            ),
            usage=TokenUsage.from_openai_payload(payload.get("usage") or {}),
            created=int(payload.get("created") or 0),
            raw=raw,
        )


@attrs.frozen(kw_only=True, slots=False)
class ChunkChoice:
    """One streamed increment; ``delta`` is the OpenAI delta object as is."""

    delta: Mapping[str, Any]
    index: int = 0
    finish_reason: str | None = None


@attrs.frozen(slots=False)
class CompletionChunk:
    """An OpenAI ``chat.completion.chunk``; usage usually comes only with the last one."""

    id: str
    model: str
    choices: tuple[ChunkChoice, ...] = attrs.field(converter=tuple)
    usage: TokenUsage | None = None
    created: int = 0

    @property
    def content(self) -> str | None:
        return self.choices[0].delta.get("content") if self.choices else None

    @property
    def finish_reason(self) -> str | None:
        return self.choices[0].finish_reason if self.choices else None

    def to_openai_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [
                {
                    "index": choice.index,
                    "delta": dict(choice.delta),
                    "finish_reason": choice.finish_reason,
                }
                for choice in self.choices
            ],
        }
        if self.usage is not None:
            payload["usage"] = self.usage.to_openai_payload()
        return payload

    @classmethod
    def from_openai_payload(cls, payload: Mapping[str, Any]) -> CompletionChunk:
        usage = payload.get("usage")
        return cls(
            id=str(payload.get("id", "")),
            model=str(payload.get("model", "")),
            choices=tuple(
                ChunkChoice(
                    delta=choice.get("delta") or {},
                    index=choice.get("index", position),
                    finish_reason=choice.get("finish_reason"),
                )
                for position, choice in enumerate(payload.get("choices") or ())
            ),
            usage=None if usage is None else TokenUsage.from_openai_payload(usage),
            created=int(payload.get("created") or 0),
        )


# --- embeddings ---------------------------------------------------------------------

_EMBEDDING_FIELDS = ("model", "input", "encoding_format", "dimensions", "user")


def _split_payload(
    payload: Mapping[str, Any], fields: tuple[str, ...], required: tuple[str, ...], what: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Known, set parameters for the constructor; everything else to pass through."""
    missing = [key for key in required if key not in payload]
    if missing:
        raise ValueError(f"{what} lacks {' and '.join(missing)}")
    known = {key: value for key, value in payload.items() if key in fields and value is not None}
    extra = {key: value for key, value in payload.items() if key not in fields}
    return known, extra


@attrs.frozen(slots=False)
class EmbeddingRequest:
    """An OpenAI embeddings request; ``input`` is one text or a sequence of inputs."""

    model: str
    input: str | tuple[Any, ...] = attrs.field(converter=_str_or_tuple)
    encoding_format: str | None = None
    dimensions: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.ge(1))
    )
    user: str | None = None
    extra: Mapping[str, Any] = attrs.field(
        factory=dict, validator=_unknown_parameters_only(_EMBEDDING_FIELDS)
    )

    def to_openai_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"model": self.model, "input": _plain(self.input)}
        for name in _EMBEDDING_FIELDS[2:]:
            value = getattr(self, name)
            if value is not None:
                payload[name] = value
        payload.update(self.extra)
        return payload

    def with_model(self, model: str) -> EmbeddingRequest:
        """The same request for ``model``."""
        return _renamed(self, model)

    @classmethod
    def from_openai_payload(cls, payload: Mapping[str, Any]) -> EmbeddingRequest:
        known, extra = _split_payload(
            payload, _EMBEDDING_FIELDS, ("model", "input"), "embeddings request"
        )
        return cls(**known, extra=extra)


@attrs.frozen(kw_only=True, slots=False)
class Embedding:
    """One vector; a string when the request asked for ``base64`` encoding."""

    embedding: tuple[float, ...] | str = attrs.field(converter=_str_or_tuple)
    index: int = 0


@attrs.frozen(slots=False)
class EmbeddingResponse:
    """An OpenAI embeddings ``list`` response."""

    model: str
    data: tuple[Embedding, ...] = attrs.field(converter=tuple)
    usage: TokenUsage = attrs.field(factory=TokenUsage)

    def to_openai_payload(self) -> dict[str, Any]:
        return {
            "object": "list",
            "model": self.model,
            "data": [
                {"object": "embedding", "index": item.index, "embedding": _plain(item.embedding)}
                for item in self.data
            ],
            "usage": {
                "prompt_tokens": self.usage.prompt_tokens,
                "total_tokens": self.usage.total_tokens,
            },
        }

    @classmethod
    def from_openai_payload(cls, payload: Mapping[str, Any]) -> EmbeddingResponse:
        return cls(
            model=str(payload.get("model", "")),
            data=tuple(
                Embedding(embedding=item["embedding"], index=item.get("index", position))
                for position, item in enumerate(payload.get("data") or ())
            ),
            usage=TokenUsage.from_openai_payload(payload.get("usage") or {}),
        )


# --- error classification -----------------------------------------------------------


class ErrorCategory(enum.Enum):
    """Why a call failed; decides between retry, rotation and surfacing the error."""

    RATE_LIMIT = "rate_limit"
    SERVER = "server"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    AUTH = "auth"
    CLIENT = "client"
    NOT_FOUND = "not_found"
    CONTEXT_LENGTH = "context_length"
    CONTENT_FILTER = "content_filter"
    UNKNOWN = "unknown"


_REQUEST_SCOPED = frozenset(
    {
        ErrorCategory.CLIENT,
        ErrorCategory.CONTEXT_LENGTH,
        ErrorCategory.CONTENT_FILTER,
    }
)
# A 404 is not among them: a model the provider does not know fails every request, so
# it must count against that model and send traffic elsewhere.


@attrs.frozen
class ErrorClassification:
    """A provider's verdict on one failed call."""

    retryable: bool
    category: ErrorCategory
    status_code: int | None = None
    retry_after: float | None = attrs.field(default=None, validator=_optional_non_negative)
    message: str = ""

    @property
    def request_scoped(self) -> bool:
        """True when the request, not the model, caused the failure.

        Such errors must never count against a model: another model would fail the
        same way, so the router neither cools the model down nor rotates for them.
        """
        return self.category in _REQUEST_SCOPED


# --- the connector ------------------------------------------------------------------


class ProviderConnector(abc.ABC):
    """One AI vendor behind the OpenAI-shaped interface the router speaks.

    Execution, catalogue, quota and pricing calls are async because they may reach
    the network; capability checks, usage reports and error classification are sync
    because the router calls them on its hot path.
    """

    call_timeout: float | None = None
    """Seconds within which every ``complete`` and ``embed`` call ends, by the
    connector's own timeout, or None when it gives no such bound. The router arms no
    timer of its own for a call whose request has longer than this left."""

    # Model execution

    @abc.abstractmethod
    async def complete(self, request: CompletionRequest) -> CompletionResponse:
        """Send one request and return the whole normalised response."""

    @abc.abstractmethod
    async def stream(self, request: CompletionRequest) -> AsyncIterator[CompletionChunk]:
        """Yield chunks as upstream sends them; implement as an async generator."""
        raise NotImplementedError
        yield  # makes this an async generator, the shape implementations share

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        """Return embeddings; providers without an embeddings endpoint keep this default."""
        raise self._unsupported("embeddings (embed)")

    # Capabilities

    @abc.abstractmethod
    def get_capabilities(self) -> list[str]:
        """The capability paths served, e.g. ``generation.text-generation.chat-completion``."""

    def supports(self, capability: str) -> bool:
        """True if ``capability`` is served, or is a tree node above a served capability."""
        node = capability + "."
        return any(
            served == capability or served.startswith(node) for served in self.get_capabilities()
        )

    # Model catalogue

    @abc.abstractmethod
    async def list_models(self) -> list[ModelInfo]:
        """Every model this provider serves."""

    async def get_model_info(self, model_id: str) -> ModelInfo:
        """One model of ``list_models()``; KeyError naming the model if unknown."""
        for info in await self.list_models():
            if info.id == model_id:
                return info
        raise KeyError(f"provider {type(self).__name__} has no model {model_id!r}")

    # Quota and rate limits

    @abc.abstractmethod
    async def check_quota(self) -> QuotaStatus:
        """Quota used and left in the current period."""

    @abc.abstractmethod
    async def get_rate_limits(self) -> RateLimitStatus:
        """Current rate-limit headroom, as last reported upstream or counted locally."""

    # Cost and pricing

    @abc.abstractmethod
    async def get_pricing(self, model_id: str) -> ModelPricing:
        """Prices of one model; KeyError if the model is unknown or unpriced."""

    @abc.abstractmethod
    def report_usage(self, model_id: str, usage: TokenUsage) -> None:
        """Feed one call's usage into the provider's counters; must not block."""

    # Error classification

    @abc.abstractmethod
    def classify_error(self, exc: BaseException) -> ErrorClassification:
        """Say whether a failure is worth retrying and what kind of failure it is."""

    def is_retryable(self, exc: BaseException) -> bool:
        return self.classify_error(exc).retryable

    # Infrastructure (optional)

    async def submit_batch(self, requests: Sequence[CompletionRequest]) -> str:
        """Submit requests as one batch job and return the job ID."""
        raise self._unsupported("batch jobs (submit_batch)")

    async def upload_file(self, content: bytes, *, filename: str, purpose: str) -> str:
        """Upload a file (batch input, fine-tuning data) and return its file ID."""
        raise self._unsupported("file upload (upload_file)")

    async def create_fine_tune(
        self, training_file_id: str, *, model: str, options: Mapping[str, Any] | None = None
    ) -> str:
        """Start a fine-tuning job and return its job ID."""
        raise self._unsupported("fine-tuning (create_fine_tune)")

    async def discover_models(self) -> list[ModelInfo]:
        """Enumerate the upstream catalogue, beyond the configured models."""
        raise self._unsupported("model discovery (discover_models)")

    # Lifecycle

    async def close(self) -> None:  # noqa: B027 - a deliberate no-op default
        """Release connections; called once at shutdown."""

    def _unsupported(self, what: str) -> NotImplementedError:
        return NotImplementedError(f"provider {type(self).__name__} does not support {what}")
