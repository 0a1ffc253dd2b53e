"""Deadlines around awaits, cheap enough to put around every provider call and chunk.

``asyncio.timeout`` gives each use its own timer: a heap push when it starts, and a
cancelled handle to clean out of the heap when the call ends in time, which is nearly
always. On a busy loop that is a large part of a request's cost. Here deadlines share
timers: each is rounded up onto a coarse grid, and one timer per grid point cancels
whatever is still running there. A deadline fires late by at most its grid step, about
1/128 to 1/64 of its length and between 1 ms and 62.5 ms; never early.
"""

from __future__ import annotations

import asyncio
import math
import threading
import weakref
from types import TracebackType

__all__ = ["deadline", "grid_point"]

# Grid steps are powers of two, so deadlines of any length share grid points.
_FINEST_STEP = -10  # 2**-10 s, about 1 ms
_COARSEST_STEP = -4  # 2**-4 s, 62.5 ms
_STEP_PER_LENGTH = 7  # a step of 2**-7 to 2**-6 of the deadline's length


def grid_point(now: float, seconds: float) -> float:
    """When a deadline of ``seconds`` from ``now`` (loop time) fires: the first grid
    point at or after it, on a grid of step 2**-10 to 2**-4 seconds."""
    exponent = math.frexp(seconds)[1] - _STEP_PER_LENGTH if seconds > 0 else _FINEST_STEP
    step = math.ldexp(1.0, min(max(exponent, _FINEST_STEP), _COARSEST_STEP))
    return math.ceil((now + seconds) / step) * step


class _Grid:
    """One event loop's grid points, each with the deadlines due there."""

    __slots__ = ("_due", "_loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._due: dict[float, set[deadline]] = {}

    def enter(self, entry: deadline, seconds: float) -> set[deadline]:
        """File ``entry`` under its grid point; the set it is filed in."""
        point = grid_point(self._loop.time(), seconds)
        due = self._due.get(point)
        if due is None:
            due = self._due[point] = set()
            self._loop.call_at(point, self._fire, point)
        due.add(entry)
        return due

    def _fire(self, point: float) -> None:
        for entry in self._due.pop(point):
            entry._expire()


_grids: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Grid] = weakref.WeakKeyDictionary()
_grids_lock = threading.Lock()
_last: tuple[asyncio.AbstractEventLoop | None, _Grid | None] = (None, None)


def _grid(loop: asyncio.AbstractEventLoop) -> _Grid:
    """The loop's grid; the last one used is kept at hand, as one loop asks again and again."""
    global _last
    last_loop, grid = _last
    if last_loop is loop and grid is not None:
        return grid
    with _grids_lock:
        grid = _grids.get(loop)
        if grid is None:
            grid = _grids[loop] = _Grid(loop)
    _last = (loop, grid)
    return grid


class deadline:
    """``with deadline(seconds):`` raises TimeoutError when the body, awaiting, is still
    running after ``seconds``; the body is cancelled. A cancellation from outside stays
    a CancelledError, as with ``asyncio.timeout``, and nested deadlines each report
    their own expiry. Use it inside a task."""

    __slots__ = ("_cancelling", "_due", "_expired", "_seconds", "_task")

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds

    def __enter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("deadline() must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._expired = False
        self._due = _grid(task.get_loop()).enter(self, max(self._seconds, 0.0))

    def _expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._due.discard(self)
        if not self._expired:
            return
        # Take back our cancellation; it is a timeout only if no other is pending.
        if self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError(f"deadline of {self._seconds:g}s passed") from exc
