"""What happened to each request, and the counts the summary table shows."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping

import attrs

from modelmesh.interfaces.observability import EventType, RoutingEvent


@attrs.frozen
class Call:
    """One call the proxy made to a fake provider, and the status it got."""

    provider: str
    status: int


@attrs.frozen
class Outcome:
    """One request as the client saw it, with the provider calls it took.

    ``model`` and ``provider`` come from the proxy's ``x-modelmesh-*`` headers; both are
    None when the request got no answer (``error`` says why).
    """

    number: int
    at: float
    """Seconds since the first request was sent."""
    model: str | None
    provider: str | None
    attempts: int
    latency_ms: float
    calls: tuple[Call, ...]
    error: str | None = None

    @property
    def failover(self) -> bool:
        """Whether another provider than the first one called served the request."""
        first = self.calls[0].provider if self.calls else None
        return self.provider is not None and first is not None and first != self.provider


@attrs.frozen
class ModelRow:
    """One model's line of the summary table."""

    model: str
    provider: str
    served: int
    p50_ms: float | None
    failed_calls: int
    cooldowns: int
    recoveries: int


class Tally:
    """Counts requests, calls and the mesh's events for the summary.

    ``models`` maps each model ID to its provider, in the order the table lists them.
    """

    def __init__(self, models: Mapping[str, str]) -> None:
        self.models = dict(models)
        self.outcomes: list[Outcome] = []
        self.events: list[RoutingEvent] = []

    def add(self, outcome: Outcome, events: Iterable[RoutingEvent]) -> None:
        self.outcomes.append(outcome)
        self.events.extend(events)

    @property
    def answered(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.model is not None)

    @property
    def failovers(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.failover)

    def count(self, event_type: EventType) -> int:
        return sum(1 for event in self.events if event.event_type is event_type)

    @property
    def p50_ms(self) -> float | None:
        return _median(o.latency_ms for o in self.outcomes if o.model is not None)

    def rows(self) -> list[ModelRow]:
        failed = Counter(
            call.provider for o in self.outcomes for call in o.calls if call.status != 200
        )
        rows = []
        for model, provider in self.models.items():
            served = [o.latency_ms for o in self.outcomes if o.model == model]
            rows.append(
                ModelRow(
                    model=model,
                    provider=provider,
                    served=len(served),
                    p50_ms=_median(served),
                    failed_calls=failed[provider],
                    cooldowns=self._model_events(EventType.MODEL_DEACTIVATED, model),
                    recoveries=self._model_events(EventType.MODEL_ACTIVATED, model),
                )
            )
        return rows

    def _model_events(self, event_type: EventType, model: str) -> int:
        return sum(1 for e in self.events if e.event_type is event_type and e.model_id == model)


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None
