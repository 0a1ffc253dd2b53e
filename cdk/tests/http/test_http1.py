"""Http1Pool on real sockets, answered with scripted bytes.

Every test runs the client against a small asyncio TCP server on 127.0.0.1 that reads
each request and answers with exact raw bytes, split into pieces written one at a time,
then closes the connection or stalls where the test says so. Nothing is mocked: the
parser, the pool, the flow control and the timers all see what a real server would
send them, including the awkward cases (bodies cut short, silences, answers split
mid-header), and the server's accept count shows which requests reused a connection.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import signal
import socket
import ssl
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmesh_cdk import http1
from modelmesh_cdk.http1 import Http1Pool, Http1Response, Origin

GET = b"GET /x HTTP/1.1\r\nHost: test\r\n\r\n"
HEAD = b"HEAD /x HTTP/1.1\r\nHost: test\r\n\r\n"
POST = b"POST /x HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello"

# --- the scripted server ---------------------------------------------------------------


@dataclass
class Reply:
    """One scripted answer: its bytes, cut at ``cuts`` into pieces written one at a time,
    then the server closes the connection (``close``), says nothing more until the
    client hangs up (``stall``), or waits for the next request."""

    data: bytes = b""
    cuts: Sequence[int] = ()
    close: bool = False
    stall: bool = False

    def pieces(self) -> list[bytes]:
        return cut(self.data, self.cuts)


def cut(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """``data`` cut at the offsets ``cuts``, without empty pieces."""
    edges = [0, *sorted({offset for offset in cuts if 0 < offset < len(data)}), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges) if b > a]


class Server:
    """Answers requests, on any connection, with its replies in order.

    Counts the connections it accepted (``accepts``) and those the client hung up
    (``hangups``), and records every raw request it read (``requests``).
    """

    def __init__(self, *replies: Reply) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.accepts = 0
        self.hangups = 0
        self.requests: list[bytes] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.origin: Origin = ("http", "127.0.0.1", port)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepts += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            while await self._exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            self.hangups += 1
        finally:
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request and answer it; whether the connection stays open."""
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        self.requests.append(head + await reader.readexactly(length))
        reply = self.replies.popleft()
        for piece in reply.pieces():
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.001)  # so the client reads each piece on its own
        if reply.stall:
            await reader.read()  # until the client hangs up
            self.hangups += 1
            return False
        return not reply.close


@asynccontextmanager
async def serving(*replies: Reply, limit: int = 100) -> AsyncIterator[tuple[Server, Http1Pool]]:
    """A scripted server and a pool, both closed at the end."""
    async with Server(*replies) as server:
        pool = Http1Pool(ssl.create_default_context, limit=limit)
        try:
            yield server, pool
        finally:
            await pool.aclose()


async def until(condition: Callable[[], object], what: str) -> None:
    """Let the loop run until ``condition()`` holds (a second at most)."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"never happened: {what}")


# --- raw responses ---------------------------------------------------------------------


def answer(body: bytes = b"", *headers: str, status: str = "200 OK") -> bytes:
    """A response with exactly these headers (no framing header added)."""
    lines = "".join(f"{header}\r\n" for header in headers)
    return f"HTTP/1.1 {status}\r\n{lines}\r\n".encode() + body


def ok(body: bytes = b"", *headers: str) -> bytes:
    """A 200 with a Content-Length."""
    return answer(body, f"Content-Length: {len(body)}", *headers)


def chunked(body: bytes, cuts: Sequence[int] = (), trailer: str = "") -> bytes:
    """A 200 with a chunked body, cut into chunks at ``cuts``."""
    chunks = cut(body, cuts)
    encoded = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks)
    return answer(b"", "Transfer-Encoding: chunked") + encoded + f"0\r\n{trailer}\r\n".encode()


def raw_deflate(body: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(body) + compressor.flush()


ENCODINGS = {
    "gzip": ("gzip", gzip.compress),
    "deflate (zlib)": ("deflate", zlib.compress),
    "deflate (raw)": ("deflate", raw_deflate),
}


async def fetch_whole(pool: Http1Pool, origin: Origin, **options: Any) -> bytes:
    response = await pool.request(origin, GET, **options)
    assert response.body is not None
    return response.body


async def fetch_streamed(pool: Http1Pool, origin: Origin, **options: Any) -> bytes:
    response = await pool.request(origin, GET, stream=True, **options)
    assert response.body is None
    try:
        chunks = [chunk async for chunk in response.chunks()]
    finally:
        await response.aclose()
    assert all(chunks), "a stream hands over no empty chunks"
    return b"".join(chunks)


async def collect(response: Http1Response, received: list[bytes]) -> None:
    """Read a stream's chunks into ``received`` (so they survive a failure)."""
    async for chunk in response.chunks():
        received.append(chunk)


