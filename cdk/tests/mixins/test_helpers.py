from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmesh.config import durations
from modelmesh_cdk.helpers import (
    format_duration,
    merge_configs,
    parse_duration,
    redact_secret,
    validate_connector_id,
)


def test_durations_are_the_cores():
    assert (parse_duration, format_duration) == (
        durations.parse_duration,
        durations.format_duration,
    )


def test_parse_and_format_duration_examples():
    assert (parse_duration("30s"), format_duration(300)) == (30.0, "5m")


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        ("sk-abc123xyz", "sk-***"),
        ("ghp_1234567890", "ghp_***"),
        ("abcdefghijkl", "abcd***"),
        ("key-with-dash", "key-***"),
        ("abcde", "***"),
        ("", "***"),
    ],
)
def test_redact_secret_keeps_only_a_short_prefix(secret, shown):
    assert redact_secret(secret) == shown


def test_redact_secret_never_shows_most_of_a_short_value():
    assert redact_secret("abcde-f") == "***"


@given(st.text(min_size=6))
def test_redact_secret_never_shows_the_end_of_the_value(secret):
    shown = redact_secret(secret)
    assert shown.endswith("***")
    assert len(shown) - 3 <= len(secret) // 2


def test_merge_configs_merges_nested_mappings():
    base = {"http": {"timeout": 30, "retries": 3}, "name": "a"}
    override = {"http": {"timeout": 5}}
    assert merge_configs(base, override) == {"http": {"timeout": 5, "retries": 3}, "name": "a"}


def test_merge_configs_replaces_lists():
    assert merge_configs({"codes": [429, 500]}, {"codes": [503]}) == {"codes": [503]}


def test_the_merged_result_shares_nothing_with_the_inputs():
    base = {"codes": [429], "http": {"headers": {"a": "1"}}}
    merged = merge_configs(base, {})
    merged["codes"].append(500)
    merged["http"]["headers"]["b"] = "2"
    assert base == {"codes": [429], "http": {"headers": {"a": "1"}}}


CONFIGS = st.recursive(
    st.none() | st.integers() | st.text(max_size=3) | st.lists(st.integers(), max_size=3),
    lambda children: st.dictionaries(st.sampled_from("abcd"), children, max_size=4),
    max_leaves=10,
)
MAPPINGS = st.dictionaries(st.sampled_from("abcd"), CONFIGS, max_size=4)


def leaves(config, path=()):
    for key, value in config.items():
        if isinstance(value, dict):
            yield from leaves(value, (*path, key))
        else:
            yield (*path, key), value


def lookup(config, path):
    for key in path:
        config = config[key]
    return config


@given(MAPPINGS, MAPPINGS)
def test_every_override_leaf_wins(base, override):
    merged = merge_configs(base, override)
    for path, value in leaves(override):
        assert lookup(merged, path) == value


def assert_keys_kept(base, override, merged):
    assert set(merged) == set(base) | set(override)
    for key in base.keys() & override.keys():
        if isinstance(base[key], dict) and isinstance(override[key], dict):
            assert_keys_kept(base[key], override[key], merged[key])


@given(MAPPINGS, MAPPINGS)
def test_every_base_key_is_kept(base, override):
    assert_keys_kept(base, override, merge_configs(base, override))


@given(MAPPINGS, MAPPINGS)
def test_merge_configs_leaves_its_inputs_untouched(base, override):
    before = copy.deepcopy((base, override))
    merge_configs(base, override)
    assert (base, override) == before


@pytest.mark.parametrize(
    "text",
    ["provider.openai.chat.v1", "secret_store.vault.kv.v2", "rotation.modelmesh.round-robin.v1"],
)
def test_full_connector_ids_are_valid(text):
    assert validate_connector_id(text)


@pytest.mark.parametrize(
    "text",
    [
        "openai.chat.v1",  # short form: no type
        "provider.openai.v1",  # three segments
        "provider.openai.chat.extra.v1",  # five segments
        "widget.openai.chat.v1",  # not a connector type
        "provider.openai.chat.1",  # no version segment
        "Provider.OpenAI.chat.v1",
        "provider:openai.chat.v1",  # qualified form
        "",
    ],
)
def test_other_forms_are_not_full_connector_ids(text):
    assert not validate_connector_id(text)
