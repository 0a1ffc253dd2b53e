"""An observability sink that keeps the mesh's routing events for the display."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from modelmesh.interfaces.observability import (
    AggregateStats,
    ObservabilityConnector,
    RequestLogEntry,
    RoutingEvent,
    TraceEntry,
)


class EventCollector(ObservabilityConnector):
    """Keeps each event until the demo takes it; the mesh may emit from another thread
    than the one reading, which a deque's appends and pops allow."""

    def __init__(self) -> None:
        self._events: deque[RoutingEvent] = deque()

    def emit(self, event: RoutingEvent) -> None:
        self._events.append(event)

    def drain(self) -> list[RoutingEvent]:
        """The events emitted since the last call, oldest first."""
        events = []
        while self._events:
            events.append(self._events.popleft())
        return events

    def log(self, entry: RequestLogEntry) -> None:
        """Not configured to receive logs: the demo reads the proxy's headers instead."""

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        """Not configured to receive statistics: the demo keeps its own tally."""

    def trace(self, entry: TraceEntry) -> None:
        """Not configured to receive traces."""
