from __future__ import annotations

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from modelmesh.clock import ManualClock
from modelmesh_cdk.mixins.cache import CacheMixin, CacheStats


class Cached(CacheMixin):
    def __init__(self, *, ttl_ms: float = 1000, max_entries: int = 3) -> None:
        self._clock = ManualClock()
        self._init_cache(ttl_ms=ttl_ms, max_entries=max_entries)


def test_a_stored_value_is_returned_and_counted_as_a_hit():
    cache = Cached()
    cache._cache_set("models", ["a"])
    assert cache._cache_get("models") == ["a"]
    assert cache._cache_stats() == CacheStats(hits=1, misses=0, evictions=0, size=1)


def test_a_missing_key_is_a_miss():
    cache = Cached()
    assert cache._cache_get("models") is None
    assert cache._cache_stats().misses == 1


def test_an_entry_lives_exactly_its_ttl():
    cache = Cached(ttl_ms=1000)
    cache._cache_set("k", 1)
    cache._clock.advance(1.0)
    assert cache._cache_get("k") == 1
    cache._clock.advance(0.001)
    assert cache._cache_get("k") is None


def test_an_expired_entry_is_dropped_when_read():
    cache = Cached(ttl_ms=1000)
    cache._cache_set("k", 1)
    cache._clock.advance(2.0)
    cache._cache_get("k")
    assert cache._cache_stats().size == 0


def test_the_least_recently_used_entry_is_evicted():
    cache = Cached(max_entries=2)
    cache._cache_set("a", 1)
    cache._cache_set("b", 2)
    cache._cache_get("a")
    cache._cache_set("c", 3)
    assert cache._cache_get("b") is None
    assert cache._cache_get("a") == 1
    assert cache._cache_stats().evictions == 1


def test_overwriting_a_key_does_not_evict():
    cache = Cached(max_entries=1)
    cache._cache_set("a", 1)
    cache._cache_set("a", 2)
    assert cache._cache_get("a") == 2
    assert cache._cache_stats().evictions == 0


def test_clear_forgets_entries_and_counters():
    cache = Cached()
    cache._cache_set("a", 1)
    cache._cache_get("a")
    cache._cache_clear()
    assert cache._cache_stats() == CacheStats()


def test_invalidating_a_prefix_forgets_only_the_keys_starting_with_it():
    cache = Cached(max_entries=4)
    for key in ("db", "db#user", "db#password", "dbx"):
        cache._cache_set(key, key)
    cache._cache_invalidate_prefix("db#")
    assert [cache._cache_get(key) for key in ("db", "db#user", "db#password", "dbx")] == [
        "db",
        None,
        None,
        "dbx",
    ]


def test_a_cache_needs_room_for_one_entry():
    with pytest.raises(ValueError, match="max_entries"):
        Cached(max_entries=0)


KEYS = st.sampled_from(["a", "b", "c", "d", "e"])


class CacheAgainstModel(RuleBasedStateMachine):
    """The cache behaves like a plain dict with explicit recency and creation times."""

    MAX = 3
    TTL_MS = 1000

    def __init__(self) -> None:
        super().__init__()
        self.cache = Cached(ttl_ms=self.TTL_MS, max_entries=self.MAX)
        self.entries: dict[str, tuple[float, Any]] = {}
        self.recency: list[str] = []  # least recently used first
        self.hits = self.misses = self.evictions = 0

    def now(self) -> float:
        return self.cache._clock.monotonic()

    def touch(self, key: str) -> None:
        if key in self.recency:
            self.recency.remove(key)
        self.recency.append(key)

    @rule(key=KEYS, value=st.integers())
    def set(self, key: str, value: int) -> None:
        if key not in self.entries and len(self.entries) >= self.MAX:
            oldest = self.recency.pop(0)
            del self.entries[oldest]
            self.evictions += 1
        self.entries[key] = (self.now(), value)
        self.touch(key)
        self.cache._cache_set(key, value)

    @rule(key=KEYS)
    def get(self, key: str) -> None:
        got = self.cache._cache_get(key)
        entry = self.entries.get(key)
        if entry is not None and (self.now() - entry[0]) * 1000 <= self.TTL_MS:
            self.hits += 1
            self.touch(key)
            assert got == entry[1]
        else:
            if entry is not None:
                del self.entries[key]
                self.recency.remove(key)
            self.misses += 1
            assert got is None

    @rule(key=KEYS)
    def invalidate(self, key: str) -> None:
        self.cache._cache_invalidate(key)
        if self.entries.pop(key, None) is not None:
            self.recency.remove(key)

    @rule()
    def clear(self) -> None:
        self.cache._cache_clear()
        self.entries.clear()
        self.recency.clear()
        self.hits = self.misses = self.evictions = 0

    @rule(seconds=st.sampled_from([0.0, 0.1, 0.5, 1.0, 1.5]))
    def advance(self, seconds: float) -> None:
        self.cache._clock.advance(seconds)

    @invariant()
    def size_never_exceeds_max_entries(self) -> None:
        assert self.cache._cache_stats().size <= self.MAX

    @invariant()
    def the_evicted_entry_was_the_least_recently_used(self) -> None:
        assert set(self.cache._cache_store) == set(self.entries)

    @invariant()
    def stats_add_up(self) -> None:
        assert self.cache._cache_stats() == CacheStats(
            hits=self.hits, misses=self.misses, evictions=self.evictions, size=len(self.entries)
        )


TestCacheAgainstModel = CacheAgainstModel.TestCase
TestCacheAgainstModel.settings = settings(deadline=None)
