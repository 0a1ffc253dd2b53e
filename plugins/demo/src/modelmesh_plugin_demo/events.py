"""An observability sink that keeps the mesh's routing events for the display."""

from __future__ import annotations

from collections.abc import Mapping

from modelmesh.interfaces.observability import (
    AggregateStats,
    ObservabilityConnector,
    RequestLogEntry,
    RoutingEvent,
    TraceEntry,
)


class EventCollector(ObservabilityConnector):
    """Keeps each event until the demo takes it. The proxy's mesh emits on the event loop
    the demo reads on, between two requests, so a plain list needs no lock."""

    def __init__(self) -> None:
        self._events: list[RoutingEvent] = []

    def emit(self, event: RoutingEvent) -> None:
        self._events.append(event)

    def drain(self) -> list[RoutingEvent]:
        """The events emitted since the last call, oldest first."""
        events, self._events = self._events, []
        return events

    def log(self, entry: RequestLogEntry) -> None:
        """Not configured to receive logs: the demo reads the proxy's headers instead."""

    def flush(self, stats: Mapping[str, AggregateStats]) -> None:
        """Not configured to receive statistics: the demo keeps its own tally."""

    def trace(self, entry: TraceEntry) -> None:
        """Not configured to receive traces."""
