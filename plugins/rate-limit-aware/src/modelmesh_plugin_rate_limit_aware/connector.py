"""Keeps rate-limit headroom by switching, delaying or queueing requests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from modelmesh.config.schema import ThrottleAction
from modelmesh.interfaces.rotation import ModelSnapshot, SelectionRequest, SelectionResult
from modelmesh_cdk.base.pool_rotation import (
    PoolRotationConfig,
    PoolRotationPolicy,
    PoolSelectionStrategy,
    active_candidates,
)
from modelmesh_plugin_rate_limit_aware.sends import SendLog

__all__ = ["RateLimitAwareRotation", "RateLimitAwareSelection"]

# Sends kept per model at least: past max_rpm, so that when every model is over the
# count still tells which has the most capacity left.
_MIN_CAPACITY = 1000


class RateLimitAwareSelection(PoolSelectionStrategy):
    """Keeps the preferred model until its rate limit nears, then acts by ``action``.

    A model's usage ratio is ``1 - headroom`` from the provider's rate-limit headers;
    without them, the requests this strategy sent it in the last 60 s over
    ``rate_limit.max_rpm``; with neither it is 0. A model is over when its ratio reaches
    ``rate_limit.threshold`` or this strategy's count reaches ``max_rpm``. The preferred
    model is the priority choice (``model_priority``, ``provider_priority``, then pool
    order). When it is over: ``switch_model`` takes the model under the threshold with
    the most headroom (ties to priority), or, when none is under, the one with the most
    capacity left; ``delay_request`` keeps it and waits until it is back under the
    threshold; ``queue`` keeps it and waits until a slot of ``max_rpm`` frees. Every
    choice also waits out ``rate_limit.min_delta`` since the model's last request.
    Nothing is ever deactivated for its rate. Without ``request.now`` there is no
    counting and no waiting.
    """

    def __init__(self, config: PoolRotationConfig) -> None:
        super().__init__(config)
        limits = self.config.rate_limit
        self._threshold = limits.threshold
        self._max_rpm = limits.max_rpm
        self._action = limits.action
        self._min_delta = limits.min_delta
        self.sends = SendLog(capacity=max(limits.max_rpm or 0, _MIN_CAPACITY))

    def usage_ratio(self, candidate: ModelSnapshot, now: datetime | None) -> float:
        """How much of the model's rate limit is used: 0 none, 1 all (more than 1 when
        this strategy sent it more than ``max_rpm``, every model being over)."""
        headroom = candidate.headroom
        if headroom is not None:
            return 1.0 - headroom
        if self._max_rpm is None or now is None:
            return 0.0
        return self._count(candidate, now) / self._max_rpm

    def is_over(self, candidate: ModelSnapshot, now: datetime | None) -> bool:
        """At or above the threshold, or at ``max_rpm`` by this strategy's count."""
        if self.usage_ratio(candidate, now) >= self._threshold:
            return True
        return self._max_rpm is not None and self._count(candidate, now) >= self._max_rpm

    def score(self, candidate: ModelSnapshot, request: SelectionRequest) -> float:
        """The headroom left, 0 to 1."""
        return max(1.0 - self.usage_ratio(candidate, request.now), 0.0)

    def select(
        self, candidates: Sequence[ModelSnapshot], request: SelectionRequest
    ) -> SelectionResult:
        active = active_candidates(candidates, request)
        now = request.now
        preferred = self.ranker.best(active) or active[0]
        wait = 0.0
        if not self.is_over(preferred, now):
            chosen, reason = preferred, "preferred model, under its rate-limit threshold"
        elif self._action is ThrottleAction.SWITCH_MODEL:
            chosen, reason = self._most_headroom(active, now)
        else:
            chosen = preferred
            wait = self._throttle_wait(preferred, now)
            reason = f"preferred model at its rate-limit threshold: {self._action.value}"
        score = self.score(chosen, request)
        if now is not None:
            wait = max(wait, self.sends.wait_for_gap(chosen.model_id, now, self._min_delta))
            self.sends.record(chosen.model_id, now + timedelta(seconds=wait))
        return SelectionResult.for_candidate(chosen, score, reason, delay_seconds=wait)

    def _most_headroom(
        self, active: list[ModelSnapshot], now: datetime | None
    ) -> tuple[ModelSnapshot, str]:
        under = [candidate for candidate in active if not self.is_over(candidate, now)]
        pool, reason = (
            (under, "switched: the preferred model is at its rate-limit threshold")
            if under
            else (active, "every model is at its rate-limit threshold: most capacity left")
        )
        unranked = self.ranker.size
        position = min(
            range(len(pool)),
            key=lambda i: (
                self.usage_ratio(pool[i], now),
                _rank_or(self.ranker.rank(pool[i]), unranked),
                i,
            ),
        )
        return pool[position], reason

    def _throttle_wait(self, candidate: ModelSnapshot, now: datetime | None) -> float:
        """How long ``delay_request`` or ``queue`` holds a request to an over model."""
        if now is None:
            return 0.0
        model_id = candidate.model_id
        if self._action is ThrottleAction.QUEUE:
            # A slot of max_rpm; without max_rpm, the oldest of our sends leaving.
            allowed = (
                self._max_rpm - 1
                if self._max_rpm is not None
                else len(self.sends.recent(model_id, now)) - 1
            )
            return self.sends.wait_until_at_most(model_id, now, allowed)
        # delay_request: back under the threshold. When the provider's headers put the
        # model there, only our whole last minute leaving can bring it back.
        limits = []
        if candidate.headroom is not None and 1.0 - candidate.headroom >= self._threshold:
            limits.append(0)
        if self._max_rpm is not None:
            limits.append(self._max_rpm - 1)
            if candidate.headroom is None:
                limits.append(_largest_count_under(self._threshold, self._max_rpm))
        return self.sends.wait_until_at_most(model_id, now, min(limits, default=0))

    def _count(self, candidate: ModelSnapshot, now: datetime | None) -> int:
        return 0 if now is None else len(self.sends.recent(candidate.model_id, now))


def _rank_or(rank: int | None, unranked: int) -> int:
    return unranked if rank is None else rank


def _largest_count_under(threshold: float, max_rpm: int) -> int:
    """The most sends whose ratio to ``max_rpm`` stays below ``threshold`` (-1: none)."""
    count = min(math.ceil(threshold * max_rpm), max_rpm)
    while count >= 0 and count / max_rpm >= threshold:
        count -= 1
    return count


class RateLimitAwareRotation(PoolRotationPolicy):
    """The pool's deactivation and recovery, with selection that keeps rate-limit headroom.

    Options are the pool's (PoolRotationConfig); its ``rate_limit`` section
    (``threshold``, ``min_delta``, ``max_rpm``, ``action``) and priority lists apply here.
    """

    selection_class = RateLimitAwareSelection
