"""Properties over generated configurations.

Strategies, leaf paths and their types are derived from the attrs classes by
introspection, so a field added to the schema is covered without touching this file;
only values with rules beyond their type (cross references, URLs, cron) are listed.
"""

from __future__ import annotations

import copy
import enum
import tempfile
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path as FilePath
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelmesh.config import ConfigError, MeshConfig, load_config
from modelmesh.config.converter import yaml_fields
from modelmesh.config.durations import Duration
from modelmesh.config.fields import ConnectorRef
from modelmesh.config.issues import format_path
from modelmesh.config.schema import ModelConfig, PoolConfig, ProviderConfig

from .conftest import FakeRegistry

SECRETS = {"OPENAI_KEY": "sk-live-123456", "PROXY_TOKEN": "tok-987"}
PROVIDER_KEYS = ("openai.llm.v1", "anthropic.claude.v1", "ollama.local.v1", "acme.gateway.v2")
MODEL_IDS = ("openai.gpt-4o", "anthropic.claude-sonnet", "ollama.llama3", "vllm.meta/llama-3.1")
CONNECTOR_IDS = ("modelmesh.console.v1", "modelmesh.file.v1", "acme.widget.v3", "x.y.v1")
ALWAYS = {
    "SinkConfig.connector",
    "ProxyAuthConfig.tokens",
    "MeshConfig.providers",
    "MeshConfig.models",
}
"""Fields the rest depends on: sinks without instances, auth, cross references."""
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

Path = tuple[Any, ...]

# --- generating valid canonical dicts -----------------------------------------------------

_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
_DURATION = st.one_of(
    st.integers(0, 10**6),
    st.floats(0, 10**5, allow_nan=False),
    st.sampled_from(["500ms", "1.5s", "30m", "1h", "7d", "0s"]),
)
_OPTIONS = st.dictionaries(
    st.from_regex(r"opt_[a-z]{1,6}", fullmatch=True),
    st.one_of(st.integers(-5, 5), st.booleans(), _WORD, st.lists(_WORD, max_size=2)),
    max_size=3,
)


def _unwrap_optional(type_: Any) -> tuple[Any, bool]:
    args = typing.get_args(type_)
    if typing.get_origin(type_) in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = [arg for arg in args if arg is not type(None)]
        return inner, True
    return type_, False


def _is_variadic_tuple(type_: Any) -> bool:
    args = typing.get_args(type_)
    return typing.get_origin(type_) is tuple and len(args) == 2 and args[1] is Ellipsis


def _type_strategy(type_: Any, overrides: Mapping[str, st.SearchStrategy[Any]]) -> Any:
    inner, optional = _unwrap_optional(type_)
    if optional:
        return st.one_of(st.none(), _type_strategy(inner, overrides))
    if type_ is bool:
        return st.booleans()
    if type_ is int:
        return st.integers(1, 10_000)
    if type_ is float:
        return st.one_of(st.floats(0, 1, allow_nan=False), st.sampled_from([0, 1]))
    if type_ is str:
        return _WORD
    if type_ is Duration:
        return _DURATION
    if type_ is ConnectorRef:
        return st.sampled_from(CONNECTOR_IDS)
    if isinstance(type_, type) and issubclass(type_, enum.Enum):
        return st.sampled_from([member.value for member in type_])
    if _is_variadic_tuple(type_):
        return st.lists(_type_strategy(typing.get_args(type_)[0], overrides), max_size=3)
    if type_ == dict[str, Any]:
        return _OPTIONS
    if attrs.has(type_):
        return class_strategy(type_, overrides)
    raise AssertionError(f"no strategy for {type_!r}; teach test_properties about it")


