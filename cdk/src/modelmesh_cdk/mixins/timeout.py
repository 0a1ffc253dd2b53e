"""Deadlines for calls and streams.

An HTTP client's timeout bounds each read, which cannot catch a stream that trickles
one byte at a time forever or a first token that never comes. These deadlines bound
a whole operation instead; they run on the event loop's timer, because they must
interrupt an await that is in progress.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from modelmesh.deadline import deadline
from modelmesh.errors import ProviderTimeoutError

__all__ = ["RequestTimeoutError", "TimeoutMixin"]

T = TypeVar("T")


class RequestTimeoutError(ProviderTimeoutError):
    """An operation ran past its deadline; retryable like every provider timeout."""

    def __init__(
        self,
        operation: str,
        timeout: float,
        *,
        provider_id: str | None = None,
        model_id: str | None = None,
    ) -> None:
        super().__init__(
            f"{operation} timed out after {timeout:g}s",
            provider_id=provider_id,
            model_id=model_id,
        )
        self.operation = operation
        self.timeout = timeout


class TimeoutMixin:
    """``with_timeout`` for one awaited call, ``with_stream_timeout`` for a stream."""

    _timeout_default: float = 30.0
    _timeout_streaming: float = 60.0
    _timeout_streaming_total: float = 300.0
    _timeout_connect: float = 10.0

    def configure_timeout(
        self,
        default: float = 30.0,
        streaming: float = 60.0,
        streaming_total: float = 300.0,
        connect: float = 10.0,
    ) -> None:
        """Set the deadlines in seconds: a call, a stream's first chunk, a whole
        stream, and connection establishment (for HTTP clients to read)."""
        for name, value in (
            ("default", default),
            ("streaming", streaming),
            ("streaming_total", streaming_total),
            ("connect", connect),
        ):
            if value <= 0:
                raise ValueError(f"timeout {name} must be more than 0 seconds, got {value}")
        self._timeout_default = default
        self._timeout_streaming = streaming
        self._timeout_streaming_total = streaming_total
        self._timeout_connect = connect

    async def with_timeout(
        self, coro: Awaitable[T], timeout: float | None = None, operation: str | None = None
    ) -> T:
        """Await ``coro``, or raise RequestTimeoutError after ``timeout`` seconds
        (the configured default when None); the awaited call is cancelled.

        The wait runs in the calling task, so clients bound to their task (httpx
        streams, anyio cancel scopes) work inside it."""
        limit = self._timeout_default if timeout is None else timeout
        try:
            with deadline(limit):
                return await coro
        except TimeoutError:
            raise RequestTimeoutError(operation or "request", limit) from None

    async def with_stream_timeout(
        self,
        aiter: AsyncIterator[T],
        first_chunk_timeout: float | None = None,
        total_timeout: float | None = None,
    ) -> AsyncIterator[T]:
        """Yield from ``aiter`` while the first item arrives within
        ``first_chunk_timeout`` and the whole stream within ``total_timeout``.

        On either deadline the source is closed and RequestTimeoutError raised, so a
        stalled stream ends with an error rather than hanging or looking complete.
        """
        first = self._timeout_streaming if first_chunk_timeout is None else first_chunk_timeout
        total = self._timeout_streaming_total if total_timeout is None else total_timeout
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + total
        waiting_for_first = True
        try:
            while True:
                remaining = ends_at - loop.time()
                if waiting_for_first and first < remaining:
                    limit, operation = first, "stream first chunk"
                else:
                    limit, operation = remaining, "stream"
                try:
                    with deadline(limit):
                        item = await anext(aiter)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    reported = first if operation == "stream first chunk" else total
                    raise RequestTimeoutError(operation, reported) from None
                waiting_for_first = False
                yield item
        finally:
            close = getattr(aiter, "aclose", None)
            if close is not None:
                await close()
