"""The proxy as a raw ASGI application.

No web framework: the app reads the few headers it needs from the scope, parses the
body once and hands the request to the router, so the time a request spends here is
small next to an upstream call (docs/proxy.md has the figures). Routing, retries and
failover are the router's; this module only translates HTTP to router calls and back.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from modelmesh.config.schema import ProxyEndpoint
from modelmesh.interfaces.observability import MetricsExposition
from modelmesh.interfaces.provider import CompletionRequest, EmbeddingRequest
from modelmesh.log import get_logger
from modelmesh.mesh import ModelMesh
from modelmesh.proxy.errors import HttpError, error_body, from_exception
from modelmesh.proxy.settings import ProxySettings
from modelmesh.routing.router import Routed, RoutedStream

__all__ = ["MAX_BODY_BYTES", "ProxyApp", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

MAX_BODY_BYTES = 16 * 1024 * 1024

_log = get_logger("modelmesh.proxy")

_ROUTES: dict[str, tuple[ProxyEndpoint, str]] = {
    "/v1/chat/completions": (ProxyEndpoint.CHAT_COMPLETIONS, "POST"),
    "/v1/embeddings": (ProxyEndpoint.EMBEDDINGS, "POST"),
    "/v1/models": (ProxyEndpoint.MODELS, "GET"),
    "/health": (ProxyEndpoint.HEALTH, "GET"),
    "/metrics": (ProxyEndpoint.METRICS, "GET"),
}
_MODEL_PREFIX = "/v1/models/"
_EXPOSED = b"x-modelmesh-model, x-modelmesh-provider, x-modelmesh-attempts, x-modelmesh-pool"
_SSE_HEADERS: Headers = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
_DONE = b"data: [DONE]\n\n"

# OpenAI parameters checked before the request types see them: (types, description).
_NUMBER = ((int, float), "a number")
_CHAT_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "model": ((str,), "a string"),
    "messages": ((list,), "a list of message objects"),
    "temperature": _NUMBER,
    "top_p": _NUMBER,
    "max_tokens": ((int,), "an integer"),
    "stream": ((bool,), "true or false"),
    "user": ((str,), "a string"),
    "stop": ((str, list), "a string or a list of strings"),
    "tools": ((list,), "a list of tool objects"),
    "tool_choice": ((str, dict), "a string or an object"),
}
_EMBEDDING_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "model": ((str,), "a string"),
    "input": ((str, list), "a string or a list"),
    "encoding_format": ((str,), "a string"),
    "dimensions": ((int,), "an integer"),
    "user": ((str,), "a string"),
}


# One encoder for every response: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _dumps(payload: Any) -> bytes:
    return _ENCODE(payload).encode()


def _bad_request(message: str) -> HttpError:
    return HttpError(400, message, "invalid_request_error", "invalid_request")


def _check(payload: Any, fields: dict[str, tuple[tuple[type, ...], str]], what: str) -> None:
    """Refuse a body that is no object, lacks ``model`` or has a field of the wrong type,
    naming the field, before the request types turn it into a less helpful error."""
    if not isinstance(payload, dict):
        raise _bad_request(f"the {what} body must be a JSON object")
    for name, value in payload.items():  # the few fields a request sets, in its order
        spec = fields.get(name)
        if spec is None or value is None:
            continue
        kinds, description = spec
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise _bad_request(f"'{name}' must be {description}, not {type(value).__name__}")
    model = payload.get("model")
    if not model:
        raise _bad_request(f"'model' is required: the {what} names a pool or capability")


def _routed_headers(routed: Routed[Any] | RoutedStream) -> Headers:
    return [
        (b"x-modelmesh-model", routed.model_id.encode()),
        (b"x-modelmesh-provider", routed.provider_id.encode()),
        (b"x-modelmesh-attempts", str(routed.attempts).encode()),
        (b"x-modelmesh-pool", routed.pool_id.encode()),
    ]


async def _send_json(send: Send, status: int, body: bytes, headers: Headers) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _ClientLeft(Exception):
    """The client disconnected before its request body was complete: nobody to answer."""


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    parts = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientLeft
        parts.append(message.get("body", b""))
        size += len(parts[-1])
        if size > MAX_BODY_BYTES:
            raise HttpError(413, f"the request body exceeds {MAX_BODY_BYTES} bytes")
    return b"".join(parts)


def _json_body(body: bytes) -> Any:
    if not body:
        raise _bad_request("the request body is empty; send a JSON object")
    try:
        return json.loads(_text(body))
    except ValueError as exc:
        raise _bad_request(f"the request body is not valid JSON: {exc}") from None


def _text(body: bytes) -> str | bytes:
    """A JSON body as text: UTF-8, as JSON over a network is; anything else is left to
    ``json.loads`` to detect (it reads UTF-16 and UTF-32 too)."""
    try:
        return body.decode()
    except UnicodeDecodeError:
        return body


class ProxyApp:
    """The ASGI application over one running mesh.

    ``running`` and ``port`` are set by whoever serves it (ProxyServer); ``/health``
    reports them with the uptime and the number of requests answered.
    """

    def __init__(self, mesh: ModelMesh, settings: ProxySettings) -> None:
        self.mesh = mesh
        self.settings = settings
        self.port = settings.port
        self.running = True
        self.total_requests = 0
        self.created = int(time.time())
        self._started = time.monotonic()
        self._tokens = tuple(token.encode() for token in settings.tokens)
        self._origins = frozenset(origin.encode() for origin in settings.cors_origins)
        self._any_origin = b"*" in self._origins
        self._routes = {
            path: route for path, route in _ROUTES.items() if route[0] in settings.endpoints
        }
        self._models_detail = ProxyEndpoint.MODELS in settings.endpoints
        self._open_health = "/health" in self._routes

    def __repr__(self) -> str:
        return f"ProxyApp({self.settings!r})"

    def status(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "port": self.port,
            "uptime_seconds": round(time.monotonic() - self._started, 3),
            "total_requests": self.total_requests,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.total_requests += 1
        authorization = origin = None
        if self._tokens or self._origins:
            for name, value in scope["headers"]:
                if name == b"authorization":
                    authorization = value
                elif name == b"origin":
                    origin = value
        cors = self._cors(origin) if origin is not None else []
        try:
            await self._dispatch(scope, receive, send, authorization, origin, cors)
        except _ClientLeft:
            return
        except HttpError as error:
            await _send_json(send, error.status, error.body(), [*error.headers, *cors])
        except Exception as error:
            mapped = from_exception(error)
            if mapped is None:
                _log.exception("proxy request failed", path=scope["path"])
                mapped = HttpError(500, "internal error in the proxy", "server_error", "internal")
            else:
                _log.info("request not served", path=scope["path"], status=mapped.status)
            await _send_json(send, mapped.status, mapped.body(), cors)

    async def _dispatch(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        authorization: bytes | None,
        origin: bytes | None,
        cors: Headers,
    ) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        if method == "OPTIONS" and origin is not None and self._origins:
            await self._preflight(scope, send, cors)
            return
        if self._tokens and not (self._open_health and path == "/health"):
            self._authorize(authorization)
        route = self._routes.get(path)
        if route is None:
            if self._models_detail and path.startswith(_MODEL_PREFIX):
                route = (ProxyEndpoint.MODELS, "GET")
            else:
                raise HttpError(404, f"no endpoint at {path}", "invalid_request_error", "not_found")
        endpoint, allowed = route
        if method != allowed:
            raise HttpError(
                405,
                f"{path} answers {allowed}, not {method}",
                "invalid_request_error",
                "method_not_allowed",
                headers=((b"allow", allowed.encode()),),
            )
        if endpoint is ProxyEndpoint.CHAT_COMPLETIONS:
            await self._chat(receive, send, cors)
        elif endpoint is ProxyEndpoint.EMBEDDINGS:
            await self._embeddings(receive, send, cors)
        elif endpoint is ProxyEndpoint.MODELS:
            await self._models(path, send, cors)
        elif endpoint is ProxyEndpoint.METRICS:
            await self._metrics(send, cors)
        else:
            await _send_json(send, 200, _dumps(self.status()), cors)

    # --- access -----------------------------------------------------------------------

    def _authorize(self, authorization: bytes | None) -> None:
        """Every token is compared in constant time, so timing tells nothing about them."""
        given = b""
        if authorization is not None:
            scheme, _, value = authorization.partition(b" ")
            if scheme.lower() == b"bearer":
                given = value.strip()
        matched = False
        for token in self._tokens:
            matched |= hmac.compare_digest(given, token)
        if not matched:
            raise HttpError(
                401,
                "missing or invalid bearer token: send 'Authorization: Bearer <token>' "
                "with one of the proxy's tokens",
                "invalid_request_error",
                "invalid_api_key",
                headers=((b"www-authenticate", b"Bearer"),),
            )

    def _cors(self, origin: bytes) -> Headers:
        if not (self._any_origin or origin in self._origins):
            return []
        return [
            (b"access-control-allow-origin", b"*" if self._any_origin else origin),
            (b"access-control-expose-headers", _EXPOSED),
            (b"vary", b"origin"),
        ]

    async def _preflight(self, scope: Scope, send: Send, cors: Headers) -> None:
        if not cors:
            raise HttpError(403, "this origin may not call the proxy", code="origin_not_allowed")
        requested = b"authorization, content-type"
        for name, value in scope["headers"]:
            if name == b"access-control-request-headers":
                requested = value
        headers = [
            *cors,
            (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
            (b"access-control-allow-headers", requested),
            (b"access-control-max-age", b"600"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    # --- endpoints --------------------------------------------------------------------

    async def _chat(self, receive: Receive, send: Send, cors: Headers) -> None:
        payload = _json_body(await _read_body(receive))
        _check(payload, _CHAT_FIELDS, "chat completion request")
        messages = payload.get("messages")
        if not messages or not all(isinstance(m, dict) for m in messages):
            raise _bad_request("'messages' is required: a non-empty list of message objects")
        try:
            request = CompletionRequest.from_openai_payload(payload)
        except (TypeError, ValueError) as exc:
            raise _bad_request(f"invalid chat completion request: {exc}") from None
        router = self.mesh.get_router()
        if request.stream:
            await self._stream(await router.stream(request), receive, send, cors)
            return
        routed = await router.complete(request)
        body = _dumps(routed.value.to_openai_payload())
        await _send_json(send, 200, body, [*_routed_headers(routed), *cors])

    async def _stream(
        self, routed: RoutedStream, receive: Receive, send: Send, cors: Headers
    ) -> None:
        """Forward chunks as they come. A client that leaves cancels this task, and the
        routed stream is closed either way, so its upstream connection goes with it."""
        task = asyncio.current_task()
        assert task is not None
        left = finished = False

        async def watch() -> None:
            nonlocal left
            while (await receive())["type"] != "http.disconnect":
                pass
            if not finished:
                left = True
                task.cancel()

        watcher = asyncio.create_task(watch())
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*_SSE_HEADERS, *_routed_headers(routed), *cors],
                }
            )
            try:
                async for chunk in routed:
                    frame = b"data: " + _dumps(chunk.to_openai_payload()) + b"\n\n"
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
                tail = _DONE
            except Exception as error:
                mapped = from_exception(error)
                if mapped is None:
                    _log.exception("stream failed in the proxy", pool=routed.pool_id)
                    mapped = HttpError(500, "internal error in the proxy", "server_error")
                tail = b"data: " + error_body(mapped.message, mapped.type, mapped.code) + b"\n\n"
            finished = True
            await send({"type": "http.response.body", "body": tail})
        except asyncio.CancelledError:
            if not left:
                raise
            task.uncancel()
        finally:
            watcher.cancel()
            await routed.aclose()

    async def _embeddings(self, receive: Receive, send: Send, cors: Headers) -> None:
        payload = _json_body(await _read_body(receive))
        _check(payload, _EMBEDDING_FIELDS, "embeddings request")
        if not payload.get("input"):
            raise _bad_request("'input' is required: a string or a non-empty list")
        try:
            request = EmbeddingRequest.from_openai_payload(payload)
        except (TypeError, ValueError) as exc:
            raise _bad_request(f"invalid embeddings request: {exc}") from None
        routed = await self.mesh.get_router().embed(request)
        body = _dumps(routed.value.to_openai_payload())
        await _send_json(send, 200, body, [*_routed_headers(routed), *cors])

    async def _models(self, path: str, send: Send, cors: Headers) -> None:
        entries = [
            {"id": pool, "object": "model", "created": self.created, "owned_by": "modelmesh"}
            for pool in self.mesh.list_pools()
        ]
        if path == "/v1/models":
            await _send_json(send, 200, _dumps({"object": "list", "data": entries}), cors)
            return
        wanted = path[len(_MODEL_PREFIX) :]
        for entry in entries:
            if entry["id"] == wanted:
                await _send_json(send, 200, _dumps(entry), cors)
                return
        raise HttpError(404, f"no pool named {wanted!r}", code="model_not_found")

    async def _metrics(self, send: Send, cors: Headers) -> None:
        """The exposition of the first sink that offers one (MetricsExposition)."""
        source = _metrics_source(self.mesh)
        if source is None:
            raise HttpError(
                404,
                "no observability sink exposes metrics: configure one that does "
                "(modelmesh.prometheus.v1)",
                "invalid_request_error",
                "not_found",
            )
        content_type, body = source.exposition()
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
            *cors,
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _metrics_source(mesh: ModelMesh) -> MetricsExposition | None:
    """Looked up at each scrape, since a reload replaces the router and its sinks."""
    for connector in mesh.get_router().observer.connectors:
        if isinstance(connector, MetricsExposition):
            return connector
    return None


def create_app(mesh: ModelMesh, settings: ProxySettings) -> ProxyApp:
    """The ASGI app serving ``mesh`` (already initialized) as ``settings`` say."""
    return ProxyApp(mesh, settings)
