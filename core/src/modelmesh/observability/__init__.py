"""Events, request logs, statistics and traces, fanned out to the configured sinks."""

from __future__ import annotations

from modelmesh.observability.observer import Observer
from modelmesh.observability.statistics import StatisticsAggregator, percentile, scope_id

__all__ = ["Observer", "StatisticsAggregator", "percentile", "scope_id"]
