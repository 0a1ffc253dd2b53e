"""A real HTTP/1.1 server on 127.0.0.1 that answers like a provider and misbehaves on request.

Connector tests need an upstream that answers like OpenAI and then fails in exactly
the ways real providers fail: statuses with Retry-After, slow headers, slow first
tokens, streams cut or stalled mid-way, malformed frames, reset connections. Mocking
the HTTP client cannot show how a connector behaves on a real socket, so this server
speaks HTTP on loopback from its own thread and event loop, and is kept minimal so a
benchmark never measures it instead of the client.

What the answers look like on the wire is a ``Dialect``: OpenAI's is the default, and a
connector for another API (Anthropic, Gemini, ...) passes its own, so the scripted failures
work for every wire format through the same server code.

    with FakeUpstream() as up:
        up.script(error(429, retry_after=2), ok("hi"))
        ...  # point the connector at up.url
        assert len(up.requests) == 2

A provider that keeps misbehaving in a pattern (every fourth answer a 500, say) is
``up.repeat(ok(), ok(), ok(), error(500))``: requests that find nothing scripted take
the pattern's behaviours in turn, round and round.

Run it by hand with ``python -m modelmesh_cdk.testing.fake_upstream --port 8000``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import re
import socket
import struct
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from types import TracebackType
from typing import Any, ClassVar, Self

import attrs

DEFAULT_CONTENT = "Hello from the fake upstream"
EMBEDDING_DIMENSIONS = 8
_MAX_LINE = 64 * 1024

CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"
MODELS_PATH = "/v1/models"


@attrs.frozen
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    """The path without its query string."""
    headers: dict[str, str]
    body: Any
    """The parsed JSON body, or the raw bytes when the body is not JSON."""
    arrived_at: float
    """``time.monotonic()`` when the whole request had arrived."""
    query: str = ""
    """The raw query string after ``?`` (empty when there was none)."""


# Behaviours: what the server does with one request.


@attrs.frozen
class Ok:
    content: str = DEFAULT_CONTENT
    usage: Mapping[str, int] | None = None
    headers: Mapping[str, str] | None = None
    delay: float = 0.0


@attrs.frozen
class Error:
    status: int
    message: str | None = None
    retry_after: float | str | None = None
    headers: Mapping[str, str] | None = None
    delay: float = 0.0
    code: str | None = None


@attrs.frozen
class Stream:
    chunks: tuple[str, ...] = ("Hello", " world")
    first_token_delay: float = 0.0
    gap: float = 0.0
    cut_after: int | None = None
    stall_after: int | None = None
    malformed_at: int | None = None
    done: bool = True
    headers: Mapping[str, str] | None = None
    delay: float = 0.0
    usage: Mapping[str, int] | None = None


@attrs.frozen
class Reset:
    pass


@attrs.frozen
class Stall:
    pass


Behaviour = Ok | Error | Stream | Reset | Stall


def ok(
    content: str = DEFAULT_CONTENT,
    *,
    usage: Mapping[str, int] | None = None,
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
) -> Ok:
    """A normal answer: chat JSON, SSE of ``content`` in word chunks for stream
    requests, embeddings on /v1/embeddings, the model list on /v1/models."""
    return Ok(content, usage, headers, delay)


def error(
    status: int,
    message: str | None = None,
    *,
    retry_after: float | str | None = None,
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
    code: str | None = None,
) -> Error:
    """An error body in the dialect's shape with ``status``; ``retry_after`` (seconds or an
    HTTP date) becomes a Retry-After header; ``code`` is the machine-readable error code."""
    return Error(status, message, retry_after, headers, delay, code)


def stream(
    chunks: Sequence[str] = ("Hello", " world"),
    *,
    first_token_delay: float = 0.0,
    gap: float = 0.0,
    cut_after: int | None = None,
    stall_after: int | None = None,
    malformed_at: int | None = None,
    done: bool = True,
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
) -> Stream:
    """An SSE answer with one frame per chunk, then a finish frame with usage, then the
        dialect's terminal frames (OpenAI: [DONE]).

        Frames count from 0 with the first chunk; the finish frame is frame ``len(chunks)``.
        ``cut_after=N`` closes the connection after N frames, ``stall_after=N`` stops
        sending after N frames until the server stops, ``malformed_at=N`` sends invalid
        JSON as frame N, ``done=False`` leaves out the terminal frames. A dialect may frame a
    chunk differently, but frame N is always the one carrying chunk N.
    """
    return Stream(
        tuple(chunks),
        first_token_delay,
        gap,
        cut_after,
        stall_after,
        malformed_at,
        done,
        headers,
        delay,
    )


def reset() -> Reset:
    """Drop the connection without answering (a TCP reset)."""
    return Reset()


def stall() -> Stall:
    """Never answer; the connection stays open until the server stops."""
    return Stall()


CONTEXT_LENGTH_EXCEEDED = "context_length_exceeded"
CONTENT_FILTERED = "content_filter"


def context_length_exceeded() -> Error:
    """The 400 a provider sends when the prompt does not fit the model; the dialect words
    it (``Dialect.error_body`` sees ``code == CONTEXT_LENGTH_EXCEEDED``)."""
    return Error(400, code=CONTEXT_LENGTH_EXCEEDED)


def content_filtered() -> Error:
    """The 400 a provider sends when the prompt trips its content filter; the dialect words
    it (``Dialect.error_body`` sees ``code == CONTENT_FILTERED``)."""
    return Error(400, code=CONTENT_FILTERED)


def error_phrase(status: int) -> str:
    """The HTTP reason phrase of ``status``, for default error messages."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def words(text: str) -> list[str]:
    """Split into chunks that join back to ``text`` (each word keeps its leading space)."""
    parts = text.split(" ")
    return [parts[0], *(" " + p for p in parts[1:])] if text else []


