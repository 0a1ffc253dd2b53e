"""The retry policy: what one failed call means for the request that made it.

There is one retry layer, here: providers make one attempt per routed call (R11). A
failure is sorted into one of four outcomes, and the router acts on it:

- ``raise``: the request itself is at fault (400, context length, content filter); no
  other model would do better, so the error goes back to the caller at once and the
  model is not blamed.
- ``retry``: worth another call (timeout, connection, 429 and 5xx in
  ``retryable_codes``), after a backoff, while ``max_attempts`` allows.
- ``rotate``: this model will not do (401/403 and other non-retryable codes, a 404
  model), so the next candidate is tried without retrying this one.
"""

from __future__ import annotations

import enum
import random

import attrs

from modelmesh.config.schema import Backoff, RetryConfig
from modelmesh.errors import ProviderError


class Verdict(enum.Enum):
    RAISE = "raise"
    RETRY = "retry"
    ROTATE = "rotate"


# Failures without a status code that are worth retrying (R14).
_TRANSIENT_CATEGORIES = frozenset({"timeout", "connection"})


@attrs.define
class RetryPolicy:
    """The pool's ``retry:`` section as decisions; ``rng`` makes jitter reproducible."""

    config: RetryConfig
    rng: random.Random = attrs.field(factory=random.Random)

    def classify(self, error: ProviderError) -> Verdict:
        """Whether the request, a retry or a rotation is the answer to ``error``."""
        if error.request_scoped:
            return Verdict.RAISE
        status = error.status_code
        if status is None:
            return Verdict.RETRY if error.category in _TRANSIENT_CATEGORIES else Verdict.ROTATE
        if status in self.config.non_retryable_codes:
            return Verdict.ROTATE
        if status in self.config.retryable_codes:
            return Verdict.RETRY
        return Verdict.ROTATE

    def should_retry(self, error: ProviderError, attempt: int) -> bool:
        """True when call number ``attempt`` (1-based) to one model may be followed by
        another: the error is retryable and ``max_attempts`` is not used up."""
        return self.classify(error) is Verdict.RETRY and attempt < self.config.max_attempts

    def get_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed call number ``attempt`` before the next one.

        ``fixed`` waits ``initial_delay``; ``exponential_jitter`` doubles from it up to
        ``max_delay`` and draws from the upper half of that span, so clients that failed
        together do not retry together; ``retry_after`` waits what the provider asked.
        The provider's ``Retry-After`` always wins when it is longer and
        ``honor_retry_after`` is on.
        """
        config = self.config
        if config.backoff is Backoff.FIXED:
            delay = config.initial_delay
        else:
            ceiling = min(config.max_delay, config.initial_delay * 2 ** (attempt - 1))
            delay = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
            if config.backoff is Backoff.RETRY_AFTER and retry_after is not None:
                delay = retry_after
        if retry_after is not None and config.honor_retry_after:
            delay = max(delay, retry_after)
        return delay

    def waits_too_long(self, retry_after: float | None) -> bool:
        """True when the provider asks for a longer pause than ``max_delay`` and its
        advice is honoured: rotating then serves the caller sooner than waiting would."""
        return (
            self.config.honor_retry_after
            and retry_after is not None
            and retry_after > self.config.max_delay
        )
