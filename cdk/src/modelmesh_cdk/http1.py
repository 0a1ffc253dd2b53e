"""A lean HTTP/1.1 client for provider calls: asyncio protocols and llhttp (httptools).

A general client spends most of a small JSON call on features a provider call never
uses (cookies, redirects, tracing hooks, multipart, request objects layered on request
objects); aiohttp needs about 300 µs of CPU for one. This client does only what the
connectors send: a request written in one piece on a pooled keep-alive connection,
the response parsed in C by llhttp, the body read whole or streamed with flow control,
gzip and deflate bodies decoded, and every failure raised as the httpx exception that
names it, so error classification reads it like any other transport. It needs about
a third of aiohttp's CPU per call (docs/cdk-http.md).

What it leaves out, callers route elsewhere: ``HttpClientMixin`` sends through aiohttp
any URL that the proxy environment sends through a proxy.
"""

from __future__ import annotations

import asyncio
import ssl
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import httptools
import httpx
from multidict import CIMultiDict

__all__ = ["KEEPALIVE_SECONDS", "Http1Pool", "Http1Response", "Origin"]

Origin = tuple[str, str, int]
"""Where a connection goes: scheme, host and port."""

KEEPALIVE_SECONDS = 15.0
"""How long an idle connection is kept for reuse; servers close theirs after 5 to 75 s,
and a connection they closed first costs the request that finds it a transport error."""

# Bytes of a streamed body received but not yet consumed before reading pauses.
_HIGH_WATER = 256 * 1024
_LOW_WATER = 64 * 1024