def count_tokens(text: str) -> int:
    """The fake upstream's token count: whitespace-separated words."""
    return len(text.split())


def prompt_text(body: Any) -> str:
    """The text of every string ``content`` in ``body["messages"]``, for usage counts."""
    if not isinstance(body, dict):
        return ""
    texts = []
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
    return " ".join(texts)


def _embedding(text: str) -> list[float]:
    """A deterministic vector in [-1, 1] derived from a hash of the text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [round(b / 127.5 - 1.0, 6) for b in digest[:EMBEDDING_DIMENSIONS]]


# Dialects: how one API puts the behaviours on the wire.


def _route_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", pattern)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+?)" for i, part in enumerate(parts)
    )
    return re.compile(regex + "$")


@attrs.frozen
class Route:
    """One (method, path pattern) a dialect serves, named for its renderers.

    ``{name}`` in the pattern matches one path segment (or the part of it before a
    literal such as ``:generateContent``) and lands in ``DialectRequest.params``.
    """

    method: str
    pattern: str
    name: str
    _regex: re.Pattern[str] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_regex", _route_regex(self.pattern))

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when ``method path`` is this route, else None."""
        if method != self.method:
            return None
        found = self._regex.match(path)
        return found.groupdict() if found else None


@attrs.frozen
class DialectRequest:
    """A request as a dialect sees it while rendering the answer."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: Any
    route: str
    """The matched ``Route.name``."""
    params: Mapping[str, str]
    """Path parameters of the matched route."""
    number: int
    """The request's sequence number on this server, for ids like ``chatcmpl-fake-3``."""
    models: tuple[str, ...]
    """The server's configured models."""

    @property
    def model(self) -> str:
        """The model the request names (path parameter, then body), else the first one."""
        if isinstance(self.params.get("model"), str):
            return self.params["model"]
        requested = self.body.get("model") if isinstance(self.body, dict) else None
        return requested if isinstance(requested, str) else self.models[0]


@attrs.frozen
class Frame:
    """One Server-Sent Event: its ``data`` text and, for formats that name events, ``event``."""

    data: str
    event: str | None = None

    def encode(self) -> bytes:
        lines = [] if self.event is None else [f"event: {self.event}"]
        lines.extend(f"data: {line}" for line in self.data.split("\n"))
        return ("\n".join(lines) + "\n\n").encode()


