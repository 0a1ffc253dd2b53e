"""The session table: which model each live session is pinned to, bounded in size."""

from __future__ import annotations

from collections import Counter, OrderedDict
from datetime import datetime, timedelta

import attrs

__all__ = ["SessionTable"]


@attrs.define
class _Pin:
    model_id: str
    last_used: datetime | None


class SessionTable:
    """Session -> model pins, least recently used first.

    A pin expires ``timeout`` seconds after its last use (time only from the caller's
    ``now``; a pin used without a time never expires by age). At ``capacity`` the
    least recently used pin makes room for a new one, after the expired ones went, so
    memory stays bounded however many sessions pass.
    """

    def __init__(self, *, timeout: float, capacity: int) -> None:
        self._timeout = timedelta(seconds=timeout)
        self._capacity = capacity
        self._pins: OrderedDict[str, _Pin] = OrderedDict()
        self._load: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._pins)

    def get(self, session_id: str, now: datetime | None) -> str | None:
        """The model the session is pinned to, None when it has no live pin."""
        pin = self._pins.get(session_id)
        if pin is None or self._expired(pin, now):
            return None
        return pin.model_id

    def load(self, model_id: str) -> int:
        """How many pins point at the model (expired ones count until dropped)."""
        return self._load[model_id]

    def pin(self, session_id: str, model_id: str, now: datetime | None) -> None:
        """Pin (or re-pin) the session to the model, as used at ``now``."""
        old = self._pins.pop(session_id, None)
        if old is not None:
            self._drop_load(old.model_id)
        self._pins[session_id] = _Pin(model_id, now)
        self._load[model_id] += 1
        while len(self._pins) > self._capacity:
            self._pop_oldest()

    def expire(self, now: datetime | None) -> None:
        """Drop the expired pins; they sit at the front, least recently used first."""
        while self._pins and self._expired(next(iter(self._pins.values())), now):
            self._pop_oldest()

    def _expired(self, pin: _Pin, now: datetime | None) -> bool:
        return (
            now is not None and pin.last_used is not None and now - pin.last_used >= self._timeout
        )

    def _pop_oldest(self) -> None:
        _, pin = self._pins.popitem(last=False)
        self._drop_load(pin.model_id)

    def _drop_load(self, model_id: str) -> None:
        self._load[model_id] -= 1
        if not self._load[model_id]:
            del self._load[model_id]
