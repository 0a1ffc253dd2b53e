"""Loads the ModelMesh connector kit (its fixtures and the standard-suite guard), and the
kit's fake upstream speaking the Gemini API's wire format.

The dialect is written from Google's public API reference: ``generateContent`` answers a
GenerateContentResponse, ``streamGenerateContent?alt=sse`` sends one per SSE ``data:``
line and no ``[DONE]`` (a candidate's ``finishReason`` marks the end), embeddings answer
``{"embedding": ...}`` or ``{"embeddings": [...]}``, ``GET /models`` pages with
``nextPageToken``, and errors are ``{"error": {"code", "message", "status"}}``. It lives
here because test modules are imported without their directory on the path: they reach
it through the fixtures below.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from modelmesh_cdk.testing import fake_upstream as fake

API = "/v1beta"
# How the fake words the two request-caused 400s: the first is Gemini's own wording;
# Gemini reports a blocked prompt, when it does so with an error, as blocked.
_CODE_MESSAGES = {
    fake.CONTEXT_LENGTH_EXCEEDED: "The input token count (9000) exceeds the maximum number "
    "of tokens allowed (8192).",
    fake.CONTENT_FILTERED: "The request was blocked: the prompt was blocked for SAFETY.",
}
_STATUSES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class GeminiDialect(fake.Dialect):
    """Gemini's routes under ``/v1beta``.

    ``retry_delay`` adds a google.rpc.RetryInfo detail to 429 bodies; ``page_size``
    splits the model list into pages; ``block_reason`` answers every chat request with
    a blocked prompt (``promptFeedback.blockReason``, no candidates). A stream scripted
    with ``done=False`` ends without any finishReason, Gemini's counterpart of a missing
    end marker.
    """

    routes = (
        fake.Route("POST", f"{API}/models/{{model}}:generateContent", "chat"),
        fake.Route("POST", f"{API}/models/{{model}}:streamGenerateContent", "stream"),
        fake.Route("POST", f"{API}/models/{{model}}:embedContent", "embed"),
        fake.Route("POST", f"{API}/models/{{model}}:batchEmbedContents", "batch_embed"),
        fake.Route("GET", f"{API}/models", "models"),
    )

    def __init__(
        self,
        *,
        retry_delay: int | None = None,
        page_size: int = 50,
        block_reason: str | None = None,
    ) -> None:
        self.retry_delay = retry_delay
        self.page_size = page_size
        self.block_reason = block_reason

    def wants_stream(self, request: fake.DialectRequest) -> bool:
        return request.route == "stream" and parse_qs(request.query).get("alt") == ["sse"]

    def render_ok(self, behaviour: fake.Ok, request: fake.DialectRequest) -> Any:
        if request.route == "chat" and self.block_reason:
            return {"promptFeedback": {"blockReason": self.block_reason}}
        if request.route == "chat":
            return {
                "candidates": [_candidate(behaviour.content, "STOP")],
                "usageMetadata": _usage(
                    behaviour.usage,
                    fake.count_tokens(_prompt_text(request.body)),
                    fake.count_tokens(behaviour.content),
                ),
                "modelVersion": request.model,
                "responseId": f"fake-{request.number}",
            }
        if request.route == "embed":
            return {"embedding": {"values": _embedding(_text_of(request.body))}}
        if request.route == "batch_embed":
            items = request.body.get("requests") or []
            return {"embeddings": [{"values": _embedding(_text_of(i))} for i in items]}
        return self._models_page(request)

    def error_body(self, behaviour: fake.Error) -> Any:
        status = behaviour.status
        message = behaviour.message or _CODE_MESSAGES.get(behaviour.code or "")
        error: dict[str, Any] = {
            "code": status,
            "message": message or f"Fake upstream error: {status} {fake.error_phrase(status)}",
            "status": _STATUSES.get(status, "UNKNOWN"),
        }
        if status == 429 and self.retry_delay is not None:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{self.retry_delay}s",
                }
            ]
        return {"error": error}

    def stream_frames(
        self, behaviour: fake.Stream, request: fake.DialectRequest
    ) -> list[fake.Frame]:
        prompt = fake.count_tokens(_prompt_text(request.body))
        frames = [
            {
                "candidates": [_candidate(chunk, None)],
                "usageMetadata": {"promptTokenCount": prompt, "totalTokenCount": prompt},
                "modelVersion": request.model,
            }
            for chunk in behaviour.chunks
        ]
        completion = fake.count_tokens("".join(behaviour.chunks))
        frames.append(
            {
                "candidates": [_candidate("", "STOP" if behaviour.done else None)],
                "usageMetadata": _usage(behaviour.usage, prompt, completion),
                "modelVersion": request.model,
            }
        )
        return [fake.Frame(json.dumps(frame)) for frame in frames]

    def _models_page(self, request: fake.DialectRequest) -> dict[str, Any]:
        start = int((parse_qs(request.query).get("pageToken") or ["0"])[0])
        end = start + self.page_size
        page: dict[str, Any] = {
            "models": [
                {
                    "name": f"models/{model}",
                    "displayName": model,
                    "inputTokenLimit": 8192,
                    "outputTokenLimit": 2048,
                    "supportedGenerationMethods": ["generateContent", "countTokens"],
                }
                for model in request.models[start:end]
            ]
        }
        if end < len(request.models):
            page["nextPageToken"] = str(end)
        return page


def _candidate(text: str, reason: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "content": {"role": "model", "parts": [{"text": text}]},
        "index": 0,
    }
    if reason:
        candidate["finishReason"] = reason
    return candidate


def _usage(override: Any, prompt: int, completion: int) -> dict[str, int]:
    """Gemini's usageMetadata; overrides come with OpenAI's key names."""
    if override is not None:
        prompt = override.get("prompt_tokens", prompt)
        completion = override.get("completion_tokens", completion)
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": completion,
        "totalTokenCount": prompt + completion,
    }


def _prompt_text(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    return " ".join(
        part["text"]
        for content in body.get("contents") or []
        for part in content.get("parts") or []
        if isinstance(part.get("text"), str)
    )


def _text_of(item: Any) -> str:
    parts = (item.get("content") or {}).get("parts") or [] if isinstance(item, dict) else []
    return " ".join(part.get("text", "") for part in parts)


def _embedding(text: str) -> list[float]:
    """A deterministic vector derived from a hash of the text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(byte / 127.5 - 1.0, 6) for byte in digest[:8]]


pytest_plugins = ["modelmesh_cdk.testing.plugin"]


@pytest.fixture(scope="session")
def gemini_server() -> Iterator[fake.FakeUpstream]:
    with fake.FakeUpstream(dialect=GeminiDialect()) as upstream:
        yield upstream


@pytest.fixture
def gemini_upstream(gemini_server: fake.FakeUpstream) -> Iterator[fake.FakeUpstream]:
    """The Gemini-speaking fake with nothing scripted and nothing recorded."""
    gemini_server.clear()
    yield gemini_server
    gemini_server.clear()


@pytest.fixture
def gemini_upstream_with() -> Iterator[Callable[..., fake.FakeUpstream]]:
    """Start a Gemini-speaking fake with dialect options (and ``models``); stopped after."""
    with contextlib.ExitStack() as stack:

        def start(
            *, models: tuple[str, ...] = ("fake-model",), **options: Any
        ) -> fake.FakeUpstream:
            dialect = GeminiDialect(**options)
            return stack.enter_context(fake.FakeUpstream(models=models, dialect=dialect))

        yield start
