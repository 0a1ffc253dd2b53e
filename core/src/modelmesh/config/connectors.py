"""From a configuration to the connectors it names: a registry that honours the file's
``plugins:`` section and packages, and a check that every named connector exists.

A configuration is checked in two passes: first without secrets, to learn which
plugins may load and which packages to load (a package may bring the secret store
itself), then with secrets resolved through that registry.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path as FilePath
from typing import Any

import attrs

from modelmesh.config.connector_options import (
    discovery_options,
    provider_options,
    rotation_options,
    secret_store_options,
    sink_options,
    storage_options,
)
from modelmesh.config.issues import IssueLog, Path
from modelmesh.config.loader import load_config
from modelmesh.config.references import has_secret_reference
from modelmesh.config.schema import MeshConfig
from modelmesh.config.yaml_source import parse_yaml
from modelmesh.errors import ModelMeshError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.plugin_filter import PluginFilter
from modelmesh.registry import ConnectorRegistry


@attrs.frozen
class ConnectorReference:
    """One connector a configuration names, where it names it, and the options
    start-up builds it with."""

    connector_type: ConnectorType
    connector_id: str
    path: Path
    options: Mapping[str, Any] = attrs.field(eq=False, repr=False)


def connector_references(
    config: MeshConfig, *, secrets: bool = True
) -> Iterator[ConnectorReference]:
    """Every connector the configuration needs (ready ``instance:`` objects excluded).

    The secret store counts only when ``secrets`` is true and some value refers to a
    secret: a file without ``${secrets:...}`` never opens its store.
    """
    if secrets and has_secret_reference(config.to_dict()):
        yield ConnectorReference(
            ConnectorType.SECRET_STORE,
            config.secrets.store,
            ("secrets", "store"),
            secret_store_options(config.secrets),
        )
    for key, provider in config.providers.items():
        if provider.instance is None and provider.connector and provider.enabled:
            declared = [model for model in config.models.values() if model.provider == key]
            yield ConnectorReference(
                ConnectorType.PROVIDER,
                provider.connector,
                ("providers", key, "connector"),
                provider_options(key, provider, declared),
            )
    for key, pool in config.pools.items():
        yield ConnectorReference(
            ConnectorType.ROTATION,
            pool.strategy,
            ("pools", key, "strategy"),
            rotation_options(pool),
        )
    yield ConnectorReference(
        ConnectorType.STORAGE,
        config.storage.connector,
        ("storage", "connector"),
        storage_options(config.storage),
    )
    for index, sink in enumerate(config.observability.sinks):
        if sink.instance is None and sink.connector:
            yield ConnectorReference(
                ConnectorType.OBSERVABILITY,
                sink.connector,
                ("observability", "sinks", index, "connector"),
                sink_options(sink),
            )
    for index, entry in enumerate(config.discovery.connectors):
        yield ConnectorReference(
            ConnectorType.DISCOVERY,
            entry.connector,
            ("discovery", "connectors", index, "connector"),
            discovery_options(entry),
        )


def build_registry(
    config: MeshConfig, *, environ: Mapping[str, str] | None = None
) -> ConnectorRegistry:
    """A registry filtered by ``plugins:`` (or MODELMESH_LOAD_PLUGINS) with the
    configuration's ``connectors.packages`` loaded. Raises ConfigError naming the
    package entry that failed."""
    where = config.source_path or "the configuration"
    plugin_filter = PluginFilter.from_settings(
        config.plugins.allow,
        config.plugins.deny,
        environ=environ,
        source=f"plugins: in {where}",
    )
    registry = ConnectorRegistry(plugin_filter=plugin_filter)
    log = _issue_log(config)
    for index, package in enumerate(config.connectors.packages):
        try:
            registry.load_package(package)
        except ModelMeshError as error:
            log.add(("connectors", "packages", index), str(error))
    log.raise_if_any()
    return registry


def check_connectors(
    config: MeshConfig, registry: ConnectorRegistry, *, secrets: bool = True
) -> None:
    """Raise one ConfigError listing every needed connector the registry cannot load
    (the secret store only when ``secrets`` is true)."""
    log = _issue_log(config)
    for reference in connector_references(config, secrets=secrets):
        try:
            registry.get_connector(reference.connector_id, connector_type=reference.connector_type)
        except ModelMeshError as error:
            log.add(reference.path, str(error))
    log.raise_if_any()


def load_with_registry(
    source: str | os.PathLike[str],
    *,
    environ: Mapping[str, str] | None = None,
    resolve_secrets: bool = True,
) -> tuple[MeshConfig, ConnectorRegistry]:
    """Load a configuration file as start-up does: validate it, build its registry,
    check every connector it names, then resolve its secret references."""
    config = load_config(source, environ=environ, resolve_secrets=False)
    registry = build_registry(config, environ=environ)
    check_connectors(config, registry, secrets=resolve_secrets)
    if resolve_secrets:
        config = load_config(source, registry=registry, environ=environ)
    return config, registry


def _issue_log(config: MeshConfig) -> IssueLog:
    """An issue log that knows the file's line numbers, when there is a file."""
    log = IssueLog(file=config.source_path)
    if config.source_path:
        with contextlib.suppress(OSError):
            parse_yaml(FilePath(config.source_path).read_text(encoding="utf-8"), log)
    return log