class Dialect(ABC):
    """The wire format of one API: its routes and how each behaviour looks on them.

    The server owns everything about timing and failure (delay, first_token_delay, gap,
    cut_after, stall_after, reset, stall, headers); a dialect only renders bodies and frames.
    ``ok()`` usage overrides are given with OpenAI's key names (``prompt_tokens``,
    ``completion_tokens``); a dialect maps them to its own.
    """

    routes: ClassVar[tuple[Route, ...]]
    """What the dialect serves; any other request gets ``error_body(404, ...)``."""

    @abstractmethod
    def wants_stream(self, request: DialectRequest) -> bool:
        """Whether an ``ok()`` for this request is answered as an event stream."""

    @abstractmethod
    def render_ok(self, behaviour: Ok, request: DialectRequest) -> Any:
        """The JSON body of a successful, non-streamed answer on ``request.route``."""

    @abstractmethod
    def error_body(self, behaviour: Error) -> Any:
        """The JSON body for an error status, including the
        ``CONTEXT_LENGTH_EXCEEDED`` and ``CONTENT_FILTERED`` codes."""

    @abstractmethod
    def stream_frames(self, behaviour: Stream, request: DialectRequest) -> list[Frame]:
        """Every counted frame: frame N carries chunk N, and frames from ``len(chunks)``
        on finish the answer (finish reason, usage)."""

    def stream_start(self, behaviour: Stream, request: DialectRequest) -> list[Frame]:
        """Opening frames sent after ``first_token_delay`` and before frame 0, outside
        the frame count (Anthropic: message_start); none by default."""
        return []

    def stream_end(self, request: DialectRequest) -> list[Frame]:
        """The terminal frames ``done=True`` adds (none by default)."""
        return []

    def malformed(self, frame: Frame) -> Frame:
        """``frame`` with a body no JSON parser accepts, for ``malformed_at``."""
        return attrs.evolve(frame, data="{not json")

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The route name and path parameters for a request, or None for a 404."""
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route.name, params
        return None


_OPENAI_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}

_OPENAI_CODE_MESSAGES = {
    CONTEXT_LENGTH_EXCEEDED: "This model's maximum context length is 8192 tokens. "
    "However, your messages resulted in 9000 tokens.",
    CONTENT_FILTERED: "The response was filtered due to the prompt triggering the "
    "content management policy.",
}


class OpenAIDialect(Dialect):
    """OpenAI's API: chat completions (JSON, or SSE ending in ``[DONE]`` when the body
    has ``"stream": true``), embeddings and the model list."""

    routes = (
        Route("POST", CHAT_PATH, "chat"),
        Route("POST", EMBEDDINGS_PATH, "embeddings"),
        Route("GET", MODELS_PATH, "models"),
    )

    def wants_stream(self, request: DialectRequest) -> bool:
        return (
            request.route == "chat"
            and isinstance(request.body, dict)
            and bool(request.body.get("stream"))
        )

    def render_ok(self, behaviour: Ok, request: DialectRequest) -> Any:
        if request.route == "chat":
            return self._chat(behaviour, request)
        if request.route == "embeddings":
            return self._embeddings(behaviour, request)
        return {
            "object": "list",
            "data": [
                {"id": m, "object": "model", "created": 0, "owned_by": "fake-upstream"}
                for m in request.models
            ],
        }

    def error_body(self, behaviour: Error) -> Any:
        status = behaviour.status
        message = behaviour.message or _OPENAI_CODE_MESSAGES.get(behaviour.code or "")
        return {
            "error": {
                "message": message or f"Fake upstream error: {status} {error_phrase(status)}",
                "type": _OPENAI_ERROR_TYPES.get(
                    status, "server_error" if status >= 500 else "api_error"
                ),
                "param": None,
                "code": behaviour.code,
            }
        }

    def stream_frames(self, behaviour: Stream, request: DialectRequest) -> list[Frame]:
        base = {
            "id": f"chatcmpl-fake-{request.number}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request.model,
        }
        frames = []
        for i, chunk in enumerate(behaviour.chunks):
            delta = {"role": "assistant", "content": chunk} if i == 0 else {"content": chunk}
            frames.append(
                {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            )
        completion = count_tokens("".join(behaviour.chunks))
        frames.append(
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "usage": _usage(
                    behaviour.usage, count_tokens(prompt_text(request.body)), completion
                ),
            }
        )
        return [Frame(json.dumps(frame)) for frame in frames]

    def stream_end(self, request: DialectRequest) -> list[Frame]:
        return [Frame("[DONE]")]

    def _chat(self, behaviour: Ok, request: DialectRequest) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake-{request.number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": behaviour.content},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(
                behaviour.usage,
                count_tokens(prompt_text(request.body)),
                count_tokens(behaviour.content),
            ),
        }

    def _embeddings(self, behaviour: Ok, request: DialectRequest) -> dict[str, Any]:
        body = request.body
        raw = body.get("input", "") if isinstance(body, dict) else ""
        inputs = [raw] if isinstance(raw, str) else [str(item) for item in raw]
        tokens = sum(count_tokens(text) for text in inputs)
        usage = _usage(behaviour.usage, tokens, 0)
        usage.pop("completion_tokens", None)
        return {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": _embedding(text)}
                for i, text in enumerate(inputs)
            ],
            "model": request.model,
            "usage": usage,
        }


def _usage(override: Mapping[str, int] | None, prompt: int, completion: int) -> Any:
    if override is not None:
        return dict(override)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


@attrs.frozen
class _Request:
    method: str
    path: str
    query: str
    version: str
    headers: dict[str, str]
    body: Any

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """Read one request; None when the client closed the connection between requests."""
    line = await reader.readline()
    if not line:
        return None
    method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length") or 0))
    path, _, query = target.partition("?")
    return _Request(method, path, query, version, headers, _parse_body(body))


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readline()).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


async def _hold(reader: asyncio.StreamReader) -> None:
    """Say nothing until the client hangs up, or until stop() cancels the connection."""
    while await reader.read(_MAX_LINE):
        pass


def _parse_body(raw: bytes) -> Any:
    if not raw:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {error_phrase(status)}"]
    lines.extend(f"{k}: {v}" for k, v in headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


@attrs.define
class _Pattern:
    """Behaviours answered in turn, round and round; the next one is ``position``."""

    behaviours: tuple[Behaviour, ...]
    position: int = 0

    def next(self) -> Behaviour:
        behaviour = self.behaviours[self.position]
        self.position = (self.position + 1) % len(self.behaviours)
        return behaviour


class FakeUpstream:
    """A server on 127.0.0.1 speaking ``dialect`` (OpenAI's by default) whose next
    answers can be scripted.

    ``start()`` returns once the server listens; ``stop()`` closes every connection,
    stalled ones included, and joins the server thread. ``script``, ``requests`` and
    ``clear`` are safe to call from the test's thread.
    """

    def __init__(
        self,
        *,
        models: Sequence[str] = ("fake-model",),
        dialect: Dialect | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.models = tuple(models)
        self.dialect = dialect if dialect is not None else OpenAIDialect()
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._any_path: deque[Behaviour] = deque()
        self._by_path: dict[str, deque[Behaviour]] = {}
        self._patterns: dict[str | None, _Pattern] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._counter = 0

    # Lifecycle

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, without ``/v1``."""
        if self._server is None:
            raise RuntimeError("the fake upstream is not started")
        return f"http://{self._host}:{self._port}"

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("the fake upstream is already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="fake-upstream", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"FakeUpstream({where}, models={list(self.models)!r})"

    # Scripting and inspection (test thread)

    def script(self, *behaviours: Behaviour, path: str | None = None) -> None:
        """Queue behaviours for the next requests (to ``path``, or to any path).

        A request takes the next behaviour queued for its path, else the next one
        queued for any path, else the next of a pattern ``repeat`` set (its path's, then
        any path's), else ``ok()``.
        """
        with self._lock:
            queue = self._any_path if path is None else self._by_path.setdefault(path, deque())
            queue.extend(behaviours)

    def repeat(self, *behaviours: Behaviour, path: str | None = None) -> None:
        """Answer requests (to ``path``, or to any path) that find nothing scripted with
        ``behaviours`` in turn, starting again after the last, instead of ``ok()``.

        A long-running fake (a demo, a soak test) misbehaves in a pattern this way without
        scripting every request. A new pattern replaces the old one from its first
        behaviour; no behaviours removes it.
        """
        with self._lock:
            if behaviours:
                self._patterns[path] = _Pattern(tuple(behaviours))
            else:
                self._patterns.pop(path, None)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received since start or the last ``clear()``."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        """Forget recorded requests, every queued behaviour and every repeated pattern."""
        with self._lock:
            self._requests.clear()
            self._any_path.clear()
            self._by_path.clear()
            self._patterns.clear()

    # Server thread

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, self._host, self._port, limit=_MAX_LINE)
            )
        except BaseException as exc:  # surfaced by start() in the caller's thread
            failure.append(exc)
            ready.set()
            loop.close()
            return
        self._port = self._server.sockets[0].getsockname()[1]
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()
            self._server = None

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                behaviour = self._record_and_pick(request)
                answered = await self._answer(request, behaviour, reader, writer)
                if not answered or not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            # stop() cancels every connection; ending quietly keeps asyncio from
            # logging each cancelled handler as an error.
            writer.transport.abort()
        finally:
            self._connections.discard(task)
            writer.close()

    def _record_and_pick(self, request: _Request) -> Behaviour:
        recorded = RecordedRequest(
            request.method,
            request.path,
            request.headers,
            request.body,
            time.monotonic(),
            request.query,
        )
        with self._lock:
            self._requests.append(recorded)
            self._counter += 1
            queue = self._by_path.get(request.path)
            if queue:
                return queue.popleft()
            if self._any_path:
                return self._any_path.popleft()
            pattern = self._patterns.get(request.path) or self._patterns.get(None)
            if pattern is not None:
                return pattern.next()
        return Ok()

    async def _answer(
        self,
        request: _Request,
        behaviour: Behaviour,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Answer one request; False when the connection must not be reused."""
        if isinstance(behaviour, Reset):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        if isinstance(behaviour, Stall):
            await _hold(reader)
            return False
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        if isinstance(behaviour, Error):
            return await self._send_error(behaviour, writer)
        matched = self.dialect.match(request.method, request.path)
        if matched is None:
            return await self._send_error(
                Error(404, f"Unknown route {request.method} {request.path}"), writer
            )
        view = DialectRequest(
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            matched[0],
            matched[1],
            self._counter,
            self.models,
        )
        if isinstance(behaviour, Stream):
            return await self._send_stream(behaviour, view, reader, writer)
        if self.dialect.wants_stream(view):
            return await self._send_stream(
                Stream(tuple(words(behaviour.content)), usage=behaviour.usage),
                view,
                reader,
                writer,
                extra_headers=behaviour.headers,
            )
        self._send_json(writer, 200, self.dialect.render_ok(behaviour, view), behaviour.headers)
        return True

    def _send_json(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        payload: Any,
        extra_headers: Mapping[str, str] | None,
    ) -> None:
        data = json.dumps(payload).encode()
        headers = {
            "content-type": "application/json",
            "content-length": str(len(data)),
            "x-request-id": f"req-fake-{self._counter}",
            **(extra_headers or {}),
        }
        writer.write(_head(status, headers) + data)

    async def _send_error(self, behaviour: Error, writer: asyncio.StreamWriter) -> bool:
        headers = dict(behaviour.headers or {})
        if behaviour.retry_after is not None:
            headers["retry-after"] = str(behaviour.retry_after)
        self._send_json(writer, behaviour.status, self.dialect.error_body(behaviour), headers)
        await writer.drain()
        return True

    async def _send_stream(
        self,
        behaviour: Stream,
        request: DialectRequest,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        extra_headers: Mapping[str, str] | None = None,
    ) -> bool:
        headers = {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
            "x-request-id": f"req-fake-{self._counter}",
            **(extra_headers or {}),
            **(behaviour.headers or {}),
        }
        writer.write(_head(200, headers))
        await writer.drain()
        if behaviour.first_token_delay:
            await asyncio.sleep(behaviour.first_token_delay)
        for frame in self.dialect.stream_start(behaviour, request):
            writer.write(_chunk(frame.encode()))
        frames = self.dialect.stream_frames(behaviour, request)
        for index, frame in enumerate(frames):
            if index == behaviour.cut_after:
                writer.close()
                return False
            if index == behaviour.stall_after:
                await _hold(reader)
                return False
            if index and behaviour.gap:
                await asyncio.sleep(behaviour.gap)
            if index == behaviour.malformed_at:
                frame = self.dialect.malformed(frame)
            writer.write(_chunk(frame.encode()))
            await writer.drain()
        if behaviour.cut_after is not None and behaviour.cut_after >= len(frames):
            writer.close()
            return False
        if behaviour.stall_after is not None and behaviour.stall_after >= len(frames):
            await _hold(reader)
            return False
        if behaviour.done:
            for frame in self.dialect.stream_end(request):
                writer.write(_chunk(frame.encode()))
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m modelmesh_cdk.testing.fake_upstream",
        description="Serve a fake OpenAI-compatible upstream until Ctrl-C.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument(
        "--model", action="append", dest="models", metavar="NAME", help="a model to list"
    )
    args = parser.parse_args(argv)
    upstream = FakeUpstream(models=args.models or ("fake-model",), host=args.host, port=args.port)
    with upstream, contextlib.suppress(KeyboardInterrupt):
        print(f"Fake upstream listening on {upstream.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