class Http1Response:
    """One response: status, reason, headers, and the body read whole or still streaming.

    A streamed response (``body`` None) must be read with ``chunks()`` and then closed
    with ``aclose()``, which gives its connection back or drops it.
    """

    __slots__ = ("_connection", "body", "headers", "reason", "status")

    def __init__(
        self,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        body: bytes | None,
        connection: _Connection | None = None,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self._connection = connection

    def chunks(self) -> AsyncIterator[bytes]:
        """The body's chunks as they arrive; a cut is RemoteProtocolError, silence for
        longer than the read timeout ReadTimeout."""
        if self._connection is None:
            raise RuntimeError("this response was read whole; its body is in .body")
        return self._connection.chunks()

    async def read(self) -> bytes:
        """The rest of a streamed body, joined; the connection is then given back."""
        if self.body is None:
            self.body = b"".join([chunk async for chunk in self.chunks()])
            await self.aclose()
        return self.body

    async def aclose(self) -> None:
        """Give the connection back if the body was read to its end, else drop it."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.finish()


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one exchange at a time.

    llhttp calls the ``on_*`` methods while ``data_received`` feeds it. A whole
    response completes ``_answer`` at its end; a streamed one at its headers, and its
    body then collects in ``_chunks`` for ``chunks()``.
    """

    def __init__(self, pool: Http1Pool, origin: Origin) -> None:
        self.pool = pool
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.released_at = 0.0
        self.closed = False
        self._loop = pool.loop
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[Http1Response] | None = None
        self._stream = False
        self._head_only = False
        self._informational = False
        self._reason = b""
        self._raw_headers: list[tuple[str, str]] = []
        self._headers: CIMultiDict[str] | None = None
        self._body: list[bytes] = []
        self._decoder: Any = None
        self._complete = False
        self._keep_alive = False
        self._error: BaseException | None = None
        # A streamed body not yet consumed, and the consumer waiting for more of it.
        self._chunks: deque[bytes] = deque()
        self._queued = 0
        self._paused = False
        self._wakeup: asyncio.Future[None] | None = None
        # The read timeout: seconds of silence allowed, and when data last arrived.
        self._silence: float | None = None
        self._last_read = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # --- asyncio -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._answer is None:  # nothing asked: a server talking out of turn
            self.close()
            return
        if self._silence is not None:
            self._last_read = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(httpx.RemoteProtocolError("the server switched protocols unasked"))
        except httptools.HttpParserCallbackError as exc:  # raised in an on_* method
            cause = exc.__context__
            if isinstance(cause, _OutOfTurn):  # parsing stopped there; the answer stands
                self.close()
            elif isinstance(cause, httpx.TransportError):
                self._fail(cause)
            elif isinstance(cause, zlib.error):
                self._fail(httpx.RemoteProtocolError(f"invalid compressed body: {cause}"))
            else:
                self._fail(httpx.RemoteProtocolError(f"invalid response: {cause or exc}"))
        except httptools.HttpParserError as exc:
            self._fail(httpx.RemoteProtocolError(f"invalid HTTP response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.pool.forget(self)
        if self._answer is None or self._complete:
            return
        headers = self._headers
        if (
            headers is not None
            and "content-length" not in headers
            and "transfer-encoding" not in headers
        ):  # a body that ends where the connection does
            self._keep_alive = False
            try:
                self.on_message_complete()
            except httpx.RemoteProtocolError as error:
                self._fail(error)
            return
        said = "the response was complete" if headers is not None else "sending a response"
        self._fail(httpx.RemoteProtocolError(f"the server closed the connection before {said}"))

    # --- llhttp ------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._answer is None or self._complete:  # a second answer to one request
            raise _OutOfTurn
        self._reason = b""
        self._raw_headers = []

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_headers.append((name.decode("latin-1"), value.decode("utf-8", "surrogateescape")))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:  # 100 Continue and friends come before the answer
            self._informational = True
            return
        headers = self._headers = CIMultiDict(self._raw_headers)
        encoding = headers.get("content-encoding")
        if encoding is not None:
            self._decoder = _decoder(encoding)
        reason = self._reason.decode("latin-1")
        if self._head_only:  # a HEAD answer has no body, whatever its headers say
            self._settle(Http1Response(status, reason, headers, b""))
            self.finish()
        elif self._stream:
            self._settle(Http1Response(status, reason, headers, None, self))

    def on_body(self, data: bytes) -> None:
        if self._informational or self._head_only:
            return
        if self._decoder is not None:
            data = self._decoder.decompress(data)
            if not data:
                return
        if not self._stream:
            self._body.append(data)
            return
        self._chunks.append(data)
        self._queued += len(data)
        if self._queued > _HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        if self._head_only:
            return
        tail = _tail(self._decoder) if self._decoder is not None else b""
        self._complete = True
        self._stop_timer()
        if self._parser.should_keep_alive() and not self.closed:
            self._keep_alive = True
        if self._stream:
            if tail:
                self._chunks.append(tail)
                self._queued += len(tail)
            self._wake()
            return
        if tail:
            self._body.append(tail)
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        assert self._headers is not None
        self._settle(
            Http1Response(
                self._parser.get_status_code(),
                self._reason.decode("latin-1"),
                self._headers,
                body,
            )
        )
        self.finish()

    # --- exchanges ---------------------------------------------------------------------

    def send(
        self, data: bytes, *, stream: bool, head_only: bool, read_timeout: float | None
    ) -> asyncio.Future[Http1Response]:
        """Write one request; the future gets the response (its headers, for a stream)."""
        self._answer = answer = self._loop.create_future()
        self._stream = stream
        self._head_only = head_only
        self._headers = None
        self._decoder = None
        self._complete = self._keep_alive = False
        if self._body:
            self._body = []
        if read_timeout is not None:
            self._silence = read_timeout
            self._last_read = now = self._loop.time()
            self._timer = self._loop.call_at(now + read_timeout, self._check_silence)
        assert self.transport is not None
        self.transport.write(data)
        return answer

    def serving(self, answer: asyncio.Future[Http1Response]) -> bool:
        """Whether the exchange of ``answer`` still holds this connection."""
        return self._answer is answer

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            while self._chunks:
                chunk = self._chunks.popleft()
                self._queued -= len(chunk)
                if self._paused and self._queued <= _LOW_WATER and self.transport is not None:
                    self._paused = False
                    self._last_read = self._loop.time()
                    self.transport.resume_reading()
                yield chunk
            if self._error is not None:
                raise self._error
            if self._complete:
                return
            self._wakeup = self._loop.create_future()
            await self._wakeup

    def finish(self) -> None:
        """The exchange is over for its caller: reuse the connection if it can be."""
        self._answer = None
        self._stop_timer()
        if self._complete and self._keep_alive and not self._chunks and not self.closed:
            self.pool.release(self)
        else:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._stop_timer()
            if self.transport is not None:
                self.transport.close()
            self.pool.forget(self)

    def _settle(self, response: Http1Response) -> None:
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_result(response)

    def _fail(self, error: BaseException) -> None:
        self._error = error
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_exception(error)
        self._wake()
        self.close()

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            if not wakeup.done():
                wakeup.set_result(None)

    def _check_silence(self) -> None:
        assert self._silence is not None
        now = self._loop.time()
        # While reading is paused the wait is the consumer's, not the server's silence.
        quiet_until = now + self._silence if self._paused else self._last_read + self._silence
        if quiet_until > now:
            self._timer = self._loop.call_at(quiet_until, self._check_silence)
            return
        self._timer = None
        message = f"no data from the server for {self._silence:g}s"
        error = httpx.ReadTimeout(message)
        error.__cause__ = TimeoutError(message)
        self._fail(error)

    def _stop_timer(self) -> None:
        self._silence = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class _OutOfTurn(Exception):
    """Raised in llhttp's callback to stop parsing an answer nobody asked for."""


def _tail(decoder: Any) -> bytes:
    """What a decompressor still holds at the end of the body, which must also be the
    end of the compressed stream: a body cut short is no body."""
    try:
        tail: bytes = decoder.flush()
    except zlib.error as exc:
        raise httpx.RemoteProtocolError(f"invalid compressed body: {exc}") from exc
    if not decoder.eof:
        raise httpx.RemoteProtocolError("the compressed body ended before its end")
    return tail


def _decoder(encoding: str) -> Any:
    """A decompressor for the encodings asked for (``Accept-Encoding: gzip, deflate``);
    any other body is handed over as it came, with its Content-Encoding header."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Deflate()
    return None


class _Deflate:
    """'deflate' as servers send it: zlib-wrapped, as the standard says, or raw."""

    def __init__(self) -> None:
        self._zlib: Any = None
        self._first = b""

    @property
    def eof(self) -> bool:
        return self._zlib is not None and self._zlib.eof  # type: ignore[no-any-return]

    def decompress(self, data: bytes) -> bytes:
        if self._zlib is None:
            self._first += data
            if len(self._first) < 2:
                return b""
            wrapped = self._first[0] & 0x0F == 8 and int.from_bytes(self._first[:2]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self._first = self._first, b""
        return self._zlib.decompress(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        if self._zlib is None:  # fewer than two bytes: no complete stream of either kind
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            self._zlib.decompress(self._first)
        return self._zlib.flush()  # type: ignore[no-any-return]


class Http1Pool:
    """Keep-alive connections to any number of origins, at most ``limit`` open at once.

    Made inside the running event loop it then belongs to. A request waits up to its
    pool timeout for a free connection when ``limit`` are busy; an idle connection to
    another origin is closed to make room.
    """

    def __init__(self, ssl_context: Callable[[], ssl.SSLContext], limit: int = 100) -> None:
        self.loop = asyncio.get_running_loop()
        self._ssl_context = ssl_context
        self._limit = limit
        self._idle: dict[Origin, list[_Connection]] = {}
        self._open: set[_Connection] = set()
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def request(
        self,
        origin: Origin,
        data: bytes,
        *,
        stream: bool = False,
        head_only: bool = False,
        read_timeout: float | None = None,
        connect_timeout: float | None = None,
        pool_timeout: float | None = None,
    ) -> Http1Response:
        """Send ``data`` (a whole request) to ``origin``; the response, read whole
        unless ``stream``, in which case it is returned at its headers."""
        connection = self._reuse(origin) or await self._connect(
            origin, connect_timeout, pool_timeout
        )
        answer = connection.send(
            data, stream=stream, head_only=head_only, read_timeout=read_timeout
        )
        try:
            return await answer
        except BaseException:
            if connection.serving(answer):  # cancelled mid-exchange: never reusable
                connection.close()
            raise

    def release(self, connection: _Connection) -> None:
        if connection.closed:
            return
        connection.released_at = self.loop.time()
        self._idle.setdefault(connection.origin, []).append(connection)
        self._wake_one()

    def forget(self, connection: _Connection) -> None:
        """A connection closed, by either side: it no longer counts or idles."""
        connection.closed = True
        idle = self._idle.get(connection.origin)
        if idle and connection in idle:
            idle.remove(connection)
        if connection in self._open:
            self._open.discard(connection)
            self._wake_one()

    async def aclose(self) -> None:
        for connection in list(self._open):
            connection.close()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(httpx.PoolTimeout("the client was closed"))
        self._waiters.clear()
        await asyncio.sleep(0)  # let the transports finish closing

    def _reuse(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            transport = connection.transport
            if (
                not connection.closed
                and transport is not None
                and not transport.is_closing()
                and self.loop.time() - connection.released_at < KEEPALIVE_SECONDS
            ):
                return connection
            connection.close()
        return None

    async def _connect(
        self, origin: Origin, connect_timeout: float | None, pool_timeout: float | None
    ) -> _Connection:
        while len(self._open) >= self._limit:
            if not self._close_an_idle_one():
                await self._wait_for_room(pool_timeout)
            reused = self._reuse(origin)
            if reused is not None:
                return reused
        scheme, host, port = origin
        connection = _Connection(self, origin)
        self._open.add(connection)
        try:
            async with asyncio.timeout(connect_timeout):
                await self.loop.create_connection(
                    lambda: connection,
                    host,
                    port,
                    ssl=self._ssl_context() if scheme == "https" else None,
                    server_hostname=host if scheme == "https" else None,
                )
        except TimeoutError as exc:
            self.forget(connection)
            raise httpx.ConnectTimeout(f"no connection to {host}:{port} in time") from exc
        except (OSError, ssl.SSLError) as exc:
            self.forget(connection)
            raise httpx.ConnectError(str(exc) or f"cannot connect to {host}:{port}") from exc
        except BaseException:
            self.forget(connection)
            raise
        return connection

    def _close_an_idle_one(self) -> bool:
        for idle in self._idle.values():
            if idle:
                idle.pop(0).close()
                return True
        return False

    async def _wait_for_room(self, timeout: float | None) -> None:
        waiter = self.loop.create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter
        except TimeoutError as exc:
            if waiter.done() and not waiter.cancelled():  # woken as time ran out: pass it on
                self._wake_one()
            raise httpx.PoolTimeout(
                f"all {self._limit} connections stayed busy for {timeout:g}s"
            ) from exc
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
