"""Anthropic's Claude models through the Messages API, spoken to as OpenAI.

The router and callers deal in OpenAI-shaped requests and answers; this provider
translates both ways (system prompt, tools and tool results, stop reasons, usage) and
reads Anthropic's named stream events into OpenAI chunks as they arrive. Everything
else (one attempt per routed call, deadlines, error classification, rate-limit
headers) is the CDK's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs

from modelmesh.config.fields import each, http_status, http_url, strip_trailing_slash
from modelmesh.errors import (
    BadRequestError,
    ContentFilterError,
    ContextLengthError,
    ProviderError,
    StreamInterruptedError,
)
from modelmesh.interfaces.provider import (
    Choice,
    ChunkChoice,
    CompletionChunk,
    CompletionRequest,
    CompletionResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    TokenUsage,
)
from modelmesh_cdk.base.error_classification import DEFAULT_RETRYABLE_CODES
from modelmesh_cdk.base.http_api import HttpApiProvider, HttpApiProviderConfig

__all__ = ["ANTHROPIC_VERSION", "DROPPED_PARAMETERS", "AnthropicConfig", "AnthropicProvider"]

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_BASE_URL = "https://api.anthropic.com"
DEFAULT_MAX_TOKENS = 1024
MESSAGES_PATH = "/v1/messages"
# 529 is Anthropic's "overloaded": a busy server, worth retrying elsewhere or later.
RETRYABLE_CODES = (*DEFAULT_RETRYABLE_CODES, 529)
# OpenAI parameters the Messages API has no counterpart for and would refuse as
# unknown fields: they are left out. Every other unknown parameter (metadata, top_k,
# thinking, service_tier, ...) is Anthropic's own and passes through as given.
DROPPED_PARAMETERS = frozenset(
    {
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "n",
        "parallel_tool_calls",
        "presence_penalty",
        "response_format",
        "seed",
        "stream_options",
        "top_logprobs",
    }
)
FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
}
_CONTEXT_LENGTH_MARKERS = ("prompt is too long",)
_CONTENT_FILTER_MARKERS = ("content filtering policy",)


@attrs.frozen(kw_only=True)
class AnthropicConfig(HttpApiProviderConfig):
    """The CDK's provider options, with Anthropic's URL and its 529 as retryable."""

    base_url: str = attrs.field(
        default=DEFAULT_BASE_URL, converter=strip_trailing_slash, validator=http_url
    )
    retryable_codes: tuple[int, ...] = attrs.field(
        default=RETRYABLE_CODES, converter=tuple, validator=each(http_status)
    )
    max_tokens: int = attrs.field(default=DEFAULT_MAX_TOKENS, validator=attrs.validators.ge(1))
    """``max_tokens`` for requests that set none: the Messages API requires one."""


class AnthropicProvider(HttpApiProvider):
    """``anthropic.claude.v1``: chat completions (and streams) on Claude models.

    Embeddings are not served: Anthropic has no embeddings endpoint.
    """

    config_class: ClassVar[type[HttpApiProviderConfig]] = AnthropicConfig
    config: AnthropicConfig

    def __init__(
        self, config: AnthropicConfig | Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        # A YAML provider section without base_url hands it over as empty.
        if isinstance(config, Mapping) and not config.get("base_url"):
            config = {**config, "base_url": DEFAULT_BASE_URL}
        super().__init__(config, **kwargs)

    def _build_headers(self) -> dict[str, str]:
        """Anthropic authenticates with ``x-api-key``, not a bearer token."""
        headers = super()._build_headers()
        headers.pop("Authorization", None)
        if self.config.api_key:
            headers["x-api-key"] = self.config.api_key
        headers["anthropic-version"] = ANTHROPIC_VERSION
        headers.update(self.config.headers)
        return headers

    def _translate_request(self, request: CompletionRequest) -> tuple[str, Any]:
        return MESSAGES_PATH, to_messages_body(request, self.config.max_tokens)

    def _translate_response(self, data: Any, request: CompletionRequest) -> CompletionResponse:
        return from_messages_response(data, request)

    async def embed(self, request: EmbeddingRequest) -> EmbeddingResponse:
        raise NotImplementedError(
            f"provider {self._provider_label}: Anthropic has no embeddings API; "
            "route embedding capabilities to another provider"
        )

    def _stream_parser(self) -> Callable[[str], CompletionChunk | None]:
        """A fresh reader per stream: tool-call numbering and usage span events."""
        return StreamReader().feed

    def _is_stream_end(self, data: str) -> bool:
        """Anthropic ends a stream with a ``message_stop`` event, not ``[DONE]``."""
        try:
            event = json.loads(data)
        except ValueError:
            return False
        return isinstance(event, dict) and event.get("type") == "message_stop"

    def _as_provider_error(self, exc: BaseException, model_id: str | None) -> ProviderError:
        """Anthropic words a too-long prompt and a filtered answer as plain 400s."""
        error = super()._as_provider_error(exc, model_id)
        if type(error) is not BadRequestError:
            return error
        text = error.message.lower()
        for markers, kind in (
            (_CONTEXT_LENGTH_MARKERS, ContextLengthError),
            (_CONTENT_FILTER_MARKERS, ContentFilterError),
        ):
            if any(marker in text for marker in markers):
                return kind(
                    error.message,
                    provider_id=error.provider_id,
                    model_id=error.model_id,
                    status_code=error.status_code,
                )
        return error


# Requests


def to_messages_body(request: CompletionRequest, default_max_tokens: int) -> dict[str, Any]:
    """The Messages API body for an OpenAI-shaped request."""
    system, messages = _split_messages(request.messages)
    body: dict[str, Any] = {
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens or default_max_tokens,
    }
    if system:
        body["system"] = system
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop is not None:
        body["stop_sequences"] = (
            [request.stop] if isinstance(request.stop, str) else list(request.stop)
        )
    if request.tools:
        body["tools"] = [_tool(tool) for tool in request.tools]
    if request.tool_choice is not None:
        choice = _tool_choice(request.tool_choice)
        if choice is not None:
            body["tool_choice"] = choice
    if request.user is not None:
        body["metadata"] = {"user_id": request.user}
    if request.stream:
        body["stream"] = True
    body.update({k: v for k, v in request.extra.items() if k not in DROPPED_PARAMETERS})
    return body


def _text(content: Any) -> str:
    """OpenAI content (a string or a list of text parts) as plain text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))


