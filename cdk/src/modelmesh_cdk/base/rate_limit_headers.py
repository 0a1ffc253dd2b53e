"""Rate-limit headroom as upstream response headers report it.

OpenAI and most compatible services send ``x-ratelimit-*`` headers with every answer,
and ``retry-after`` with a 429; reading them lets rate-limit-aware routing avoid a
model before it starts refusing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from modelmesh.interfaces.provider import RateLimitStatus
from modelmesh_cdk.mixins.http_client import parse_retry_after

__all__ = ["rate_limit_status"]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


_HEADERS = (
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "retry-after",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-limit-tokens",
)
_NAMES = frozenset(_HEADERS)


def rate_limit_status(headers: Mapping[str, str], now: datetime) -> RateLimitStatus | None:
    """What the ``x-ratelimit-*`` and ``retry-after`` headers say, or None if the
    response carries none of them.

    ``headers`` is a case-insensitive mapping (aiohttp's or httpx's response headers).
    ``reset_seconds`` comes from the requests reset, else the tokens reset, else
    ``retry-after`` (read against ``now`` when it is an HTTP date).
    """
    # Runs on every response, most of which carry none of these: one pass over the
    # names in C, then out.
    if _NAMES.isdisjoint(map(str.lower, headers)):
        return None
    get = headers.get
    values = [get(name) for name in _HEADERS]
    reset_requests, reset_tokens, retry_after, *counts = values
    reset = _reset_seconds(reset_requests)
    if reset is None:
        reset = _reset_seconds(reset_tokens)
    if reset is None:
        reset = parse_retry_after(retry_after, now)
    requests_remaining, requests_limit, tokens_remaining, tokens_limit = map(_count, counts)
    status = RateLimitStatus(
        requests_remaining=requests_remaining,
        requests_limit=requests_limit,
        tokens_remaining=tokens_remaining,
        tokens_limit=tokens_limit,
        reset_seconds=reset,
    )
    return None if status == RateLimitStatus() else status


def _count(value: str | None) -> int | None:
    try:
        return max(0, int(value)) if value is not None else None
    except ValueError:
        return None


def _reset_seconds(value: str | None) -> float | None:
    """``"20ms"``, ``"1s"``, ``"6m0s"``, ``"1h2m3.5s"`` or plain seconds."""
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)
