"""One long-lived HTTP client per connector, with Bearer auth, retries and SSE.

Every HTTP provider needs the same plumbing: a pooled client, the API key sent as a
Bearer token, transient failures (429, 500, 502, 503, dropped connections) retried
with backoff that honours Retry-After, and Server-Sent Events read as they arrive.
Sleeps go through ``self._clock`` so tests of the retry schedule never wait.

Requests go through the CDK's own HTTP/1.1 client (``modelmesh_cdk.http1``), which costs
about a third of aiohttp's CPU per call; on the success path no httpx object is built
(docs/cdk-http.md has the measurements). A URL the proxy environment sends through a
proxy goes through aiohttp, and a connector given an httpx transport
(``httpx.MockTransport`` in tests) sends through ``httpx.AsyncClient``. Every path
returns an ``HttpResponse`` and raises httpx's exceptions, so error classification reads
every failure alike.
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import json as jsonlib
import math
import ssl
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, NamedTuple, Protocol
from urllib.parse import urlencode

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from httpx_aiohttp import AiohttpTransport
from multidict import CIMultiDict
from yarl import URL

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh_cdk import __version__
from modelmesh_cdk.http1 import Http1Pool, Origin
from modelmesh_cdk.mixins.retry import additive_jitter, backoff_delay

__all__ = [
    "RETRYABLE_STATUS_CODES",
    "HttpClientMixin",
    "HttpResponse",
    "default_transport",
    "iter_sse_data",
    "parse_retry_after",
]

RETRYABLE_STATUS_CODES = frozenset({429, 500, 502, 503})


# aiohttp's errors and the httpx errors that say the same thing, most specific first.
_AIOHTTP_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientConnectionError, httpx.ReadError),
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # an unreadable answer
)
_AIOHTTP_FAILURES = (aiohttp.ClientError, TimeoutError)


def _transport_error(
    cause: BaseException, timeout: type[httpx.TimeoutException]
) -> httpx.TransportError:
    """The httpx error for aiohttp's ``cause``; a bare timeout becomes ``timeout``
    (ConnectTimeout while sending, ReadTimeout while reading a body)."""
    message = str(cause) or type(cause).__name__
    for aiohttp_error, httpx_error in _AIOHTTP_ERRORS:
        if isinstance(cause, aiohttp_error):
            return httpx_error(message)
    if isinstance(cause, TimeoutError):
        return timeout(message)
    return httpx.TransportError(message)


def _precise(error: httpx.TransportError) -> httpx.TransportError:
    """The httpx error matching the aiohttp error behind ``error``.

    httpx_aiohttp reports a refused or reset connection as ConnectTimeout, which would
    make a provider call a dead host slow rather than down.
    """
    cause = error.__cause__
    for aiohttp_error, httpx_error in _AIOHTTP_ERRORS:
        if isinstance(cause, aiohttp_error):
            return httpx_error(str(cause))
    return error


class _PreciseErrorStream(httpx.AsyncByteStream):
    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except httpx.TransportError as exc:
            raise _precise(exc) from exc.__cause__

    async def aclose(self) -> None:
        await self._stream.aclose()


class _AiohttpTransport(AiohttpTransport):
    """httpx_aiohttp's transport with errors that name what happened."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await super().handle_async_request(request)
        except httpx.TransportError as exc:
            raise _precise(exc) from exc.__cause__
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _PreciseErrorStream(response.stream)
        return response


@functools.cache
def _shared_ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle costs tens of milliseconds; every connector shares one."""
    return httpx.create_ssl_context()


def default_transport() -> httpx.AsyncBaseTransport:
    """An httpx transport over aiohttp, for code that wants httpx's own API.

    Connectors do not need it: without a ``transport`` the mixin talks to aiohttp
    directly. This one keeps httpx's API with errors that name what happened.
    """
    return _AiohttpTransport(verify=_shared_ssl_context())


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds asked for by a Retry-After header (delta-seconds or an HTTP date).

    None when the header is absent or unreadable; a date in the past means 0.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


async def iter_sse_data(response: HttpResponse | httpx.Response) -> AsyncIterator[str]:
    """The data of each Server-Sent Event in ``response``, yielded as its bytes arrive.

    Follows the event-stream rules: lines end in LF, CRLF or CR; ``data:`` with or
    without one following space; several data lines in one event are joined with
    newlines; comments and other fields are skipped; an event is complete at a blank
    line, and an unfinished one at the end of the stream is dropped.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buffer = ""
    data: list[str] = []
    first = True
    async for chunk in response.aiter_bytes():
        buffer += decoder.decode(chunk)
        if first and buffer:
            buffer = buffer.removeprefix("\ufeff")
            first = False
        lines, buffer = _split_complete_lines(buffer)
        for line in lines:
            if line:
                _collect_field(line, data)
            elif data:
                yield "\n".join(data)
                data = []
    if buffer == "\r" and data:  # the stream ended on the CR of a blank line
        yield "\n".join(data)