def _content_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks = []
    for part in content or ():
        if isinstance(part, Mapping) and part.get("type") == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif isinstance(part, Mapping):
            blocks.append(dict(part))
    return blocks


def _split_messages(
    messages: tuple[Mapping[str, Any], ...],
) -> tuple[str, list[dict[str, Any]]]:
    """The system prompt, and the turns with tool calls and results as content blocks.

    Consecutive tool results join one user turn, as the API expects them.
    """
    system: list[str] = []
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            system.append(_text(message.get("content")))
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": message.get("tool_call_id"),
                "content": _text(message.get("content")),
            }
            if turns and turns[-1]["role"] == "user" and _all_tool_results(turns[-1]):
                turns[-1]["content"].append(result)
            else:
                turns.append({"role": "user", "content": [result]})
        elif role == "assistant" and message.get("tool_calls"):
            blocks = _content_blocks(message.get("content"))
            for call in message["tool_calls"]:
                function = call.get("function") or {}
                arguments = function.get("arguments") or "{}"
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("id"),
                        "name": function.get("name"),
                        "input": json.loads(arguments) if isinstance(arguments, str) else arguments,
                    }
                )
            turns.append({"role": "assistant", "content": blocks})
        else:
            content = message.get("content")
            turns.append(
                {
                    "role": "assistant" if role == "assistant" else "user",
                    "content": content if isinstance(content, str) else _content_blocks(content),
                }
            )
    return "\n\n".join(part for part in system if part), turns


def _all_tool_results(turn: Mapping[str, Any]) -> bool:
    content = turn["content"]
    return isinstance(content, list) and all(b.get("type") == "tool_result" for b in content)


