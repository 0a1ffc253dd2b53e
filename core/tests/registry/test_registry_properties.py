"""Invariants of the catalogue, for any sequence of registrations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.errors import DuplicateConnectorError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.plugin_filter import PluginFilter
from modelmesh.registry import ConnectorRegistry

segment = st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,3})?", fullmatch=True)
connector_ids = st.builds(lambda a, b, v: f"{a}.{b}.v{v}", segment, segment, st.integers(1, 3))
keys = st.tuples(st.sampled_from(list(ConnectorType)), connector_ids)
distinct_keys = st.lists(keys, unique=True, max_size=12)


def fresh_registry() -> ConnectorRegistry:
    return ConnectorRegistry(plugin_filter=PluginFilter(), load_entry_points=False)


def register_all(registry, pairs):
    for kind, connector_id in pairs:
        registry.register(connector_id, object(), connector_type=kind)


def listed(registry, kind=None):
    return [(i.connector_type, i.id) for i in registry.list_connectors(kind)]


@given(distinct_keys)
def test_distinct_registrations_are_listed_exactly_and_sorted(pairs):
    registry = fresh_registry()

    register_all(registry, pairs)

    assert listed(registry) == sorted(pairs, key=lambda p: (p[0].value, p[1]))


@given(distinct_keys, st.data())
def test_a_duplicate_always_raises_and_changes_nothing(pairs, data):
    if not pairs:
        pairs = [(ConnectorType.PROVIDER, "acme.llm.v1")]
    registry = fresh_registry()
    register_all(registry, pairs)
    before = registry.list_connectors()
    kind, connector_id = data.draw(st.sampled_from(pairs))

    with pytest.raises(DuplicateConnectorError):
        registry.register(connector_id, object(), connector_type=kind)

    assert registry.list_connectors() == before


@given(distinct_keys, st.sampled_from(list(ConnectorType)))
def test_listing_by_type_is_the_filtered_full_listing(pairs, kind):
    registry = fresh_registry()
    register_all(registry, pairs)

    assert listed(registry, kind) == [p for p in listed(registry) if p[0] is kind]


@given(distinct_keys)
def test_every_registration_is_found_by_its_qualified_and_full_id(pairs):
    registry = fresh_registry()
    implementations = {}
    for kind, connector_id in pairs:
        implementations[kind, connector_id] = object()
        registry.register(connector_id, implementations[kind, connector_id], connector_type=kind)

    for (kind, connector_id), implementation in implementations.items():
        assert registry.get_connector(f"{kind.value}:{connector_id}") is implementation
        assert registry.get_connector(f"{kind.value}.{connector_id}") is implementation
