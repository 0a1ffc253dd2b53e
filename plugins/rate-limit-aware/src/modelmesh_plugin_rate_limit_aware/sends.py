"""What this strategy sent to each model in the last minute: the local rate count."""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta

__all__ = ["WINDOW", "SendLog"]

WINDOW = timedelta(seconds=60)
"""The span ``max_rpm`` counts over."""


class SendLog:
    """Send times per model, oldest first, kept for one ``WINDOW``.

    Times may lie ahead of ``now``: a delayed request counts from when it goes out.
    At most ``capacity`` times are kept per model (the oldest go first), which is all
    a count against ``max_rpm`` needs.
    """

    def __init__(self, *, capacity: int) -> None:
        self._capacity = capacity
        self._sends: dict[str, list[datetime]] = {}
        self._latest: dict[str, datetime] = {}

    def recent(self, model_id: str, now: datetime) -> list[datetime]:
        """The model's sends after ``now - WINDOW``, oldest first (older ones are dropped)."""
        sends = self._sends.get(model_id)
        if not sends:
            return []
        gone = bisect.bisect_right(sends, now - WINDOW)
        if gone:
            del sends[:gone]
        return sends

    def record(self, model_id: str, at: datetime) -> None:
        sends = self._sends.setdefault(model_id, [])
        bisect.insort(sends, at)
        if len(sends) > self._capacity:
            del sends[0]
        latest = self._latest.get(model_id)
        self._latest[model_id] = at if latest is None else max(latest, at)

    def wait_until_at_most(self, model_id: str, now: datetime, allowed: int) -> float:
        """Seconds until no more than ``allowed`` of the model's sends are in the window."""
        sends = self.recent(model_id, now)
        excess = len(sends) - max(allowed, 0)
        if excess <= 0:
            return 0.0
        return max((sends[excess - 1] + WINDOW - now).total_seconds(), 0.0)

    def wait_for_gap(self, model_id: str, now: datetime, gap: float) -> float:
        """Seconds until ``gap`` seconds have passed since the model's latest send."""
        latest = self._latest.get(model_id)
        if latest is None or gap <= 0:
            return 0.0
        return max((latest + timedelta(seconds=gap) - now).total_seconds(), 0.0)