def _split_complete_lines(text: str) -> tuple[list[str], str]:
    """Complete lines and the unfinished rest; a trailing CR waits for a possible LF."""
    held = ""
    if text.endswith("\r"):
        text, held = text[:-1], "\r"  # maybe the first half of a CRLF split across reads
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1], lines[-1] + held


def _collect_field(line: str, data: list[str]) -> None:
    if line.startswith(":"):
        return
    name, colon, value = line.partition(":")
    if name == "data":
        data.append(value.removeprefix(" ") if colon else "")


class _ByteSource(Protocol):
    """A response body still to be read: its chunks as they arrive, and closing."""

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


_NOT_READ = object()
_STREAMED = object()


class HttpResponse:
    """A response from the mixin: status, headers, and the body read or still to come.

    ``headers`` is a case-insensitive mapping (a multidict, or httpx's under an injected
    transport). ``_http_request`` returns it with ``content`` read; ``_http_open_stream``
    hands it over unread, to be consumed with ``aiter_bytes()``.
    """

    __slots__ = (
        "_content",
        "_httpx",
        "_method",
        "_source",
        "_url",
        "headers",
        "reason_phrase",
        "status_code",
    )

    def __init__(
        self,
        status_code: int,
        headers: Mapping[str, str],
        content: Any,
        *,
        source: _ByteSource | None = None,
        method: str = "GET",
        url: Any = "",
        reason_phrase: str | None = None,
        httpx_response: httpx.Response | None = None,
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.reason_phrase = reason_phrase
        self._content = content
        self._source = source
        self._method = method
        self._url = url
        self._httpx = httpx_response

    def __repr__(self) -> str:
        return f"<HttpResponse [{self.status_code}]>"

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def content(self) -> bytes:
        """The body; a streamed response must be read first (``aread``)."""
        content = self._content
        if content is _NOT_READ or content is _STREAMED:
            raise httpx.ResponseNotRead()
        return content  # type: ignore[no-any-return]

    @property
    def text(self) -> str:
        """The body decoded with the charset the Content-Type names, UTF-8 otherwise."""
        charset = "utf-8"
        for parameter in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip("\"' ")
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self, **kwargs: Any) -> Any:
        content = self.content
        try:  # UTF-8, as JSON over a network is; json.loads detects anything else
            text: str | bytes = content.decode()
        except UnicodeDecodeError:
            text = content
        return jsonlib.loads(text, **kwargs)

    async def aread(self) -> bytes:
        """Read the rest of a streamed body (and keep it in ``content``)."""
        if self._content is _NOT_READ:
            self._content = b"".join([chunk async for chunk in self.aiter_bytes()])
        return self.content

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body's chunks, each as soon as it arrives. Failures while reading are
        httpx.TransportError subclasses (a cut is RemoteProtocolError, silence for
        longer than the timeout ReadTimeout)."""
        content = self._content
        if content is _STREAMED:
            raise httpx.StreamConsumed()
        if content is not _NOT_READ or self._source is None:
            if self.content:
                yield self.content
            return
        self._content = _STREAMED  # a body arrives once
        async for chunk in self._source.chunks():
            yield chunk

    async def aclose(self) -> None:
        """Give the connection back (or drop it, when the body was not read to its end)."""
        source, self._source = self._source, None
        if source is not None:
            await source.aclose()

    def raise_for_status(self) -> HttpResponse:
        """``self`` for a 2xx; otherwise raise httpx.HTTPStatusError, whose ``response``
        is an ``httpx.Response`` with this body and ``request`` the request sent."""
        if self.is_success:
            return self
        response = self._httpx
        if response is None:
            extensions = (
                {"reason_phrase": self.reason_phrase.encode()} if self.reason_phrase else None
            )
            response = httpx.Response(
                self.status_code,
                # The body is already decoded: a Content-Encoding would make httpx decode it again.
                headers=[
                    (k, v) for k, v in self.headers.items() if k.lower() != "content-encoding"
                ],
                content=self.content,
                request=httpx.Request(self._method, str(self._url)),
                extensions=extensions,
            )
        response.raise_for_status()
        raise AssertionError("unreachable: a non-2xx response raised above")


class _AiohttpBody:
    __slots__ = ("_response",)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except _AIOHTTP_FAILURES as exc:
            raise _transport_error(exc, httpx.ReadTimeout) from exc

    async def aclose(self) -> None:
        response = self._response
        if response.content.at_eof():
            response.release()
        else:
            response.close()  # a body left half-read: the connection cannot be reused


class _HttpxBody:
    __slots__ = ("_response",)

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    def chunks(self) -> AsyncIterator[bytes]:
        return self._response.aiter_bytes()

    async def aclose(self) -> None:
        await self._response.aclose()


_JSON_DUMPS = jsonlib.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_FORM = "application/x-www-form-urlencoded"
_NO_CONTENT_TYPE = frozenset({"Content-Type"})
_DEFAULT: Any = object()  # "the client's timeout" (None means no timeout at all)
_TARGET_CACHE_LIMIT = 512


def _encode_body(
    json: Any, content: bytes | str | None, data: Mapping[str, Any] | bytes | str | None
) -> tuple[bytes | None, str | None]:
    """The body encoded as httpx would, in httpx's order of precedence, and the
    Content-Type it calls for (None for raw content, which carries none)."""
    if content is None and isinstance(data, bytes | str):
        content, data = data, None
    if content is not None:
        return (content.encode() if isinstance(content, str) else content), None
    if data:
        return urlencode(_pairs(data)).encode(), _FORM
    if json is not None:
        return _JSON_DUMPS(json).encode(), "application/json"
    return None, None


def _form_value(value: Any) -> str:
    """httpx's way of writing a form or query value: JSON booleans, None as empty."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _pairs(values: Mapping[str, Any] | Any) -> list[tuple[str, str]]:
    """A mapping (lists and tuples for repeated keys) or a sequence of pairs, as pairs."""
    items = values.items() if isinstance(values, Mapping) else values
    pairs = []
    for key, value in items:
        if isinstance(value, list | tuple):
            pairs.extend((str(key), _form_value(item)) for item in value)
        else:
            pairs.append((str(key), _form_value(value)))
    return pairs


