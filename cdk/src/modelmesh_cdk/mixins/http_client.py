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
import json as jsonlib
import math
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
from httpx_aiohttp import AiohttpTransport

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh_cdk.http_response import HttpResponse
from modelmesh_cdk.http_senders import AIOHTTP_ERRORS, Http1Sender, HttpxSender, shared_ssl_context
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


def _precise(error: httpx.TransportError) -> httpx.TransportError:
    """The httpx error matching the aiohttp error behind ``error``.

    httpx_aiohttp reports a refused or reset connection as ConnectTimeout, which would
    make a provider call a dead host slow rather than down.
    """
    cause = error.__cause__
    for aiohttp_error, httpx_error in AIOHTTP_ERRORS:
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


def default_transport() -> httpx.AsyncBaseTransport:
    """An httpx transport over aiohttp, for code that wants httpx's own API.

    Connectors do not need it: without a ``transport`` the mixin sends through the
    CDK's own HTTP/1.1 client. This one keeps httpx's API with errors that name what
    happened.
    """
    return _AiohttpTransport(verify=shared_ssl_context())


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
    _http_client: Http1Sender | HttpxSender | None = None
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
        ``httpx.AsyncClient`` on it instead of the CDK's HTTP/1.1 client."""
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, not {max_retries}")
        self._http_base_url = base_url.rstrip("/")
        self._http_max_retries = max_retries
        if transport is None:
            self._http_client = Http1Sender(self._http_base_url, timeout, headers)
        else:
            self._http_client = HttpxSender(self._http_base_url, timeout, headers, transport)

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
