"""Variant layouts -> the canonical form, on plain data before structuring.

A configuration may write the same thing in several layouts (docs/configuration.md
lists them); each is rewritten here into the one layout the schema classes mirror.
Every value that moves is recorded in the IssueLog so a later error still points at
the key the user wrote. Paths given to the helpers below are canonical: where the
value ends up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from modelmesh.config.converter import yaml_fields
from modelmesh.config.fields import connector_id, looks_like_connector_id
from modelmesh.config.issues import InvalidValue, IssueLog, Path, closest, format_path
from modelmesh.config.schema import (
    Channel,
    DiscoveryConnectorConfig,
    PoolConfig,
    ProviderConfig,
    SecretsConfig,
    SinkConfig,
    StorageConfig,
)
from modelmesh.connector_ids import STRATEGY_SHORT_NAMES, strategy_connector_id

SECTIONS = (
    "secrets",
    "providers",
    "models",
    "pools",
    "storage",
    "observability",
    "discovery",
    "connectors",
    "proxy",
    "plugins",
)
NEAR_MISS = 0.8
"""An open section's unknown key this similar to a known key is a typo, not an option."""

_ROTATION_SECTIONS = ("deactivation", "recovery", "retry", "rate_limit")
_PERSISTENCE_KEYS = ("sync_policy", "sync_interval", "format", "compression", "encryption")
_VARIANT_A = {
    "routing": Channel.EVENTS,
    "logging": Channel.LOGS,
    "statistics": Channel.STATISTICS,
    "tracing": Channel.TRACES,
}
_SINK_LISTS = ("sinks", "connectors")
_VARIANT_A_CONNECTOR = "modelmesh.console.v1"
_FILE_SINK_ALIASES = {"modelmesh.local-file.v1": "modelmesh.file.v1"}
_SYNC_CONNECTOR = "modelmesh.registry-sync.v1"
_HEALTH_CONNECTOR = "modelmesh.health-monitor.v1"
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SHA256_PIN = re.compile(r"sha256=([0-9a-fA-F]{64})")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_PIN_HELP = (
    "append the file's sha256 digest as '#sha256=<64 hex digits>' (for example from "
    "'sha256sum package.zip'), or write {url: ..., sha256: ...}"
)


