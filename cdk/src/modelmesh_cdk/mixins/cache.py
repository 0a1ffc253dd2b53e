"""An in-memory cache with a time to live and least-recently-used eviction.

Connectors cache what is slow to fetch and rarely changes (a model catalogue, a
resolved secret). Entries expire lazily: an expired entry is dropped when it is read,
so no background task is needed. The store is an OrderedDict kept in recency order,
which makes both a hit and an eviction O(1).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import attrs

from modelmesh.clock import SYSTEM_CLOCK, Clock

__all__ = ["CacheMixin", "CacheStats"]


@attrs.frozen
class CacheStats:
    """Counters since the cache was initialized or last cleared, and its current size."""

    hits: int = 0
    misses: int = 0
    evictions: int = 0
    size: int = 0


class CacheMixin:
    """A TTL cache with LRU eviction; call ``_init_cache`` before use.

    Time is read from ``self._clock`` (the system clock unless the instance sets one).
    """

    _clock: Clock = SYSTEM_CLOCK
    _cache_store: OrderedDict[str, tuple[float, Any]]
    _cache_ttl_ms: float
    _cache_max_entries: int
    _cache_hits: int
    _cache_misses: int
    _cache_evictions: int

    def _init_cache(self, ttl_ms: float = 60_000, max_entries: int = 1024) -> None:
        """Start with an empty cache: entries live ``ttl_ms`` milliseconds and at most
        ``max_entries`` are kept."""
        if ttl_ms < 0:
            raise ValueError(f"ttl_ms must be zero or more, got {ttl_ms}")
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        self._cache_store = OrderedDict()
        self._cache_ttl_ms = ttl_ms
        self._cache_max_entries = max_entries
        self._cache_clear()

    def _cache_get(self, key: str) -> Any | None:
        """The cached value, or None when the key is missing or its entry has expired."""
        entry = self._cache_store.get(key)
        if entry is not None:
            created, value = entry
            if (self._clock.monotonic() - created) * 1000 <= self._cache_ttl_ms:
                self._cache_store.move_to_end(key)
                self._cache_hits += 1
                return value
            del self._cache_store[key]
        self._cache_misses += 1
        return None

    def _cache_set(self, key: str, value: Any) -> None:
        """Store value under key, fresh and most recently used; evict the least recently
        used entry when a new key would exceed ``max_entries``."""
        if key in self._cache_store:
            self._cache_store.move_to_end(key)
        elif len(self._cache_store) >= self._cache_max_entries:
            self._cache_store.popitem(last=False)
            self._cache_evictions += 1
        self._cache_store[key] = (self._clock.monotonic(), value)

    def _cache_invalidate(self, key: str) -> None:
        """Forget key (nothing happens when it is not cached)."""
        self._cache_store.pop(key, None)

    def _cache_invalidate_prefix(self, prefix: str) -> None:
        """Forget every key starting with prefix, for keys derived from one source (a
        secret and its ``name#key`` reads). O(n) in the cache's size: it scans every key."""
        for key in [key for key in self._cache_store if key.startswith(prefix)]:
            del self._cache_store[key]

    def _cache_clear(self) -> None:
        """Forget every entry and reset the counters."""
        self._cache_store.clear()
        self._cache_hits = 0
        self._cache_misses = 0
        self._cache_evictions = 0

    def _cache_stats(self) -> CacheStats:
        return CacheStats(
            hits=self._cache_hits,
            misses=self._cache_misses,
            evictions=self._cache_evictions,
            size=len(self._cache_store),
        )