def _join(base_url: str, path: str) -> str:
    """``path`` below ``base_url``, as httpx joins them; an absolute URL stays as is."""
    if "://" in path.partition("?")[0]:
        return path
    return f"{base_url}/{path.lstrip('/')}"


def _client_timeout(seconds: float | httpx.Timeout | None) -> aiohttp.ClientTimeout:
    """``seconds`` for connecting, for each socket read and for the wait for a pooled
    connection; no bound on the whole request (a stream may run long)."""
    if isinstance(seconds, httpx.Timeout):
        return aiohttp.ClientTimeout(
            total=None, connect=seconds.pool, sock_connect=seconds.connect, sock_read=seconds.read
        )
    return aiohttp.ClientTimeout(
        total=None, connect=seconds, sock_connect=seconds, sock_read=seconds
    )


def _timeout_key(seconds: float | httpx.Timeout | None) -> Any:
    """A hashable stand-in for a timeout (httpx.Timeout is not hashable)."""
    if isinstance(seconds, httpx.Timeout):
        return (seconds.connect, seconds.read, seconds.write, seconds.pool)
    return seconds


class _AiohttpSender:
    """Sends one request through a pooled aiohttp session, with no httpx objects: the
    path for URLs the proxy environment sends through a proxy.

    The session is made at the first request, inside the running event loop (aiohttp
    sessions belong to one loop). Per path the URL and its proxy are worked out once.
    Proxies come from HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read when a URL is first
    used (aiohttp's own ``trust_env`` would look them up again in a worker thread for
    every request, and would add ``.netrc`` credentials next to the Bearer header).
    """

    def __init__(
        self, base_url: str, timeout: float | None, headers: Mapping[str, str] | None
    ) -> None:
        self._base_url = base_url
        self._headers = CIMultiDict(headers or {})
        self._auth_in_defaults = "Authorization" in self._headers
        self._type_in_defaults = "Content-Type" in self._headers
        self._timeout = _client_timeout(timeout)
        self._timeouts: dict[Any, aiohttp.ClientTimeout] = {}
        self._session: aiohttp.ClientSession | None = None
        self._targets: dict[str, tuple[URL, URL | None, aiohttp.BasicAuth | None]] = {}
        self._bearer: tuple[str, CIMultiDict[str]] | None = None

    def _open(self) -> aiohttp.ClientSession:
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=_shared_ssl_context(), limit=100),
            headers=self._headers,
            timeout=self._timeout,
        )
        return self._session

    def _target(self, path: str) -> tuple[URL, URL | None, aiohttp.BasicAuth | None]:
        url = URL(_join(self._base_url, path))
        try:
            proxy, proxy_auth = get_env_proxy_for_url(url)
        except LookupError:
            proxy, proxy_auth = None, None
        if len(self._targets) >= _TARGET_CACHE_LIMIT:
            self._targets.clear()
        target = self._targets[path] = (url, proxy, proxy_auth)
        return target

    def _auth_headers(self, token: str) -> CIMultiDict[str]:
        bearer = self._bearer
        if bearer is None or bearer[0] != token:
            bearer = self._bearer = (token, CIMultiDict(Authorization=f"Bearer {token}"))
        return bearer[1]

    async def send(
        self,
        method: str,
        path: str,
        token: str | None,
        stream: bool,
        *,
        json: Any = None,
        content: bytes | str | None = None,
        data: Mapping[str, Any] | bytes | str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Any = _DEFAULT,
    ) -> HttpResponse:
        session = self._session or self._open()
        target = self._targets.get(path) or self._target(path)
        url, proxy, proxy_auth = target
        if params:
            url = url.extend_query(_pairs(params))
        if headers:
            sent: CIMultiDict[str] | None = CIMultiDict(headers)
            if token and not self._auth_in_defaults and "Authorization" not in sent:  # type: ignore[operator]
                sent["Authorization"] = f"Bearer {token}"  # type: ignore[index]
        elif token and not self._auth_in_defaults:
            sent = self._auth_headers(token)
        else:
            sent = None
        options: dict[str, Any] = {}
        body, content_type = _encode_body(json, content, data)
        if (
            body is not None
            and not self._type_in_defaults
            and (sent is None or "Content-Type" not in sent)
        ):
            if content_type is None:
                options["skip_auto_headers"] = _NO_CONTENT_TYPE  # raw bytes carry no type
            else:
                sent = CIMultiDict(sent or ())
                sent["Content-Type"] = content_type
        if timeout is not _DEFAULT:
            key = _timeout_key(timeout)
            options["timeout"] = self._timeouts.get(key) or self._timeouts.setdefault(
                key, _client_timeout(timeout)
            )
        if proxy is not None:
            options["proxy"] = proxy
            options["proxy_auth"] = proxy_auth
        try:
            response = await session.request(
                method, url, headers=sent, data=body, allow_redirects=False, **options
            )
        except _AIOHTTP_FAILURES as exc:
            raise _transport_error(exc, httpx.ConnectTimeout) from exc
        status = response.status
        if stream and 200 <= status < 300:
            return HttpResponse(
                status,
                response.headers,
                _NOT_READ,
                source=_AiohttpBody(response),
                method=method,
                url=url,
                reason_phrase=response.reason,
            )
        try:
            body = await response.read()
        except _AIOHTTP_FAILURES as exc:
            response.close()
            raise _transport_error(exc, httpx.ReadTimeout) from exc
        response.release()
        return HttpResponse(
            status, response.headers, body, method=method, url=url, reason_phrase=response.reason
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _Timeouts(NamedTuple):
    """Seconds for each socket read, for connecting and for a free pooled connection."""

    read: float | None
    connect: float | None
    pool: float | None

    @classmethod
    def of(cls, seconds: float | httpx.Timeout | None) -> _Timeouts:
        if isinstance(seconds, httpx.Timeout):
            return cls(seconds.read, seconds.connect, seconds.pool)
        return cls(seconds, seconds, seconds)


class _Target(NamedTuple):
    """A path resolved once: where it goes, and the request's start up to its own lines."""

    url: URL
    origin: Origin
    request_target: bytes
    host_line: bytes
    proxied: bool


_USER_AGENT = f"modelmesh-cdk/{__version__}"
# Added unless the default headers set them; Host and Content-Length always are.
_AUTOMATIC_HEADERS = (
    ("User-Agent", _USER_AGENT),
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip, deflate"),
)
# Methods that always carry a Content-Length, 0 when they have no body.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _header_lines(headers: Iterable[tuple[str, str]]) -> bytes:
    """Headers as lines on the wire; a line break in one would start a header of its
    own (header injection), so it is refused, naming the header but not its value."""
    lines = []
    for name, value in headers:
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise ValueError(
                f"HTTP header {name!r} holds a line break or colon; check where its "
                "value comes from (a secret read with its trailing newline, say)"
            )
        lines.append(f"{name}: {value}\r\n".encode())
    return b"".join(lines)


class _Http1Sender:
    """Sends through the CDK's own HTTP/1.1 client (``modelmesh_cdk.http1``).

    Per path, the URL, its origin and the start of the request (Host, default and
    automatic headers) are worked out once, so a request is a few byte joins. A URL
    the proxy environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, read when a path is first
    used) sends through a proxy goes through aiohttp instead, which speaks to proxies.
    """

    def __init__(
        self, base_url: str, timeout: float | None, headers: Mapping[str, str] | None
    ) -> None:
        self._base_url = base_url
        self._headers = CIMultiDict(headers or {})
        self._auth_in_defaults = "Authorization" in self._headers
        self._type_in_defaults = "Content-Type" in self._headers
        self._default_block = _header_lines(
            [*self._headers.items()]
            + [(name, value) for name, value in _AUTOMATIC_HEADERS if name not in self._headers]
        )
        # Defaults that replace what each request computes take the merging path.
        self._merge_always = "Host" in self._headers or "Content-Length" in self._headers
        self._timeouts = _Timeouts.of(timeout)
        self._other_timeouts: dict[Any, _Timeouts] = {}
        self._pool: Http1Pool | None = None
        self._closed = False
        self._proxied = _AiohttpSender(base_url, timeout, headers)
        self._targets: dict[str, _Target] = {}
        self._bearer: tuple[str, bytes] = ("", b"")

    def _target(self, path: str) -> _Target:
        url = URL(_join(self._base_url, path))
        if url.scheme not in ("http", "https") or not url.host:
            raise httpx.UnsupportedProtocol(
                f"cannot send to {url.scheme or 'a URL with no scheme'}:// URLs "
                f"({path!r} below {self._base_url!r}); use http:// or https://"
            )
        try:
            get_env_proxy_for_url(url)
            proxied = True
        except LookupError:
            proxied = False
        if len(self._targets) >= _TARGET_CACHE_LIMIT:
            self._targets.clear()
        target = self._targets[path] = _Target(
            url,
            (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)),
            url.raw_path_qs.encode(),
            f"Host: {url.host_port_subcomponent}\r\n".encode(),
            proxied,
        )
        return target

    def _auth_line(self, token: str) -> bytes:
        if self._bearer[0] != token:
            self._bearer = (token, _header_lines([("Authorization", f"Bearer {token}")]))
        return self._bearer[1]

    def _block(
        self,
        target: _Target,
        headers: Mapping[str, str],
        token: str | None,
        content_type: str | None,
    ) -> bytes:
        """The header lines when the request brings headers of its own, which replace
        default and automatic ones of the same name (in any case)."""
        merged = CIMultiDict(self._headers)
        for name, value in _AUTOMATIC_HEADERS:
            merged.setdefault(name, value)
        merged.update(headers)
        if token and "Authorization" not in merged:
            merged["Authorization"] = f"Bearer {token}"
        if content_type and "Content-Type" not in merged:
            merged["Content-Type"] = content_type
        merged.popall("Content-Length", None)  # the body's own length is sent
        host = merged.popall("Host", None)
        host_line = _header_lines([("Host", host[-1])]) if host else target.host_line
        return host_line + _header_lines(merged.items())

    async def send(
        self,
        method: str,
        path: str,
        token: str | None,
        stream: bool,
        *,
        json: Any = None,
        content: bytes | str | None = None,
        data: Mapping[str, Any] | bytes | str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Any = _DEFAULT,
    ) -> HttpResponse:
        target = self._targets.get(path) or self._target(path)
        if target.proxied:
            return await self._proxied.send(
                method,
                path,
                token,
                stream,
                json=json,
                content=content,
                data=data,
                params=params,
                headers=headers,
                timeout=timeout,
            )
        body, content_type = _encode_body(json, content, data)
        url, request_target = target.url, target.request_target
        if params:
            url = url.extend_query(_pairs(params))
            request_target = url.raw_path_qs.encode()
        if headers or self._merge_always:
            lines = [self._block(target, headers or {}, token, content_type)]
        else:
            lines = [target.host_line, self._default_block]
            if token and not self._auth_in_defaults:
                lines.append(self._auth_line(token))
            if content_type is not None and not self._type_in_defaults:
                lines.append(b"Content-Type: %s\r\n" % content_type.encode())
        if body is not None:
            lines.append(b"Content-Length: %d\r\n\r\n" % len(body))
            lines.append(body)
        elif method in _BODY_METHODS:
            lines.append(b"Content-Length: 0\r\n\r\n")
        else:
            lines.append(b"\r\n")
        request = b"%s %s HTTP/1.1\r\n" % (method.encode(), request_target) + b"".join(lines)
        if timeout is _DEFAULT:
            timeouts = self._timeouts
        else:
            key = _timeout_key(timeout)
            timeouts = self._other_timeouts.get(key) or self._other_timeouts.setdefault(
                key, _Timeouts.of(timeout)
            )
        pool = self._pool or self._open()
        response = await pool.request(
            target.origin,
            request,
            stream=stream,
            head_only=method == "HEAD",
            read_timeout=timeouts.read,
            connect_timeout=timeouts.connect,
            pool_timeout=timeouts.pool,
        )
        status = response.status
        if stream and 200 <= status < 300:
            return HttpResponse(
                status,
                response.headers,
                _NOT_READ,
                source=response,
                method=method,
                url=url,
                reason_phrase=response.reason,
            )
        content = response.body if response.body is not None else await response.read()
        return HttpResponse(
            status, response.headers, content, method=method, url=url, reason_phrase=response.reason
        )

    def _open(self) -> Http1Pool:
        if self._closed:
            raise RuntimeError("this HTTP client is closed; make a new one")
        self._pool = Http1Pool(_shared_ssl_context, limit=100)
        return self._pool

    async def aclose(self) -> None:
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.aclose()
        await self._proxied.aclose()


