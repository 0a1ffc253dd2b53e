"""Cross references: names that must point at something configured elsewhere.

Checked on the canonical data rather than on the structured objects, so they are
reported together with type errors instead of after them; values of the wrong type
are left to the type checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modelmesh.config.issues import IssueLog, Path, suggestion

_POOL_MODEL_LISTS = ("models", "model_priority")
_POOL_PROVIDER_LISTS = ("providers", "excluded_providers", "provider_priority")


def check_references(config: Mapping[Any, Any], log: IssueLog) -> None:
    """Record an issue for every model, provider or pool reference that dangles."""
    providers = _keys(config.get("providers", {}))
    models = _keys(config.get("models", {}))
    if providers is not None:
        for model_id, model in _entries(config.get("models")):
            provider = model.get("provider")
            if isinstance(provider, str) and provider not in providers:
                _unknown(log, ("models", model_id, "provider"), "provider", provider, providers)
    for pool_id, pool in _entries(config.get("pools")):
        for key, known, kind in (
            *((key, models, "model") for key in _POOL_MODEL_LISTS),
            *((key, providers, "provider") for key in _POOL_PROVIDER_LISTS),
        ):
            _check_list(log, ("pools", pool_id, key), pool.get(key), known, kind)
    discovery = config.get("discovery")
    connectors = discovery.get("connectors") if isinstance(discovery, Mapping) else None
    for index, connector in enumerate(connectors if isinstance(connectors, list) else []):
        for block in ("sync", "health"):
            settings = connector.get(block) if isinstance(connector, Mapping) else None
            if isinstance(settings, Mapping):
                path = ("discovery", "connectors", index, block, "providers")
                _check_list(log, path, settings.get("providers"), providers, "provider")


def _keys(section: Any) -> set[Any] | None:
    return set(section) if isinstance(section, Mapping) else None


def _entries(section: Any) -> Iterable[tuple[Any, Mapping[Any, Any]]]:
    if isinstance(section, Mapping):
        for key, entry in section.items():
            if isinstance(entry, Mapping):
                yield key, entry


def _check_list(log: IssueLog, path: Path, values: Any, known: set[Any] | None, kind: str) -> None:
    if known is None or not isinstance(values, list | tuple):
        return
    for index, value in enumerate(values):
        if isinstance(value, str) and value not in known:
            _unknown(log, (*path, index), kind, value, known)


def _unknown(log: IssueLog, path: Path, kind: str, name: str, known: set[Any]) -> None:
    names = sorted(key for key in known if isinstance(key, str))
    hint = suggestion(name, names)
    if not hint:
        listing = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        hint = f"; configured {kind}s: {listing}" if names else f"; no {kind}s are configured"
    log.add_canonical(path, f"unknown {kind} {name!r}{hint}")