def class_strategy(
    cl: type, overrides: Mapping[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """Canonical data for an attrs class: required fields always, others sometimes."""
    attrs.resolve_types(cl)
    required, optional = {}, {}
    for field in attrs.fields(cl):
        if field.name not in yaml_fields(cl) or field.metadata.get("python_only"):
            continue
        strategy = overrides.get(f"{cl.__name__}.{field.name}")
        if strategy is None:
            strategy = _type_strategy(field.type, overrides)
        needed = field.default is attrs.NOTHING or f"{cl.__name__}.{field.name}" in ALWAYS
        (required if needed else optional)[field.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def _rules(providers: list[str], models: list[str]) -> dict[str, st.SearchStrategy[Any]]:
    """Values whose validity is more than their type."""
    provider_list = st.lists(st.sampled_from(providers), max_size=2) if providers else st.just([])
    model_list = st.lists(st.sampled_from(models), max_size=3) if models else st.just([])
    return {
        "ProviderConfig.connector": st.sampled_from(PROVIDER_KEYS),
        "SecretsConfig.store": st.sampled_from(["modelmesh.env.v1", "modelmesh.dotenv.v1"]),
        "SinkConfig.connector": st.sampled_from(CONNECTOR_IDS),
        "ProviderConfig.api_key": st.one_of(_WORD, st.just("${secrets:OPENAI_KEY}")),
        "ProviderConfig.base_url": st.sampled_from(
            ["https://api.example.com", "http://localhost:8000/v1/", "https://gw.local/x"]
        ),
        "PoolConfig.models": model_list,
        "PoolConfig.model_priority": model_list,
        "PoolConfig.providers": st.one_of(st.none(), provider_list),
        "PoolConfig.excluded_providers": provider_list,
        "PoolConfig.provider_priority": provider_list,
        "PoolConfig.strategy": st.sampled_from(["round-robin", "cost-first", "acme.smart.v2"]),
        "RetryConfig.initial_delay": st.sampled_from(["100ms", 0.5, "1s"]),
        "RetryConfig.max_delay": st.sampled_from(["10s", 5, "1m"]),
        "DeactivationConfig.maintenance_window": st.one_of(
            st.none(), st.sampled_from(["0 2 * * sun", "*/5 * * * *"])
        ),
        "DeactivationConfig.maintenance_duration": st.sampled_from(["1h", 60, "90m"]),
        "DeactivationConfig.error_codes": st.lists(st.sampled_from([429, 500, 503]), max_size=3),
        "ErrorCodesConfig.retryable_codes": st.lists(st.integers(100, 599), max_size=3),
        "ErrorCodesConfig.non_retryable_codes": st.lists(st.integers(100, 599), max_size=3),
        "RetryConfig.retryable_codes": st.lists(st.integers(100, 599), max_size=3),
        "RetryConfig.non_retryable_codes": st.lists(st.integers(100, 599), max_size=3),
        "SinkConfig.channels": st.lists(
            st.sampled_from(["events", "logs", "statistics", "traces"]), min_size=1, max_size=4
        ),
        "SinkConfig.redact": st.just(True),
        "DiscoverySyncConfig.providers": st.one_of(st.none(), provider_list),
        "DiscoveryHealthConfig.providers": st.one_of(st.none(), provider_list),
        "ConnectorsConfig.packages": st.lists(
            st.sampled_from(["/opt/mm/acme.zip", f"https://example.com/p.zip#sha256={'a1' * 32}"]),
            max_size=2,
        ),
        "ProxyConfig.port": st.integers(1, 65535),
        "ProxyAuthConfig.tokens": st.lists(
            st.one_of(_WORD, st.just("${secrets:PROXY_TOKEN}")), min_size=1, max_size=2
        ),
        "PluginsConfig.allow": st.one_of(
            st.none(), st.lists(st.sampled_from(["openai.*", "provider:openai.llm.v1"]))
        ),
        "PluginsConfig.deny": st.lists(st.sampled_from(["acme.*", "storage.acme.kv.v1"])),
    }


@st.composite
def config_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid configuration in canonical form, with consistent cross references."""
    providers = draw(st.lists(st.sampled_from(PROVIDER_KEYS), unique=True, max_size=3))
    models = draw(st.lists(st.sampled_from(MODEL_IDS), unique=True, max_size=3))
    models = models if providers else []
    pools = draw(st.lists(st.sampled_from(["chat", "text-generation", "embed"]), unique=True))
    rules = _rules(providers, models)
    if providers:
        rules["ModelConfig.provider"] = st.sampled_from(providers)
    rules["MeshConfig.providers"] = _entries(providers, ProviderConfig, rules)
    rules["MeshConfig.models"] = _entries(models, ModelConfig, rules)
    rules["MeshConfig.pools"] = _entries(pools, PoolConfig, rules)
    return draw(class_strategy(MeshConfig, rules))


def _entries(
    keys: list[str], cl: type, rules: Mapping[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({key: class_strategy(cl, rules) for key in keys})


def _load(source: Any) -> MeshConfig:
    return load_config(source, registry=FakeRegistry(SECRETS), environ={})


# --- leaf paths, by introspection -------------------------------------------------------------


def leaf_paths(cl: type, data: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every typed leaf the data holds or could hold, with its declared type."""
    attrs.resolve_types(cl)
    data = data if isinstance(data, Mapping) else {}
    for field in attrs.fields(cl):
        if field.name not in yaml_fields(cl) or field.type is Any or field.type == dict[str, Any]:
            continue
        type_, _ = _unwrap_optional(field.type)
        path = (*prefix, field.name)
        value = data.get(field.name)
        args = typing.get_args(type_)
        if attrs.has(type_):
            yield from leaf_paths(type_, value, path)
        elif typing.get_origin(type_) is dict and attrs.has(args[1]):
            for key, item in (value or {}).items():
                yield from leaf_paths(args[1], item, (*path, key))
        elif _is_variadic_tuple(type_) and attrs.has(args[0]):
            for index, item in enumerate(value or []):
                yield from leaf_paths(args[0], item, (*path, index))
        else:
            yield path, field.type


def invalid_value(type_: Any) -> Any:
    """A value no field of this type accepts."""
    type_, _ = _unwrap_optional(type_)
    if type_ is bool:
        return "not-a-bool"
    if type_ in (int, float):
        return "lots"
    if type_ is str:
        return 12345
    if type_ is Duration:
        return "5 parsecs"
    if type_ is ConnectorRef:
        return "Not A Connector"
    if isinstance(type_, type) and issubclass(type_, enum.Enum):
        return "no-such-choice"
    if _is_variadic_tuple(type_):
        return {"not": "a list"}
    raise AssertionError(f"no invalid value for {type_!r}")


def set_path(data: dict[str, Any], path: Path, value: Any) -> None:
    target: Any = data
    for key in path[:-1]:
        if isinstance(target, dict) and not isinstance(target.get(key), dict | list):
            target[key] = {}  # absent, or an optional section left out with null
        target = target[key]
    target[path[-1]] = value


def class_locations(cl: type, data: Any, prefix: Path = ()) -> Iterator[tuple[Path, type]]:
    """Every mapping in the data that structures into an attrs class."""
    if not isinstance(data, Mapping):
        return
    yield prefix, cl
    attrs.resolve_types(cl)
    for field in attrs.fields(cl):
        type_, _ = _unwrap_optional(field.type)
        value = data.get(field.name)
        args = typing.get_args(type_)
        if attrs.has(type_):
            yield from class_locations(type_, value, (*prefix, field.name))
        elif typing.get_origin(type_) is dict and attrs.has(args[1]):
            for key, item in (value or {}).items():
                yield from class_locations(args[1], item, (*prefix, field.name, key))
        elif _is_variadic_tuple(type_) and attrs.has(args[0]):
            for index, item in enumerate(value or []):
                yield from class_locations(args[0], item, (*prefix, field.name, index))


def _issue_paths(source: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        _load(source)
    return [issue.path for issue in raised.value.issues]


# --- the properties ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(config_dicts())
def test_to_dict_loads_back_to_an_equal_config(data: dict[str, Any]) -> None:
    config = _load(data)
    assert _load(config.to_dict()) == config


@PROPERTY_SETTINGS
@given(config_dicts())
def test_a_yaml_dump_of_to_dict_loads_back_to_an_equal_config(data: dict[str, Any]) -> None:
    config = _load(data)
    with tempfile.TemporaryDirectory() as folder:
        path = FilePath(folder) / "dumped.yaml"
        path.write_text(yaml.safe_dump(config.to_dict()), encoding="utf-8")
        assert _load(path) == config


@PROPERTY_SETTINGS
@given(config_dicts(), st.data())
def test_any_invalid_value_yields_an_error_naming_its_path(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    path, type_ = draw.draw(st.sampled_from(list(leaf_paths(MeshConfig, data))))
    broken = copy.deepcopy(data)
    set_path(broken, path, invalid_value(type_))
    assert format_path(path) in _issue_paths(broken)


@PROPERTY_SETTINGS
@given(config_dicts(), st.data())
def test_all_errors_are_reported_at_once(data: dict[str, Any], draw: st.DataObject) -> None:
    leaves = list(leaf_paths(MeshConfig, data))
    chosen = draw.draw(
        st.lists(st.sampled_from(leaves), min_size=1, max_size=5, unique_by=lambda leaf: leaf[0])
    )
    broken = copy.deepcopy(data)
    for path, type_ in chosen:
        set_path(broken, path, invalid_value(type_))
    assert sorted(_issue_paths(broken)) == sorted(format_path(path) for path, _ in chosen)


@PROPERTY_SETTINGS
@given(config_dicts(), st.data())
def test_an_unknown_key_gets_the_closest_key_suggested(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    where, cl = draw.draw(st.sampled_from(list(class_locations(MeshConfig, data))))
    known = yaml_fields(cl)
    original = draw.draw(st.sampled_from(known))
    position = draw.draw(st.integers(0, len(original) - 1))
    typo = original[: position + 1] + original[position:]
    if typo in known:
        return
    broken = copy.deepcopy(data)
    target: Any = broken
    for key in where:
        target = target[key]
    target[typo] = 1
    with pytest.raises(ConfigError) as raised:
        _load(broken)
    issues = {issue.path: issue.message for issue in raised.value.issues}
    message = issues[format_path((*where, typo))]
    assert message.startswith(f"unknown key {typo!r} (did you mean '")
