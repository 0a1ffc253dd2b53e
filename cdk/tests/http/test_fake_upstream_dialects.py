"""A custom dialect reshapes routes, bodies and frames; the server's failures still apply."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from modelmesh_cdk.testing.fake_upstream import (
    CONTEXT_LENGTH_EXCEEDED,
    Dialect,
    DialectRequest,
    Error,
    FakeUpstream,
    Frame,
    Ok,
    Route,
    Stream,
    context_length_exceeded,
    stream,
)

GENERATE = "/v1beta/models/tiny:generateContent"
STREAM = "/v1beta/models/tiny:streamGenerateContent"


class EchoDialect(Dialect):
    """A small event-naming format with the model in the path."""

    routes = (
        Route("POST", "/v1beta/models/{model}:generateContent", "generate"),
        Route("POST", "/v1beta/models/{model}:streamGenerateContent", "stream"),
    )

    def wants_stream(self, request: DialectRequest) -> bool:
        return request.route == "stream"

    def render_ok(self, behaviour: Ok, request: DialectRequest) -> Any:
        return {"text": behaviour.content, "model": request.model, "query": request.query}

    def error_body(self, behaviour: Error) -> Any:
        kind = "too_long" if behaviour.code == CONTEXT_LENGTH_EXCEEDED else "other"
        return {"problem": kind, "status": behaviour.status}

    def stream_frames(self, behaviour: Stream, request: DialectRequest) -> list[Frame]:
        frames = [Frame(json.dumps({"t": c}), event="delta") for c in behaviour.chunks]
        return [*frames, Frame(json.dumps({"stop": True}), event="finish")]

    def stream_start(self, behaviour: Stream, request: DialectRequest) -> list[Frame]:
        return [Frame("{}", event="start")]

    def stream_end(self, request: DialectRequest) -> list[Frame]:
        return [Frame("{}", event="end")]


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(dialect=EchoDialect()) as up:
        yield up


@pytest.fixture
def client(upstream: FakeUpstream) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=upstream.url, timeout=5) as c:
        yield c


def events(client: httpx.Client) -> list[tuple[str, str]]:
    text = client.post(STREAM + "?alt=sse", json={}).text
    blocks = [b for b in text.split("\n\n") if b]
    return [tuple(line.split(": ", 1)[1] for line in b.split("\n")) for b in blocks]


def test_path_parameters_reach_the_renderer(client):
    assert client.post(GENERATE, json={}).json()["model"] == "tiny"


def test_query_is_recorded_apart_from_the_path(client, upstream):
    client.post(GENERATE + "?key=abc", json={})
    recorded = upstream.requests[0]
    assert (recorded.path, recorded.query) == (GENERATE, "key=abc")


def test_unknown_route_uses_the_dialects_error_body(client):
    response = client.post("/v1/chat/completions", json={})
    assert (response.status_code, response.json()) == (404, {"problem": "other", "status": 404})


def test_context_length_is_worded_by_the_dialect(client, upstream):
    upstream.script(context_length_exceeded())
    assert client.post(GENERATE, json={}).json()["problem"] == "too_long"


def test_stream_frames_carry_event_names_and_the_terminal_frame(client, upstream):
    upstream.script(stream())
    assert events(client) == [
        ("start", "{}"),
        ("delta", '{"t": "Hello"}'),
        ("delta", '{"t": " world"}'),
        ("finish", '{"stop": true}'),
        ("end", "{}"),
    ]


def test_done_false_leaves_out_the_terminal_frame(client, upstream):
    upstream.script(stream(done=False))
    assert [event for event, _ in events(client)] == ["start", "delta", "delta", "finish"]


def test_malformed_frame_keeps_its_event_name(client, upstream):
    upstream.script(stream(malformed_at=1))
    assert events(client)[2] == ("delta", "{not json")


def test_cut_after_applies_to_dialect_frames(client, upstream):
    upstream.script(stream(cut_after=1))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(STREAM, json={})
