"""What the in-memory store adds to the conformance suite: isolation between
instances, the cache on an injected clock, and no value in its repr."""

from __future__ import annotations

from modelmesh.clock import ManualClock
from modelmesh_plugin_memory_secrets.connector import MemorySecretsSecretStore


def test_management_changes_only_its_own_instance() -> None:
    secrets = {"API_KEY": "sk-original-1"}
    first = MemorySecretsSecretStore({"secrets": secrets})
    second = MemorySecretsSecretStore({"secrets": secrets})
    first.set("API_KEY", "sk-rotated-2")
    assert (second.get("API_KEY"), secrets["API_KEY"]) == ("sk-original-1", "sk-original-1")


def test_the_options_repr_shows_a_count_not_values() -> None:
    store = MemorySecretsSecretStore({"secrets": {"API_KEY": "sk-hidden-4410"}})
    assert "sk-hidden-4410" not in repr(store.config)


def test_a_value_written_behind_the_cache_is_seen_after_the_ttl() -> None:
    clock = ManualClock()
    store = MemorySecretsSecretStore(
        {"secrets": {"API_KEY": "old-1"}, "cache_ttl": "60s"}, clock=clock
    )
    store.get("API_KEY")
    store._secrets["API_KEY"] = "new-2"  # a change that bypasses set(), like a backend's
    clock.advance(61)
    assert store.get("API_KEY") == "new-2"


def test_a_cached_value_is_served_within_the_ttl() -> None:
    clock = ManualClock()
    store = MemorySecretsSecretStore(
        {"secrets": {"API_KEY": "old-1"}, "cache_ttl": "60s"}, clock=clock
    )
    store.get("API_KEY")
    store._secrets["API_KEY"] = "new-2"
    clock.advance(59)
    assert store.get("API_KEY") == "old-1"