def refused_port() -> int:
    """A port nobody listens on: bound, read, released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- framing ---------------------------------------------------------------------------

bodies = st.binary(max_size=5000)


@st.composite
def framed(draw: st.DrawFn, body: bytes) -> Reply:
    """``body`` in a random framing, the whole answer split into 1 to 8 pieces."""
    framing = draw(st.sampled_from(["content-length", "chunked", "trailer", "until-close"]))
    close = framing == "until-close"
    if framing == "content-length":
        data = ok(body)
    elif close:
        data = answer(body)
    else:
        cuts = draw(st.lists(st.integers(1, max(1, len(body) - 1)), max_size=10))
        trailer = "X-Checksum: abc\r\n" if framing == "trailer" else ""
        data = chunked(body, cuts, trailer)
    pieces = draw(st.lists(st.integers(1, len(data) - 1), max_size=7))
    return Reply(data, pieces, close=close)


@settings(max_examples=30, deadline=None)
@given(data=st.data(), body=bodies)
def test_body_arrives_exactly_whatever_the_framing_and_the_splits(
    data: st.DataObject, body: bytes
) -> None:
    reply = data.draw(framed(body))

    async def main() -> None:
        async with serving(reply, reply) as (server, pool):
            assert await fetch_whole(pool, server.origin) == body
            assert await fetch_streamed(pool, server.origin) == body

    asyncio.run(main())


@settings(max_examples=30, deadline=None)
@given(
    encoding=st.sampled_from(sorted(ENCODINGS)),
    body=bodies,
    split=st.lists(st.integers(1, 200), max_size=7),
    stream=st.booleans(),
)
def test_gzip_and_deflate_bodies_are_decoded(
    encoding: str, body: bytes, split: list[int], stream: bool
) -> None:
    name, compress = ENCODINGS[encoding]
    data = ok(compress(body), f"Content-Encoding: {name}")
    head = len(data) - len(compress(body))
    reply = Reply(data, [head + offset for offset in split])  # cut inside the compressed body

    async def main() -> None:
        async with serving(reply) as (server, pool):
            fetch = fetch_streamed if stream else fetch_whole
            assert await fetch(pool, server.origin) == body

    asyncio.run(main())


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_invalid_gzip_body_raises_remote_protocol_error(stream: bool) -> None:
    async def main() -> None:
        reply = Reply(ok(b"this is not gzip", "Content-Encoding: gzip"))
        async with serving(reply) as (server, pool):
            fetch = fetch_streamed if stream else fetch_whole
            with pytest.raises(httpx.RemoteProtocolError, match="compressed body"):
                await fetch(pool, server.origin)

    asyncio.run(main())


def test_unknown_content_encoding_is_handed_over_as_it_came() -> None:
    async def main() -> None:
        reply = Reply(ok(b"\x0b\x02\x80hi\x03", "Content-Encoding: br"))
        async with serving(reply) as (server, pool):
            response = await pool.request(server.origin, GET)
            assert response.body == b"\x0b\x02\x80hi\x03"
            assert response.headers["content-encoding"] == "br"

    asyncio.run(main())


# --- keep-alive ------------------------------------------------------------------------


def test_sequential_requests_share_one_connection() -> None:
    async def main() -> None:
        async with serving(Reply(ok(b"1")), Reply(ok(b"2")), Reply(ok(b"3"))) as (server, pool):
            bodies = [await fetch_whole(pool, server.origin) for _ in range(3)]
            assert bodies == [b"1", b"2", b"3"]
            assert server.accepts == 1
            assert server.requests == [GET, GET, GET]

    asyncio.run(main())


def test_request_body_is_sent_as_given() -> None:
    async def main() -> None:
        async with serving(Reply(ok(b"got it"))) as (server, pool):
            response = await pool.request(server.origin, POST)
            assert response.body == b"got it"
            assert server.requests == [POST]

    asyncio.run(main())


def test_connection_close_header_makes_the_next_request_reconnect() -> None:
    async def main() -> None:
        replies = Reply(ok(b"bye", "Connection: close"), close=True), Reply(ok(b"hi"))
        async with serving(*replies) as (server, pool):
            assert await fetch_whole(pool, server.origin) == b"bye"
            assert await fetch_whole(pool, server.origin) == b"hi"
            assert server.accepts == 2

    asyncio.run(main())


def test_idle_connection_closed_by_the_server_is_replaced() -> None:
    async def main() -> None:
        async with serving(Reply(ok(b"1"), close=True), Reply(ok(b"2"))) as (server, pool):
            assert await fetch_whole(pool, server.origin) == b"1"
            await asyncio.sleep(0.05)  # the client notices the close
            assert await fetch_whole(pool, server.origin) == b"2"
            assert server.accepts == 2

    asyncio.run(main())


# --- statuses --------------------------------------------------------------------------


def test_informational_response_before_the_answer_is_skipped() -> None:
    async def main() -> None:
        data = b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"done", "X-Final: yes")
        async with serving(Reply(data, [10, 25, 30])) as (server, pool):
            response = await pool.request(server.origin, GET)
            assert (response.status, response.reason, response.body) == (200, "OK", b"done")
            assert response.headers["x-final"] == "yes"

    asyncio.run(main())


def test_no_content_answer_has_an_empty_body() -> None:
    async def main() -> None:
        async with serving(Reply(answer(status="204 No Content"))) as (server, pool):
            response = await pool.request(server.origin, GET)
            assert (response.status, response.reason) == (204, "No Content")
            assert response.body == b""

    asyncio.run(main())


def test_head_answer_returns_at_its_headers_with_an_empty_body() -> None:
    async def main() -> None:
        headers_only = Reply(answer(b"", "Content-Length: 10"), stall=True)
        async with serving(headers_only) as (server, pool):
            response = await pool.request(server.origin, HEAD, head_only=True, read_timeout=1)
            assert response.status == 200
            assert response.headers["content-length"] == "10"
            assert response.body == b""

    asyncio.run(main())


# --- early closes and garbage ----------------------------------------------------------


def test_close_after_the_headers_of_a_sized_body_raises_remote_protocol_error() -> None:
    async def main() -> None:
        headers_only = Reply(answer(b"", "Content-Length: 10"), close=True)
        async with serving(headers_only) as (server, pool):
            with pytest.raises(httpx.RemoteProtocolError, match="before the response"):
                await fetch_whole(pool, server.origin)

    asyncio.run(main())


def test_close_without_any_answer_raises_remote_protocol_error() -> None:
    async def main() -> None:
        async with serving(Reply(close=True)) as (server, pool):
            with pytest.raises(httpx.RemoteProtocolError, match="before sending a response"):
                await fetch_whole(pool, server.origin)

    asyncio.run(main())


def test_non_http_answer_raises_remote_protocol_error() -> None:
    async def main() -> None:
        async with serving(Reply(b"SSH-2.0-OpenSSH_9.6\r\n", stall=True)) as (server, pool):
            with pytest.raises(httpx.RemoteProtocolError, match="invalid HTTP response"):
                await fetch_whole(pool, server.origin)

    asyncio.run(main())


def test_stream_cut_mid_body_raises_remote_protocol_error_from_chunks() -> None:
    async def main() -> None:
        data = answer(b"12345", "Content-Length: 10")
        async with serving(Reply(data, [len(data) - 5], close=True)) as (server, pool):
            response = await pool.request(server.origin, GET, stream=True)
            received: list[bytes] = []
            with pytest.raises(httpx.RemoteProtocolError):
                await collect(response, received)
            await response.aclose()
            assert b"".join(received) == b"12345"

    asyncio.run(main())


# --- timeouts and connection failures --------------------------------------------------


def test_silent_server_raises_read_timeout_caused_by_timeout_error() -> None:
    async def main() -> None:
        async with serving(Reply(stall=True)) as (server, pool):
            with pytest.raises(httpx.ReadTimeout) as caught:
                await fetch_whole(pool, server.origin, read_timeout=0.1)
            assert isinstance(caught.value.__cause__, TimeoutError)

    asyncio.run(main())


def test_stalled_stream_raises_read_timeout_from_chunks() -> None:
    async def main() -> None:
        first_chunk = answer(b"", "Transfer-Encoding: chunked") + b"5\r\nfirst\r\n"
        async with serving(Reply(first_chunk, stall=True)) as (server, pool):
            response = await pool.request(server.origin, GET, stream=True, read_timeout=0.1)
            received: list[bytes] = []
            with pytest.raises(httpx.ReadTimeout):
                await collect(response, received)
            await response.aclose()
            assert received == [b"first"]

    asyncio.run(main())


def test_refused_connection_raises_connect_error() -> None:
    async def main() -> None:
        pool = Http1Pool(ssl.create_default_context)
        try:
            with pytest.raises(httpx.ConnectError):
                await pool.request(("http", "127.0.0.1", refused_port()), GET)
        finally:
            await pool.aclose()

    asyncio.run(main())


# --- the pool limit --------------------------------------------------------------------


def test_second_request_waits_for_the_only_connection() -> None:
    async def main() -> None:
        replies = Reply(ok(b"first")), Reply(ok(b"second"))
        async with serving(*replies, limit=1) as (server, pool):
            first = asyncio.create_task(fetch_whole(pool, server.origin))
            second = asyncio.create_task(fetch_whole(pool, server.origin))
            assert await asyncio.gather(first, second) == [b"first", b"second"]
            assert server.accepts == 1  # the second waited, then took the first's connection

    asyncio.run(main())


def test_pool_timeout_when_the_only_connection_stays_busy() -> None:
    async def main() -> None:
        async with serving(Reply(stall=True), limit=1) as (server, pool):
            busy = asyncio.create_task(fetch_whole(pool, server.origin))
            await until(lambda: server.requests, "the first request arrives")
            with pytest.raises(httpx.PoolTimeout):
                await fetch_whole(pool, server.origin, pool_timeout=0.1)
            assert server.accepts == 1
            busy.cancel()
            with pytest.raises(asyncio.CancelledError):
                await busy

    asyncio.run(main())


def test_idle_connection_to_another_origin_is_closed_to_make_room() -> None:
    async def main() -> None:
        async with (
            Server(Reply(ok(b"b"))) as other,
            serving(Reply(ok(b"a")), limit=1) as (server, pool),
        ):
            assert await fetch_whole(pool, server.origin) == b"a"
            assert await fetch_whole(pool, other.origin) == b"b"
            await until(lambda: server.hangups == 1, "the idle connection is closed")

    asyncio.run(main())


# --- cancellation ----------------------------------------------------------------------


def test_cancelled_request_drops_its_connection() -> None:
    async def main() -> None:
        async with serving(Reply(stall=True), Reply(ok(b"fresh")), limit=1) as (server, pool):
            waiting = asyncio.create_task(fetch_whole(pool, server.origin))
            await until(lambda: server.requests, "the request arrives")
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            await until(lambda: server.hangups == 1, "the client hangs up")
            # The only slot is free again: no waiting for the pool.
            assert await fetch_whole(pool, server.origin, pool_timeout=0.1) == b"fresh"
            assert server.accepts == 2

    asyncio.run(main())


# --- streaming -------------------------------------------------------------------------

# 2 MB whose every 4 bytes count up, so a lost, doubled or swapped chunk shows.
BIG = b"".join(i.to_bytes(4, "big") for i in range(512 * 1024))


def test_large_stream_read_slowly_arrives_complete_and_in_order() -> None:
    async def main() -> None:
        async with serving(Reply(ok(BIG)), Reply(ok(b"next"))) as (server, pool):
            response = await pool.request(server.origin, GET, stream=True, read_timeout=5)
            await asyncio.sleep(0.05)  # the client fills its buffer and pauses reading
            received = []
            async for chunk in response.chunks():
                received.append(chunk)
                await asyncio.sleep(0)
            await response.aclose()
            assert b"".join(received) == BIG
            assert await fetch_whole(pool, server.origin) == b"next"
            assert server.accepts == 1

    asyncio.run(main())


def test_paused_stream_outlasting_the_read_timeout_neither_times_out_nor_spins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The read timer is private; counting its runs is the only way to see it spin.
    checks = 0
    check_silence = http1._Connection._check_silence

    def counted(self: Any) -> None:
        nonlocal checks
        checks += 1
        check_silence(self)

    monkeypatch.setattr(http1._Connection, "_check_silence", counted)

    async def main() -> None:
        async with serving(Reply(ok(BIG))) as (server, pool):
            response = await pool.request(server.origin, GET, stream=True, read_timeout=0.05)
            await asyncio.sleep(0.2)  # reading is paused: the consumer is the slow one
            assert await response.read() == BIG

    asyncio.run(main())
    assert checks < 20  # about one check per read timeout, not one per loop turn


def test_stream_closed_before_its_end_is_not_reused() -> None:
    async def main() -> None:
        data = answer(b"12345", "Content-Length: 10")
        async with serving(Reply(data, stall=True), Reply(ok(b"fresh"))) as (server, pool):
            response = await pool.request(server.origin, GET, stream=True)
            assert await anext(aiter(response.chunks())) == b"12345"
            await response.aclose()
            assert await fetch_whole(pool, server.origin) == b"fresh"
            assert server.accepts == 2

    asyncio.run(main())


def test_stream_read_to_its_end_is_reused() -> None:
    async def main() -> None:
        replies = Reply(chunked(b"streamed", [3])), Reply(ok(b"next"))
        async with serving(*replies) as (server, pool):
            response = await pool.request(server.origin, GET, stream=True)
            assert await response.read() == b"streamed"
            assert response.body == b"streamed"
            assert await fetch_whole(pool, server.origin) == b"next"
            assert server.accepts == 1

    asyncio.run(main())


def test_whole_response_refuses_chunks() -> None:
    async def main() -> None:
        async with serving(Reply(ok(b"whole"))) as (server, pool):
            response = await pool.request(server.origin, GET)
            with pytest.raises(RuntimeError):
                response.chunks()
            assert await response.read() == b"whole"

    asyncio.run(main())


# --- headers ---------------------------------------------------------------------------


def test_repeated_headers_are_all_kept() -> None:
    async def main() -> None:
        data = ok(b"", "Set-Cookie: a=1", "X-Other: x", "Set-Cookie: b=2")
        async with serving(Reply(data)) as (server, pool):
            response = await pool.request(server.origin, GET)
            assert response.headers.getall("set-cookie") == ["a=1", "b=2"]

    asyncio.run(main())


@pytest.mark.parametrize("name", ["Content-Type", "content-type", "CONTENT-TYPE", "cOnTeNt-TyPe"])
def test_header_lookup_ignores_the_servers_case(name: str) -> None:
    async def main() -> None:
        async with serving(Reply(ok(b"{}", f"{name}: application/json"))) as (server, pool):
            response = await pool.request(server.origin, GET)
            assert response.headers["content-type"] == "application/json"
            assert response.headers["Content-Type"] == "application/json"

    asyncio.run(main())


# --- dead connections, unasked answers, cut compressed bodies ---------------------------


class Hung(Exception):
    """The event loop was stuck in synchronous code."""


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Raise Hung in the main thread if the block has not ended after ``seconds``; a
    loop stuck without awaiting can be stopped no other way."""

    def bark(signum: int, frame: object) -> None:
        raise Hung(f"stuck for {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, bark)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_stream_finished_after_the_server_closed_does_not_wedge_the_pool() -> None:
    async def main() -> None:
        async with (
            Server(Reply(ok(b"b"))) as b,
            Server(Reply(ok(b"c"))) as c,
            serving(Reply(ok(b"a"), close=True), limit=1) as (a, pool),
        ):
            response = await pool.request(a.origin, GET, stream=True)
            await asyncio.sleep(0.05)  # the server's close arrives before the read
            assert await response.read() == b"a"
            assert await fetch_whole(pool, b.origin) == b"b"  # the one open connection
            with watchdog(0.5):
                assert await fetch_whole(pool, c.origin) == b"c"  # must close b's

    asyncio.run(main())


def test_unasked_second_answer_does_not_leak_into_a_streamed_body() -> None:
    async def main() -> None:
        async with serving(Reply(ok(b"ok") + ok(b"intruder"))) as (server, pool):
            assert await fetch_streamed(pool, server.origin) == b"ok"

    asyncio.run(main())


def test_invalid_deflate_body_ended_by_the_close_raises_remote_protocol_error() -> None:
    async def main() -> None:
        data = answer(b"\x03", "Content-Encoding: deflate")
        async with serving(Reply(data, close=True)) as (server, pool):
            with pytest.raises(httpx.RemoteProtocolError):
                await fetch_whole(pool, server.origin, read_timeout=0.2)

    asyncio.run(main())


@pytest.mark.parametrize("framing", ["content-length", "until-close"])
def test_truncated_gzip_body_raises_remote_protocol_error(framing: str) -> None:
    compressed = gzip.compress(b"a sentence of some length " * 40)[:-20]  # no trailer
    if framing == "content-length":
        reply = Reply(ok(compressed, "Content-Encoding: gzip"))
    else:
        reply = Reply(answer(compressed, "Content-Encoding: gzip"), close=True)

    async def main() -> None:
        async with serving(reply) as (server, pool):
            with pytest.raises(httpx.RemoteProtocolError):
                await fetch_whole(pool, server.origin)

    asyncio.run(main())