class Normalizer:
    """Rewrites one configuration's variant layouts; issues go to the log."""

    def __init__(self, log: IssueLog, *, base_dir: str | None = None) -> None:
        self.log = log
        self.base_dir = base_dir
        self._inline_models: dict[Any, tuple[dict[Any, Any], Path]] = {}
        self._sections: dict[str, Callable[[Any, Path], Any]] = {
            "secrets": self._secrets,
            "providers": self._providers,
            "models": self._models,
            "pools": self._pools,
            "storage": self._storage,
            "observability": self._observability,
            "discovery": self._discovery,
            "connectors": self._connectors,
            "proxy": self._proxy,
        }

    def run(self, data: Mapping[Any, Any]) -> dict[Any, Any]:
        """The canonical form of a whole configuration."""
        result = {key: self.section(key, value) for key, value in data.items()}
        if self._inline_models:
            self._merge_inline_models(result)
        return result

    def section(self, name: Any, value: Any) -> Any:
        """The canonical form of one top-level section; unknown ones pass unchanged."""
        handler = self._sections.get(name) if isinstance(name, str) else None
        return value if handler is None else handler(value, (name,))

    # --- shared moves --------------------------------------------------------------------

    def _put(
        self, target: dict[Any, Any], key: Any, value: Any, canonical: Path, source: Path
    ) -> None:
        """Place a value written at ``source`` under ``target[key]``; the same setting
        given twice with different values is an issue."""
        if key in target:
            if target[key] != value:
                self.log.add_canonical(
                    source,
                    f"also set at {format_path(self.log.original(canonical))}; "
                    "set it in one place only",
                )
            return
        target[key] = value
        self.log.moved(canonical, self.log.original(source))

    def _put_merged(
        self, target: dict[Any, Any], key: Any, value: Any, canonical: Path, source: Path
    ) -> None:
        """Like _put, but two mappings merge key by key."""
        existing = target.get(key)
        if not (isinstance(existing, Mapping) and isinstance(value, Mapping)):
            self._put(target, key, value, canonical, source)
            return
        merged = dict(existing)
        for sub_key, sub_value in value.items():
            self._put(merged, sub_key, sub_value, (*canonical, sub_key), (*source, sub_key))
        target[key] = merged

    def _flatten_config(self, entry: Mapping[Any, Any], path: Path) -> dict[Any, Any]:
        """Settings may sit flat or under ``config:`` (the nested variant); merge them."""
        result = {key: value for key, value in entry.items() if key != "config"}
        nested = entry.get("config")
        if nested is None:
            return result
        if not isinstance(nested, Mapping):
            self.log.invalid_canonical(
                (*path, "config"), InvalidValue("expected a mapping of settings", nested)
            )
            return result
        for key, value in nested.items():
            self._put(result, key, value, (*path, key), (*path, "config", key))
        return result

    def _split_options(
        self, entry: dict[Any, Any], path: Path, cl: type, extra_known: tuple[str, ...] = ()
    ) -> dict[Any, Any]:
        """Keys the schema does not know are connector options, unless they look like a
        typo of a known key (difflib ratio >= NEAR_MISS)."""
        known = set(yaml_fields(cl)) | set(extra_known)
        result: dict[Any, Any] = {}
        options: dict[Any, Any] = {}
        for key, value in entry.items():
            if key in known:
                result[key] = value
            elif isinstance(key, str) and closest(key, known, NEAR_MISS):
                self.log.unknown_key(path, key, known, canonical=True)
            else:
                options[key] = value
        if not options:
            return result
        explicit = result.get("options", {})
        if not isinstance(explicit, Mapping):
            return result
        merged = dict(explicit)
        for key, value in options.items():
            self._put(merged, key, value, (*path, "options", key), (*path, key))
        result["options"] = merged
        return result

    def _instance(self, entry: dict[Any, Any], path: Path) -> None:
        """``instance:`` holds a ready connector object, which YAML cannot express."""
        if "instance" not in entry:
            return
        value = entry["instance"]
        if value is None or isinstance(value, str | int | float | bool | Mapping | list | tuple):
            if value is not None:
                self.log.add_canonical(
                    (*path, "instance"),
                    "'instance' takes a ready connector object, which only a Python "
                    "mapping passed to load_config() can hold; name a 'connector' instead",
                )
            del entry["instance"]

    def _mapping_or_none(self, value: Any) -> Mapping[Any, Any] | None:
        return {} if value is None else value if isinstance(value, Mapping) else None

    # --- secrets -------------------------------------------------------------------------

    def _secrets(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        entry = self._flatten_config(section, path)
        if "connector" in entry:
            self._put(
                entry, "store", entry.pop("connector"), (*path, "store"), (*path, "connector")
            )
        return self._split_options(entry, path, SecretsConfig)

    # --- providers -----------------------------------------------------------------------

    def _providers(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        return {key: self._provider(key, entry, (*path, key)) for key, entry in section.items()}

    def _provider(self, key: Any, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        entry = self._flatten_config(section, path)
        self._lift(entry, path, "execution", ("base_url", "timeout"))
        self._lift(entry, path, "auth", ("api_key",))
        if "models" in entry:
            self._collect_inline_models(key, entry.pop("models"), (*path, "models"))
        self._instance(entry, path)
        if "connector" not in entry:
            if entry.get("instance") is not None:
                entry["connector"] = None
            elif looks_like_connector_id(key):
                entry["connector"] = key
                self.log.moved((*path, "connector"), self.log.original(path))
            else:
                self.log.add_canonical(
                    path,
                    f"the provider key {key!r} is not a connector ID, so name its connector "
                    "with 'connector: <id>' (for example 'connector: openai.llm.v1')",
                )
                entry["connector"] = None
                self.log.block(self.log.original((*path, "connector")))
        return self._split_options(entry, path, ProviderConfig)

    def _lift(self, entry: dict[Any, Any], path: Path, section: str, keys: tuple[str, ...]) -> None:
        """Move keys that a nested section may also hold (``execution.timeout``) up."""
        nested = entry.get(section)
        if not isinstance(nested, Mapping):
            return
        rest = dict(nested)
        for key in keys:
            if key in rest:
                self._put(entry, key, rest.pop(key), (*path, key), (*path, section, key))
        entry[section] = rest

    def _collect_inline_models(self, provider: Any, models: Any, path: Path) -> None:
        if not isinstance(models, list | tuple):
            self.log.invalid_canonical(
                path,
                InvalidValue("expected a list of models such as [{id: openai.gpt-4o}]", models),
            )
            return
        for index, item in enumerate(models):
            item_path = (*path, index)
            if not isinstance(item, Mapping):
                self.log.invalid_canonical(
                    item_path, InvalidValue("expected a mapping with at least an 'id'", item)
                )
                continue
            model = dict(item)
            model_id = model.pop("id", None)
            if not isinstance(model_id, str) or not model_id:
                self.log.add_canonical(
                    (*item_path, "id"), "an inline model needs an 'id' such as 'openai.gpt-4o'"
                )
                continue
            if model.get("provider", provider) != provider:
                self.log.add_canonical(
                    (*item_path, "provider"),
                    f"an inline model belongs to the provider it is declared under "
                    f"({provider!r}); remove 'provider'",
                )
            model["provider"] = provider
            if model_id in self._inline_models:
                first = self._inline_models[model_id][1]
                self.log.add_canonical(
                    item_path,
                    f"model {model_id!r} is also declared at {format_path(first)}; declare it once",
                )
                continue
            self._inline_models[model_id] = (model, self.log.original(item_path))

    # --- models --------------------------------------------------------------------------

    def _models(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        return {key: self._model(key, entry, (*path, key)) for key, entry in section.items()}

    def _model(self, key: Any, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        entry = dict(section)
        if "id" in entry:
            if entry["id"] != key:
                self.log.add_canonical(
                    (*path, "id"), f"'id' differs from the model's key {key!r}; remove 'id'"
                )
        else:
            self.log.moved((*path, "id"), self.log.original(path))
        entry["id"] = key
        return entry

    def _merge_inline_models(self, result: dict[Any, Any]) -> None:
        models = result.setdefault("models", {})
        if not isinstance(models, dict):
            return
        for model_id, (entry, written) in self._inline_models.items():
            if model_id in models:
                self.log.add(
                    written,
                    f"model {model_id!r} is declared both here and under 'models:'; "
                    "declare it once",
                )
                continue
            self.log.moved(("models", model_id), written)
            models[model_id] = self._model(model_id, entry, ("models", model_id))

    # --- pools ---------------------------------------------------------------------------

    def _pools(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        return {key: self._pool(entry, (*path, key)) for key, entry in section.items()}

    def _pool(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        entry = dict(section)
        if "rotation" in entry:
            self._rotation(entry, entry.pop("rotation"), path)
        if "failure_threshold" in entry:
            self._failure_threshold(entry, entry.pop("failure_threshold"), path)
        self._strategy(entry, path)
        single = entry.get("provider_deactivation")
        if isinstance(single, str):
            entry["provider_deactivation"] = [single]
            self.log.moved(
                (*path, "provider_deactivation", 0),
                self.log.original((*path, "provider_deactivation")),
            )
        return entry

    def _rotation(self, entry: dict[Any, Any], rotation: Any, path: Path) -> None:
        """Nested layout: ``rotation: {policy, selection, deactivation, recovery, retry}``."""
        rotation_path = (*path, "rotation")
        if not isinstance(rotation, Mapping):
            self.log.invalid_canonical(
                rotation_path,
                InvalidValue("expected a mapping such as {policy: round-robin}", rotation),
            )
            return
        for key, value in rotation.items():
            source = (*rotation_path, key)
            if key == "policy":
                self._put(entry, "strategy", value, (*path, "strategy"), source)
            elif key == "selection":
                self._selection(entry, value, path)
            elif key in _ROTATION_SECTIONS:
                self._put_merged(entry, key, value, (*path, key), source)
            else:
                known = ("policy", "selection", *_ROTATION_SECTIONS)
                self.log.unknown_key(rotation_path, key, known, canonical=True)

    def _selection(self, entry: dict[Any, Any], selection: Any, path: Path) -> None:
        """Selection keys the pool knows are pool keys; the rest are strategy options."""
        selection_path = (*path, "rotation", "selection")
        if not isinstance(selection, Mapping):
            self.log.invalid_canonical(
                selection_path, InvalidValue("expected a mapping of selection settings", selection)
            )
            return
        pool_keys = set(yaml_fields(PoolConfig)) - {"strategy", "strategy_options"}
        for key, value in selection.items():
            source = (*selection_path, key)
            if key in pool_keys:
                self._put(entry, key, value, (*path, key), source)
            elif isinstance(key, str) and closest(key, pool_keys, NEAR_MISS):
                self.log.unknown_key(selection_path, key, pool_keys, canonical=True)
            else:
                canonical = (*path, "strategy_options")
                self._put_merged(entry, "strategy_options", {key: value}, canonical, selection_path)

    def _failure_threshold(self, entry: dict[Any, Any], value: Any, path: Path) -> None:
        """``failure_threshold``, an older spelling, is ``deactivation.retry_limit``."""
        deactivation = entry.get("deactivation", {})
        if not isinstance(deactivation, Mapping):
            return
        merged = dict(deactivation)
        canonical = (*path, "deactivation", "retry_limit")
        self._put(merged, "retry_limit", value, canonical, (*path, "failure_threshold"))
        entry["deactivation"] = merged

    def _strategy(self, entry: dict[Any, Any], path: Path) -> None:
        """Short names stand for ``modelmesh.<name>.v1``."""
        strategy = entry.get("strategy")
        if not isinstance(strategy, str):
            return
        if strategy in STRATEGY_SHORT_NAMES:
            entry["strategy"] = strategy_connector_id(strategy)
            return
        if looks_like_connector_id(strategy):
            return
        near = closest(strategy, STRATEGY_SHORT_NAMES)
        hint = f" (did you mean {near!r}?)" if near else ""
        self.log.add_canonical(
            (*path, "strategy"),
            f"unknown strategy {strategy!r}{hint}; use one of "
            f"{', '.join(STRATEGY_SHORT_NAMES)} or a rotation connector ID such as "
            "'modelmesh.round-robin.v1'",
        )
        del entry["strategy"]

    # --- storage -------------------------------------------------------------------------

    def _storage(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        entry = self._flatten_config(section, path)
        if "persistence" in entry:
            persistence = entry.pop("persistence")
            persistence_path = (*path, "persistence")
            if isinstance(persistence, Mapping):
                for key, item in persistence.items():
                    if key in _PERSISTENCE_KEYS:
                        self._put(entry, key, item, (*path, key), (*persistence_path, key))
                    else:
                        self.log.unknown_key(
                            persistence_path, key, _PERSISTENCE_KEYS, canonical=True
                        )
            elif persistence is not None:
                self.log.invalid_canonical(
                    persistence_path, InvalidValue("expected a mapping", persistence)
                )
        return self._split_options(entry, path, StorageConfig)

    # --- observability -------------------------------------------------------------------

    def _observability(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        found: list[tuple[Mapping[Any, Any], Path, dict[str, Any]]] = []
        variant_b = {
            key: item
            for key, item in section.items()
            if key not in _VARIANT_A and key not in _SINK_LISTS
        }
        if variant_b:
            if {"connector", "config", "instance"} & variant_b.keys():
                found.append((variant_b, path, {}))
            else:
                known = (*_VARIANT_A, *_SINK_LISTS, "connector", "config", "instance")
                for key in variant_b:
                    self.log.unknown_key(path, key, known, canonical=True)
        for name, channel in _VARIANT_A.items():
            if name in section:
                sink = self._mapping_or_none(section[name])
                if sink is None:
                    self.log.invalid(
                        (*path, name), InvalidValue("expected a mapping", section[name])
                    )
                    continue
                defaults = {"connector": _VARIANT_A_CONNECTOR, "channels": [channel.value]}
                found.append((sink, (*path, name), defaults))
        listed = [key for key in _SINK_LISTS if key in section]
        for key in listed:
            found.extend(
                (sink, where, {})
                for sink, where in self._list_of_mappings(section[key], (*path, key))
            )
        if not found and not listed:
            return {}
        sinks = []
        for index, (sink, written, defaults) in enumerate(found):
            canonical = (*path, "sinks", index)
            self.log.moved(canonical, written)
            sinks.append(self._sink(sink, canonical, defaults))
        return {"sinks": sinks}

    def _list_of_mappings(self, value: Any, path: Path) -> list[tuple[Mapping[Any, Any], Path]]:
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self.log.invalid(path, InvalidValue("expected a list of connector settings", value))
            return []
        items = []
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                items.append((item, (*path, index)))
            else:
                self.log.invalid((*path, index), InvalidValue("expected a mapping", item))
        return items

    def _sink(self, sink: Mapping[Any, Any], path: Path, defaults: dict[str, Any]) -> Any:
        entry = self._flatten_config(sink, path)
        for key, value in defaults.items():
            entry.setdefault(key, value)
        if "redact_secrets" in entry:
            value = entry.pop("redact_secrets")
            self._put(entry, "redact", value, (*path, "redact"), (*path, "redact_secrets"))
        self._instance(entry, path)
        connector = entry.get("connector")
        if looks_like_connector_id(connector):
            entry["connector"] = _FILE_SINK_ALIASES.get(connector_id(connector), connector)
        return self._split_options(entry, path, SinkConfig)

    # --- discovery -----------------------------------------------------------------------

    def _discovery(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        found: list[tuple[Mapping[Any, Any], Path]] = []
        rest = {key: item for key, item in section.items() if key != "connectors"}
        if "connector" in rest or "config" in rest:
            found.append((rest, path))
        else:
            for block, connector in (("sync", _SYNC_CONNECTOR), ("health", _HEALTH_CONNECTOR)):
                if block in rest:
                    found.append(({"connector": connector, block: rest.pop(block)}, path))
            known = ("sync", "health", "connector", "config", "connectors")
            for key in rest:
                self.log.unknown_key(path, key, known, canonical=True)
        if "connectors" in section:
            found.extend(self._list_of_mappings(section["connectors"], (*path, "connectors")))
        connectors = []
        for index, (entry, written) in enumerate(found):
            canonical = (*path, "connectors", index)
            self.log.moved(canonical, written)
            connectors.append(self._discovery_connector(entry, canonical))
        return {"connectors": connectors}

    def _discovery_connector(self, value: Mapping[Any, Any], path: Path) -> Any:
        entry = self._flatten_config(value, path)
        if "connector" not in entry:
            # a sync block implies registry sync and a health block the health monitor;
            # with both the choice is the user's ("this key is required")
            if "sync" in entry and "health" not in entry:
                entry["connector"] = _SYNC_CONNECTOR
            elif "health" in entry and "sync" not in entry:
                entry["connector"] = _HEALTH_CONNECTOR
        return self._split_options(entry, path, DiscoveryConnectorConfig)

    # --- connectors ----------------------------------------------------------------------

    def _connectors(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        entry = dict(section)
        packages = entry.get("packages")
        if packages is None:
            entry.pop("packages", None)
            return entry
        if not isinstance(packages, list | tuple):
            return entry
        result = []
        for index, item in enumerate(packages):
            written = (*path, "packages", index)
            text = self._package(item, written)
            if text is not None:
                self.log.moved((*path, "packages", len(result)), written)
                result.append(text)
        entry["packages"] = result
        return entry

    def _package(self, item: Any, path: Path) -> str | None:
        if isinstance(item, Mapping):
            return self._package_mapping(item, path)
        if not isinstance(item, str) or not item.strip():
            expected = "expected a path, or an https URL pinned with '#sha256=<hex>'"
            self.log.invalid(path, InvalidValue(expected, item))
            return None
        return self._package_text(item, path)

    def _package_text(self, text: str, path: Path) -> str | None:
        scheme = _URL_SCHEME.match(text)
        if scheme is None:
            location = os.path.expanduser(text)
            if self.base_dir is not None and not os.path.isabs(location):
                location = os.path.normpath(os.path.join(self.base_dir, location))
            return location
        kind = scheme.group(1).lower()
        if kind == "http":
            self.log.add(
                path,
                "plain http is refused for connector packages, which run code: use an "
                f"https URL and {_PIN_HELP}",
            )
            return None
        if kind != "https":
            self.log.add(path, f"unsupported URL scheme {kind!r}; use a local path or an https URL")
            return None
        url, _, fragment = text.partition("#")
        pin = _SHA256_PIN.fullmatch(fragment)
        if pin is None:
            self.log.add(path, f"a package URL must be pinned: {_PIN_HELP}")
            return None
        return f"{url}#sha256={pin.group(1).lower()}"

    def _package_mapping(self, item: Mapping[Any, Any], path: Path) -> str | None:
        for key in item:
            if key not in ("path", "url", "sha256"):
                self.log.unknown_key(path, key, ("path", "url", "sha256"), canonical=False)
        if "path" in item:
            if "url" in item or "sha256" in item:
                self.log.add(path, "give either 'path' or 'url' with 'sha256', not both")
                return None
            return self._package(item["path"], (*path, "path"))
        url, digest = item.get("url"), item.get("sha256")
        if not isinstance(url, str) or not url.startswith("https://") or "#" in url:
            expected = "expected an https URL without a '#' fragment"
            self.log.invalid((*path, "url"), InvalidValue(expected, url))
            return None
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            self.log.add((*path, "sha256"), "expected the file's sha256 digest: 64 hex digits")
            return None
        return f"{url}#sha256={digest.lower()}"

    # --- proxy ---------------------------------------------------------------------------

    def _proxy(self, value: Any, path: Path) -> Any:
        section = self._mapping_or_none(value)
        if section is None:
            return value
        entry = dict(section)
        endpoints = entry.get("endpoints")
        if isinstance(endpoints, list | tuple):
            entry["endpoints"] = [_endpoint_name(endpoint) for endpoint in endpoints]
        auth = entry.get("auth")
        if isinstance(auth, Mapping) and "enabled" not in auth:
            tokens = auth.get("tokens")
            if isinstance(tokens, list | tuple):
                entry["auth"] = {**auth, "enabled": bool(tokens)}
        return entry


def _endpoint_name(endpoint: Any) -> Any:
    """``/v1/chat/completions`` and ``chat/completions`` name the same endpoint."""
    if not isinstance(endpoint, str):
        return endpoint
    return endpoint.strip().removeprefix("/").removeprefix("v1/")