class _HttpxSender:
    """Sends one request through ``httpx.AsyncClient`` over an injected transport."""

    def __init__(
        self,
        base_url: str,
        timeout: float | None,
        headers: Mapping[str, str] | None,
        transport: httpx.AsyncBaseTransport,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout),
            headers=dict(headers or {}),
            transport=transport,
        )

    async def send(
        self, method: str, path: str, token: str | None, stream: bool, **kwargs: Any
    ) -> HttpResponse:
        client = self._client
        request = client.build_request(method, path, **kwargs)
        if token and "authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {token}"
        response = await client.send(request, stream=stream)
        if stream and response.is_success:
            return HttpResponse(
                response.status_code,
                response.headers,
                _NOT_READ,
                source=_HttpxBody(response),
                httpx_response=response,
            )
        if stream:
            try:
                await response.aread()
            finally:
                await response.aclose()
        return HttpResponse(
            response.status_code, response.headers, response.content, httpx_response=response
        )

    async def aclose(self) -> None:
        await self._client.aclose()


class HttpClientMixin:
    """A pooled HTTP client with Bearer auth, retries and SSE streaming.

    Call ``_init_http_client`` once (usually in ``__init__``), set ``_http_auth_token``
    to send ``Authorization: Bearer <token>``, and ``await _close_http_client()`` when
    done. Requests that fail with a status in ``RETRYABLE_STATUS_CODES`` or with a
    transport error (refused, reset, timed out) are retried up to ``max_retries`` times,
    waiting ``2**attempt`` seconds plus up to 0.5 s of jitter (at most
    ``_http_max_delay``), or what Retry-After asks for. A Retry-After longer than
    ``_http_max_delay`` ends the retries at once: waiting that long inside a call
    helps nobody, and the caller can try elsewhere.
    """

    RETRYABLE_STATUS_CODES: frozenset[int] = RETRYABLE_STATUS_CODES
    _http_client: _Http1Sender | _HttpxSender | None = None
    _http_base_url: str = ""
    _http_max_retries: int = 3
    _http_max_delay: float = 30.0
    _http_auth_token: str | None = None
    _clock: Clock = SYSTEM_CLOCK

    def _init_http_client(
        self,
        base_url: str,
        timeout: float | None = 30.0,
        max_retries: int = 3,
        headers: Mapping[str, str] | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """Create the client: ``timeout`` seconds bound connecting, each read and the
        wait for a pooled connection (None: no bound); ``max_retries=0`` means one
        attempt; ``headers`` go with every request; with ``transport`` (an
        ``httpx.MockTransport`` in tests, for instance) requests go through
        ``httpx.AsyncClient`` on it instead of straight to aiohttp."""
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
        self._http_base_url = base_url.rstrip("/")
        self._http_max_retries = max_retries
        if transport is None:
            self._http_client = _Http1Sender(self._http_base_url, timeout, headers)
        else:
            self._http_client = _HttpxSender(self._http_base_url, timeout, headers, transport)

    async def _http_get(self, path: str, **kwargs: Any) -> Any:
        """GET ``path`` and return the parsed JSON body (None for an empty body)."""
        return _json(await self._http_request("GET", path, **kwargs))

    async def _http_post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """POST ``json`` to ``path`` and return the parsed JSON body (None when empty)."""
        return _json(await self._http_request("POST", path, json=json, **kwargs))

    async def _http_stream(self, path: str, json: Any = None, **kwargs: Any) -> AsyncIterator[str]:
        """POST ``json`` to ``path`` and yield each SSE data payload as it arrives,
        ``[DONE]`` included."""
        async with self._http_open_stream("POST", path, json=json, **kwargs) as response:
            async for data in iter_sse_data(response):
                yield data

    async def _close_http_client(self) -> None:
        """Close the client and its pooled connections; safe to call twice."""
        if self._http_client is not None:
            client, self._http_client = self._http_client, None
            await client.aclose()

    async def _http_request(self, method: str, path: str, **kwargs: Any) -> HttpResponse:
        """Send with retries; the final 2xx response, body read.

        Keyword arguments: ``json``, ``content`` (bytes or str), ``data`` (a form),
        ``params``, ``headers``, ``timeout``. Raises httpx.HTTPStatusError (its
        ``response`` is the last one, body read) or httpx.TransportError when the
        retries are spent or the failure is not transient.
        """
        return await self._http_send(method, path, False, kwargs)

    @asynccontextmanager
    async def _http_open_stream(
        self, method: str, path: str, **kwargs: Any
    ) -> AsyncIterator[HttpResponse]:
        """The response of a streamed request once its status is known to be 2xx.

        Opening is retried like ``_http_request``; the body is left unread so the
        caller can look at headers first and then iterate. Errors raise
        httpx.HTTPStatusError with the error body read.
        """
        response = await self._http_send(method, path, True, kwargs)
        try:
            yield response
        finally:
            await response.aclose()

    async def _http_send(
        self, method: str, path: str, stream: bool, kwargs: dict[str, Any]
    ) -> HttpResponse:
        """The retry loop, the same whichever way requests are sent."""
        client = self._http_client
        if client is None:
            raise RuntimeError(
                f"{type(self).__name__}: call _init_http_client before sending requests"
            )
        attempt = 0
        while True:
            last_attempt = attempt >= self._http_max_retries
            try:
                # The token is read at each attempt, so a key rotated meanwhile is sent.
                response = await client.send(method, path, self._http_auth_token, stream, **kwargs)
            except httpx.TransportError:
                if last_attempt:
                    raise
                delay = self._http_backoff(attempt)
            else:
                if 200 <= response.status_code < 300:
                    return response
                asked = parse_retry_after(response.headers.get("retry-after"), self._clock.now())
                if (
                    last_attempt
                    or response.status_code not in self.RETRYABLE_STATUS_CODES
                    or (asked is not None and asked > self._http_max_delay)
                ):
                    response.raise_for_status()
                delay = asked if asked is not None else self._http_backoff(attempt)
            await self._clock.sleep(delay)
            attempt += 1

    def _http_backoff(self, attempt: int) -> float:
        """``2**attempt`` seconds plus U[0, 0.5) jitter, at most ``_http_max_delay``."""
        return backoff_delay(attempt, max_delay=self._http_max_delay, jitter=additive_jitter)


def _json(response: HttpResponse) -> Any:
    content = response.content
    return jsonlib.loads(content) if content else None
