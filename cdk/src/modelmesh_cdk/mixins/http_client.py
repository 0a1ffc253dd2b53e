"""One long-lived HTTP client per connector, with Bearer auth, retries and SSE.

Every HTTP provider needs the same plumbing: a pooled client, the API key sent as a
Bearer token, transient failures (429, 500, 502, 503, dropped connections) retried
with backoff that honours Retry-After, and Server-Sent Events read as they arrive.
Sleeps go through ``self._clock`` so tests of the retry schedule never wait.
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import math
import ssl
from collections.abc import AsyncIterator, Generator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh_cdk.mixins.retry import additive_jitter, backoff_delay

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
)


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
    """The transport a connector's client uses unless it is given one.

    httpx's API over aiohttp's connection handling: several times the throughput of
    httpx's own transport under concurrency (docs/cdk-http.md has the measurements).
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


async def iter_sse_data(response: httpx.Response) -> AsyncIterator[str]:
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


class _BearerFromAttribute(httpx.Auth):
    """Reads the connector's token at every request, so a rotated key is used at once."""

    def __init__(self, owner: HttpClientMixin) -> None:
        self._owner = owner

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._owner._http_auth_token
        if token and "authorization" not in request.headers:
            request.headers["Authorization"] = f"Bearer {token}"
        yield request


class HttpClientMixin:
    """A pooled ``httpx.AsyncClient`` with Bearer auth, retries and SSE streaming.

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
    _http_client: httpx.AsyncClient | None = None
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
        """Create the client: ``timeout`` seconds bound connecting, each read, each
        write and waiting for a pooled connection; ``max_retries=0`` means one attempt;
        ``headers`` go with every request; ``transport`` replaces ``default_transport()``
        (an ``httpx.MockTransport`` in tests, for instance)."""
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
        self._http_base_url = base_url.rstrip("/")
        self._http_max_retries = max_retries
        self._http_client = httpx.AsyncClient(
            base_url=self._http_base_url,
            timeout=httpx.Timeout(timeout),
            headers=dict(headers or {}),
            auth=_BearerFromAttribute(self),
            transport=transport if transport is not None else default_transport(),
        )

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

    async def _http_request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with retries; the final 2xx response, body read.

        Raises httpx.HTTPStatusError (its ``response`` is the last one, body read) or
        httpx.TransportError when the retries are spent or the failure is not transient.
        """
        return await self._http_send(method, path, stream=False, **kwargs)

    @asynccontextmanager
    async def _http_open_stream(
        self, method: str, path: str, **kwargs: Any
    ) -> AsyncIterator[httpx.Response]:
        """The response of a streamed request once its status is known to be 2xx.

        Opening is retried like ``_http_request``; the body is left unread so the
        caller can look at headers first and then iterate. Errors raise
        httpx.HTTPStatusError with the error body read.
        """
        response = await self._http_send(method, path, stream=True, **kwargs)
        try:
            yield response
        finally:
            await response.aclose()

    async def _http_send(
        self, method: str, path: str, *, stream: bool, **kwargs: Any
    ) -> httpx.Response:
        if self._http_client is None:
            raise RuntimeError(
                f"{type(self).__name__}: call _init_http_client before sending requests"
            )
        client = self._http_client
        send_options = {k: kwargs.pop(k) for k in ("auth", "follow_redirects") if k in kwargs}
        attempt = 0
        while True:
            # Built afresh for each attempt, so a key rotated meanwhile is the one sent.
            request = client.build_request(method, path, **kwargs)
            last_attempt = attempt >= self._http_max_retries
            try:
                response = await client.send(request, stream=stream, **send_options)
            except httpx.TransportError:
                if last_attempt:
                    raise
                delay = self._http_backoff(attempt)
            else:
                if response.is_success:
                    return response
                await response.aread()
                await response.aclose()
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


def _json(response: httpx.Response) -> Any:
    return response.json() if response.content else None