def _tool(tool: Mapping[str, Any]) -> dict[str, Any]:
    function = tool.get("function") or {}
    translated = {
        "name": function.get("name"),
        "input_schema": function.get("parameters") or {"type": "object", "properties": {}},
    }
    if function.get("description"):
        translated["description"] = function["description"]
    return translated


def _tool_choice(choice: str | Mapping[str, Any]) -> dict[str, Any] | None:
    """OpenAI's tool_choice; ``none`` has no counterpart and is left out."""
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if isinstance(choice, Mapping):
        return {"type": "tool", "name": (choice.get("function") or {}).get("name")}
    return None


# Responses


def _usage(usage: Mapping[str, Any] | None) -> TokenUsage:
    usage = usage or {}
    return TokenUsage(
        prompt_tokens=int(usage.get("input_tokens") or 0),
        completion_tokens=int(usage.get("output_tokens") or 0),
    )


def from_messages_response(data: Any, request: CompletionRequest) -> CompletionResponse:
    """An OpenAI ``chat.completion`` for a Messages API answer."""
    text = []
    tool_calls = []
    for block in data.get("content") or ():
        if block.get("type") == "text":
            text.append(block.get("text", ""))
        elif block.get("type") == "tool_use":
            tool_calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {
                        "name": block.get("name"),
                        "arguments": json.dumps(block.get("input") or {}),
                    },
                }
            )
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) if text else None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return CompletionResponse(
        id=str(data.get("id", "")),
        model=str(data.get("model") or request.model),
        choices=[Choice(message=message, finish_reason=_finish(data.get("stop_reason")))],
        usage=_usage(data.get("usage")),
        raw=data,
    )


def _finish(stop_reason: Any) -> str | None:
    if stop_reason is None:
        return None
    return FINISH_REASONS.get(stop_reason, str(stop_reason))


class StreamReader:
    """Anthropic's stream events, one at a time, as OpenAI chunks.

    Text deltas become content deltas; a tool_use block becomes a tool call (its id
    and name first, then its JSON arguments in pieces); message_delta carries the
    finish reason and usage; ping is skipped. The provider ends the stream at
    message_stop (``_is_stream_end``) before it reaches the reader.
    """

    def __init__(self) -> None:
        self.model = ""
        self.id = ""
        self._input_tokens = 0
        self._tool_indexes: dict[int, int] = {}

    def feed(self, data: str) -> CompletionChunk | None:
        try:
            event = json.loads(data)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            raise StreamInterruptedError(f"malformed stream frame: {data[:120]!r}")
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message") or {}
            self.id = str(message.get("id", ""))
            self.model = str(message.get("model") or self.model)
            self._input_tokens = int((message.get("usage") or {}).get("input_tokens") or 0)
            return self._chunk({"role": "assistant", "content": ""})
        if kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") != "tool_use":
                return None
            index = self._tool_indexes.setdefault(event.get("index", 0), len(self._tool_indexes))
            call = {
                "index": index,
                "id": block.get("id"),
                "type": "function",
                "function": {"name": block.get("name"), "arguments": ""},
            }
            return self._chunk({"tool_calls": [call]})
        if kind == "content_block_delta":
            delta = event.get("delta") or {}
            if delta.get("type") == "text_delta":
                return self._chunk({"content": delta.get("text", "")})
            if delta.get("type") == "input_json_delta":
                index = self._tool_indexes.get(event.get("index", 0), 0)
                call = {"index": index, "function": {"arguments": delta.get("partial_json", "")}}
                return self._chunk({"tool_calls": [call]})
            return None
        if kind == "message_delta":
            output = int((event.get("usage") or {}).get("output_tokens") or 0)
            return attrs.evolve(
                self._chunk({}, _finish((event.get("delta") or {}).get("stop_reason"))),
                usage=TokenUsage(prompt_tokens=self._input_tokens, completion_tokens=output),
            )
        if kind == "error":
            error = event.get("error") or {}
            raise StreamInterruptedError(
                f"upstream error inside the stream: {error.get('type')}: {error.get('message')}"
            )
        return None  # ping, content_block_stop, message_stop, and event types added later

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> CompletionChunk:
        return CompletionChunk(
            id=self.id,
            model=self.model,
            choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
        )
