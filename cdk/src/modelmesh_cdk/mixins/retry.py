"""Retry with exponential backoff, and the backoff arithmetic every retrying mixin shares.

``backoff_delay`` is the single formula: HttpClientMixin and RetryMixin differ only in
their parameters and jitter, so a fix to the arithmetic reaches both.
"""

from __future__ import annotations

import inspect
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from modelmesh.clock import SYSTEM_CLOCK, Clock

T = TypeVar("T")

Draw = Callable[[], float]
"""A source of uniform numbers in [0, 1); ``random.random`` unless a test pins it."""

Jitter = Callable[[float, Draw], float]


def no_jitter(delay: float, draw: Draw) -> float:
    """The delay as computed: for reproducible schedules."""
    return delay


def additive_jitter(delay: float, draw: Draw) -> float:
    """Add U[0, 0.5) seconds, so clients that failed together do not retry together."""
    return delay + 0.5 * draw()


def proportional_jitter(delay: float, draw: Draw) -> float:
    """Multiply by U[0.5, 1.5): the spread grows with the delay."""
    return delay * (0.5 + draw())


def backoff_delay(
    attempt: int,
    *,
    base_delay: float = 1.0,
    exponential_base: float = 2.0,
    max_delay: float = 30.0,
    jitter: Jitter = no_jitter,
    draw: Draw = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    ``base_delay * exponential_base ** attempt`` with jitter applied, never above
    ``max_delay`` (the cap applies after the jitter, so it is a real bound).
    """
    try:
        delay = base_delay * exponential_base**attempt
    except OverflowError:
        delay = math.inf
    return max(0.0, min(max_delay, jitter(delay, draw)))


class RetryMixin:
    """Call anything again when it fails, waiting longer each time.

    For work that is not an HTTP request (HttpClientMixin retries its own requests):
    ``await self._retry(fn, *args, **kwargs)`` calls ``fn`` up to
    ``_retry_max_attempts`` times in all, sleeping on ``self._clock`` between calls.
    Override ``_is_retryable_error`` to give up at once on errors that will not heal.
    """

    _retry_max_attempts: int = 3
    _retry_base_delay: float = 1.0
    _retry_max_delay: float = 30.0
    _retry_exponential_base: float = 2.0
    _retry_jitter: bool = True
    _clock: Clock = SYSTEM_CLOCK

    async def _retry(self, fn: Callable[..., Awaitable[T] | T], *args: Any, **kwargs: Any) -> T:
        """The result of the first call of ``fn`` that succeeds; else the last error.

        ``fn`` may be a coroutine function or a plain function.
        """
        attempts = max(1, self._retry_max_attempts)
        attempt = 0
        while True:
            try:
                result = fn(*args, **kwargs)
                if inspect.isawaitable(result):
                    return await result
                return result
            except Exception as exc:
                if attempt + 1 >= attempts or not self._is_retryable_error(exc):
                    raise
            await self._clock.sleep(self._calculate_delay(attempt))
            attempt += 1

    def _calculate_delay(self, attempt: int) -> float:
        """Seconds before retry number ``attempt`` (0 for the first retry)."""
        return backoff_delay(
            attempt,
            base_delay=self._retry_base_delay,
            exponential_base=self._retry_exponential_base,
            max_delay=self._retry_max_delay,
            jitter=proportional_jitter if self._retry_jitter else no_jitter,
        )

    def _is_retryable_error(self, exc: Exception) -> bool:
        """Whether ``exc`` is worth another attempt; every error is, unless overridden."""
        return True
