"""How the HTTP client mixin sends a request: three senders with one ``send`` method.

``Http1Sender`` is the default, on the CDK's own HTTP/1.1 client (``modelmesh_cdk.http1``);
it hands URLs the proxy environment sends through a proxy to ``AiohttpSender``, and
``HttpxSender`` serves connectors given an httpx transport. Each returns an
``HttpResponse`` and raises httpx's exceptions, so the mixin's retry loop and error
classification read every path alike.
"""

from __future__ import annotations

import functools
import json as jsonlib
import ssl
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

import aiohttp
import httpx
from aiohttp.helpers import get_env_proxy_for_url
from multidict import CIMultiDict
from yarl import URL

from modelmesh_cdk import __version__
from modelmesh_cdk.http1 import Http1Pool, Origin
from modelmesh_cdk.http_response import NOT_READ, HttpResponse

__all__ = ["AIOHTTP_ERRORS", "AiohttpSender", "Http1Sender", "HttpxSender", "shared_ssl_context"]

# aiohttp's errors and the httpx errors that say the same thing, most specific first.
AIOHTTP_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
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
    for aiohttp_error, httpx_error in AIOHTTP_ERRORS:
        if isinstance(cause, aiohttp_error):
            return httpx_error(message)
    if isinstance(cause, TimeoutError):
        return timeout(message)
    return httpx.TransportError(message)


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """Loading the CA bundle costs tens of milliseconds; every connector shares one."""
    return httpx.create_ssl_context()


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


def _client_timeout(seconds: float | httpx.Timeout | None) -> aiohttp.ClientTimeout:
    """A timeout's bounds (``_Timeouts``) as aiohttp takes them, its ``connect`` being
    the wait for a pooled connection; no bound on the whole request (a stream may run
    long)."""
    bounds = _Timeouts.of(seconds)
    return aiohttp.ClientTimeout(
        total=None, connect=bounds.pool, sock_connect=bounds.connect, sock_read=bounds.read
    )


def _timeout_key(seconds: float | httpx.Timeout | None) -> Any:
    """A hashable stand-in for a timeout (httpx.Timeout is not hashable)."""
    if isinstance(seconds, httpx.Timeout):
        return (seconds.connect, seconds.read, seconds.write, seconds.pool)
    return seconds


class AiohttpSender:
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
            connector=aiohttp.TCPConnector(ssl=shared_ssl_context(), limit=100),
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
                NOT_READ,
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


class Http1Sender:
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
        self._proxied = AiohttpSender(base_url, timeout, headers)
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
        # The request in one join: a large body is copied once.
        lines = [b"%s %s HTTP/1.1\r\n" % (method.encode(), request_target)]
        if headers or self._merge_always:
            lines.append(self._block(target, headers or {}, token, content_type))
        else:
            lines += (target.host_line, self._default_block)
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
        request = b"".join(lines)
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
                NOT_READ,
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
        self._pool = Http1Pool(shared_ssl_context, limit=100)
        return self._pool

    async def aclose(self) -> None:
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.aclose()
        await self._proxied.aclose()


class HttpxSender:
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
                NOT_READ,
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
