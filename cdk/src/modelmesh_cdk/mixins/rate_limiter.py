"""Client-side rate limiting: stay under an upstream's requests and tokens per minute.

Throttling ourselves is cheaper than being throttled: a 429 costs a round trip and
often a penalty. Requests and token counts are remembered for a sliding 60-second
window; ``_rate_limit_acquire`` waits exactly until the window admits the request,
on ``self._clock`` so tests wait without sleeping.
"""

from __future__ import annotations

from collections import deque

from modelmesh.clock import SYSTEM_CLOCK, Clock

__all__ = ["WINDOW_SECONDS", "RateLimiterMixin"]

WINDOW_SECONDS = 60.0


class RateLimiterMixin:
    """Sliding-window limits on requests and tokens per minute.

    Set ``_rate_limit_rpm``, ``_rate_limit_tpm`` and ``_rate_limit_min_delay`` (seconds
    between two requests) on the class or instance, call ``__init_rate_limiter__()``,
    then ``await self._rate_limit_acquire(estimated)`` before each request and
    ``self._rate_limit_record_tokens(used)`` after it. Estimates are checked, not
    reserved: only recorded tokens count against the window.
    """

    _clock: Clock = SYSTEM_CLOCK
    _rate_limit_rpm: int = 60
    _rate_limit_tpm: int = 100_000
    _rate_limit_min_delay: float = 0.0
    _rate_limit_requests: deque[float]
    _rate_limit_tokens: deque[tuple[float, int]]

    def __init_rate_limiter__(self) -> None:
        """Start with empty windows; ValueError when a limit cannot admit anything."""
        if self._rate_limit_rpm < 1 or self._rate_limit_tpm < 1:
            raise ValueError(
                "_rate_limit_rpm and _rate_limit_tpm must be at least 1, got "
                f"{self._rate_limit_rpm} and {self._rate_limit_tpm}"
            )
        if self._rate_limit_min_delay < 0:
            raise ValueError(
                f"_rate_limit_min_delay must be zero or more, got {self._rate_limit_min_delay}"
            )
        self._rate_limit_requests = deque()
        self._rate_limit_tokens = deque()

    async def _rate_limit_acquire(self, estimated_tokens: int = 0) -> None:
        """Wait until one more request, with ``estimated_tokens`` more tokens, fits the
        window, then count the request. A request estimated above the whole token
        budget waits for an empty window instead of forever."""
        while True:
            wait = self._rate_limit_wait(estimated_tokens)
            if wait <= 0:
                self._rate_limit_requests.append(self._clock.monotonic())
                return
            await self._clock.sleep(wait)

    def _rate_limit_record_tokens(self, n: int) -> None:
        """Count ``n`` tokens a request used against the window."""
        if n > 0:
            self._rate_limit_tokens.append((self._clock.monotonic(), n))

    def _rate_limit_wait(self, estimated_tokens: int) -> float:
        """Seconds until the request would be admitted; zero or less means now."""
        now = self._clock.monotonic()
        horizon = now - WINDOW_SECONDS
        requests, tokens = self._rate_limit_requests, self._rate_limit_tokens
        while requests and requests[0] <= horizon:
            requests.popleft()
        while tokens and tokens[0][0] <= horizon:
            tokens.popleft()
        waits = [0.0]
        if requests and self._rate_limit_min_delay > 0:
            waits.append(requests[-1] + self._rate_limit_min_delay - now)
        excess_requests = len(requests) - self._rate_limit_rpm + 1
        if excess_requests > 0:
            # the request that must leave the window before this one fits
            waits.append(requests[excess_requests - 1] + WINDOW_SECONDS - now)
        excess_tokens = sum(n for _, n in tokens) + estimated_tokens - self._rate_limit_tpm
        for when, n in tokens:
            if excess_tokens <= 0:
                break
            excess_tokens -= n
            waits.append(when + WINDOW_SECONDS - now)
        return max(waits)
