"""The connector kit's fixtures, and Anthropic's Messages API wire format for the kit's
fake upstream (``anthropic_upstream``).

Written from Anthropic's public API documentation: ``POST /v1/messages`` answers a
``message`` object, or, when the body has ``"stream": true``, named Server-Sent Events
(message_start, content_block_start, ping, content_block_delta..., content_block_stop,
message_delta, message_stop); errors are ``{"type": "error", "error": {"type",
"message"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from modelmesh_cdk.testing.fake_upstream import (
    CONTENT_FILTERED,
    CONTEXT_LENGTH_EXCEEDED,
    Dialect,
    DialectRequest,
    Error,
    FakeUpstream,
    Frame,
    Ok,
    Route,
    Stream,
    count_tokens,
    error_phrase,
)

pytest_plugins = ["modelmesh_cdk.testing.plugin"]

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
CODE_MESSAGES = {
    CONTEXT_LENGTH_EXCEEDED: "prompt is too long: 200001 tokens > 199999 maximum",
    CONTENT_FILTERED: "Output blocked by content filtering policy",
}


def prompt_tokens(body: Any) -> int:
    """Words in the system prompt and in every text of every message."""
    if not isinstance(body, dict):
        return 0
    texts = [body.get("system")] if isinstance(body.get("system"), str) else []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(b["text"] for b in content if isinstance(b.get("text"), str))
    return count_tokens(" ".join(texts))


def usage(override: Any, prompt: int, completion: int) -> dict[str, int]:
    """Anthropic's usage keys for an ``ok(usage=...)`` given with OpenAI's."""
    if override is not None:
        prompt = override.get("prompt_tokens", prompt)
        completion = override.get("completion_tokens", completion)
    return {"input_tokens": prompt, "output_tokens": completion}


def event(data: dict[str, Any]) -> Frame:
    return Frame(json.dumps(data), event=data["type"])


class AnthropicDialect(Dialect):
    routes = (Route("POST", "/v1/messages", "messages"),)

    def wants_stream(self, request: DialectRequest) -> bool:
        return isinstance(request.body, dict) and bool(request.body.get("stream"))

    def render_ok(self, behaviour: Ok, request: DialectRequest) -> Any:
        return {
            "id": f"msg_fake_{request.number}",
            "type": "message",
            "role": "assistant",
            "model": request.model,
            "content": [{"type": "text", "text": behaviour.content}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": usage(
                behaviour.usage, prompt_tokens(request.body), count_tokens(behaviour.content)
            ),
        }

    def error_body(self, behaviour: Error) -> Any:
        status = behaviour.status
        message = behaviour.message or CODE_MESSAGES.get(behaviour.code or "")
        return {
            "type": "error",
            "error": {
                "type": ERROR_TYPES.get(status, "api_error"),
                "message": message or f"Fake upstream error: {status} {error_phrase(status)}",
            },
        }

    def stream_start(self, behaviour: Stream, request: DialectRequest) -> list[Frame]:
        """message_start (with the input tokens), the text block's start, and a ping."""
        tokens = usage(behaviour.usage, prompt_tokens(request.body), 0)
        message = {
            "id": f"msg_fake_{request.number}",
            "type": "message",
            "role": "assistant",
            "model": request.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": tokens["input_tokens"], "output_tokens": 1},
        }
        block = {"type": "text", "text": ""}
        return [
            event({"type": "message_start", "message": message}),
            event({"type": "content_block_start", "index": 0, "content_block": block}),
            event({"type": "ping"}),
        ]

    def stream_frames(self, behaviour: Stream, request: DialectRequest) -> list[Frame]:
        """A text delta per chunk, then the block's stop and message_delta (stop reason
        and output tokens)."""
        deltas = [
            event(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": chunk},
                }
            )
            for chunk in behaviour.chunks
        ]
        completion = usage(behaviour.usage, 0, count_tokens("".join(behaviour.chunks)))
        return [
            *deltas,
            event({"type": "content_block_stop", "index": 0}),
            event(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                    "usage": {"output_tokens": completion["output_tokens"]},
                }
            ),
        ]

    def stream_end(self, request: DialectRequest) -> list[Frame]:
        return [event({"type": "message_stop"})]


@pytest.fixture
def anthropic_upstream() -> Iterator[FakeUpstream]:
    """A running fake upstream that speaks the Messages API."""
    with FakeUpstream(dialect=AnthropicDialect()) as up:
        yield up
