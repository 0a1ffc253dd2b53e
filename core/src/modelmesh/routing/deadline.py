"""The request deadline around each provider call, at half the cost of ``asyncio.timeout``.

Every routed call runs under the time left of its request's deadline. ``asyncio.timeout``
is built to be rescheduled and nested and costs several microseconds per use; a deadline
here is set once and only ever expires or is left, so one timer handle does.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

__all__ = ["deadline"]


class deadline:
    """``async with deadline(seconds):`` raises TimeoutError when the body is still
    running after ``seconds``; the body is cancelled. A cancellation from outside stays a
    CancelledError, as with ``asyncio.timeout``."""

    __slots__ = ("_cancelling", "_expired", "_handle", "_seconds", "_task")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("deadline() must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._expired = False
        self._handle = asyncio.get_running_loop().call_later(self._seconds, self._expire)

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._handle.cancel()
        if (
            self._expired
            and exc_type is asyncio.CancelledError
            and self._task.uncancel() <= self._cancelling
        ):
            raise TimeoutError(f"deadline of {self._seconds:g}s passed") from exc
