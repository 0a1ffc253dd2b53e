"""load_config: YAML or a mapping in, a validated MeshConfig out, or one ConfigError.

The phases run in a fixed order: read, resolve references, normalize the variant
layouts, check cross references, structure into the schema. Each records issues in
one IssueLog and carries on, so a user sees every problem in one go.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path as FilePath
from typing import Any

import attrs

from modelmesh.config.connector_options import secret_store_options
from modelmesh.config.converter import structure
from modelmesh.config.crossrefs import check_references
from modelmesh.config.issues import IssueLog, describe
from modelmesh.config.normalize import SECTIONS, Normalizer
from modelmesh.config.references import Resolver, SecretLookup, has_secret_reference
from modelmesh.config.schema import MeshConfig, SecretsConfig
from modelmesh.config.yaml_source import parse_yaml
from modelmesh.errors import ConnectorNotFoundError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.redaction import redact_text


def load_config(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    registry: Any | None = None,
    environ: Mapping[str, str] | None = None,
    resolve_secrets: bool = True,
) -> MeshConfig:
    """Load and validate a configuration.

    ``source`` is the path of a YAML file or an already parsed mapping (issues then
    have no file or line). ``${VAR}`` references read ``environ`` (default: the
    process environment); ``${secrets:NAME}`` ones go through the configured secret
    store, created with ``registry`` (a ConnectorRegistry; one is made when needed).
    ``resolve_secrets=False`` leaves strings with secret references as written, for
    checking a config without access to the secrets.

    Raises ConfigError listing every issue found.
    """
    if isinstance(source, Mapping):
        log, data, base_dir, source_path = IssueLog(), source, None, None
    else:
        source_path = os.fspath(source)
        log = IssueLog(file=source_path)
        data = _read(source_path, log)
        base_dir = os.path.dirname(os.path.abspath(source_path))
        if data is None:
            log.raise_if_any()
            data = {}
    if not isinstance(data, Mapping):
        log.add(
            (),
            f"a configuration is a mapping of sections ({', '.join(SECTIONS)}), "
            f"got {describe(data)}",
        )
        log.raise_if_any()
    data = _resolve_references(
        data, log, os.environ if environ is None else environ, registry, resolve_secrets
    )
    canonical = Normalizer(log, base_dir=base_dir).run(data)
    check_references(canonical, log)
    config = structure(canonical, MeshConfig, log)
    log.raise_if_any()
    assert config is not None  # structure() failing always records an issue
    if source_path is None:
        return config
    return attrs.evolve(config, source_path=os.path.abspath(source_path))


def _read(path: str, log: IssueLog) -> Any:
    """The file's YAML data, or None (an empty file, or an issue recorded)."""
    try:
        text = FilePath(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        log.add(
            (),
            "configuration file not found; check the path, or create the file "
            "(docs/configuration.md has a complete example)",
        )
        return None
    except IsADirectoryError:
        log.add((), "this is a directory; pass the path of a YAML configuration file")
        return None
    except UnicodeDecodeError as error:
        log.add((), f"the file is not UTF-8 text (invalid byte at offset {error.start})")
        return None
    except OSError as error:
        log.add((), f"cannot read the configuration file: {error.strerror}")
        return None
    return parse_yaml(text, log)


def _resolve_references(
    data: Mapping[Any, Any],
    log: IssueLog,
    environ: Mapping[str, str],
    registry: Any | None,
    resolve_secrets: bool,
) -> dict[Any, Any]:
    """Environment references first, in ``secrets:`` too (the store may need them);
    then secret references everywhere else, through a store built from the resolved
    ``secrets:`` section only if some reference needs it."""
    store_settings = Resolver(log, environ)
    secrets = store_settings.resolve(data.get("secrets"), ("secrets",))
    rest = {key: value for key, value in data.items() if key != "secrets"}
    lookup = None
    if resolve_secrets and has_secret_reference(rest):
        lookup = _secret_lookup(secrets, log, registry)
    resolver = Resolver(log, environ, lookup, defer_secrets=lookup is None)
    resolved = {
        key: secrets if key == "secrets" else resolver.resolve(value, (key,))
        for key, value in data.items()
    }
    for path in store_settings.failed | resolver.failed:
        log.block(path)
    return resolved


def _secret_lookup(section: Any, log: IssueLog, registry: Any | None) -> SecretLookup | None:
    """A function reading secrets from the configured store, or None when the store
    cannot be built (the reason is recorded, or the section's own issues will be)."""
    scratch = IssueLog()
    settings = structure(Normalizer(scratch).section("secrets", section), SecretsConfig, scratch)
    if settings is None:
        return None
    where = scratch.original(("secrets", "store"))
    if registry is None:
        try:
            from modelmesh.registry import ConnectorRegistry
        except ImportError as error:
            log.add(where, f"cannot resolve secret references: {error}")
            return None
        registry = ConnectorRegistry()
    try:
        store = registry.create(
            settings.store,
            secret_store_options(settings),
            connector_type=ConnectorType.SECRET_STORE,
        )
    except ConnectorNotFoundError as error:
        log.add(where, str(error))
        return None
    except Exception as error:  # a store's own failure becomes an issue, redacted
        log.add(
            where,
            f"secret store {settings.store!r} could not be created: "
            f"{type(error).__name__}: {redact_text(str(error))}",
        )
        return None
    found: dict[str, str] = {}

    def lookup(name: str, path: tuple[Any, ...]) -> str | None:
        if name in found:
            return found[name]
        try:
            value = str(store.get(name))
        except KeyError:
            if settings.fail_on_missing:
                log.add(
                    path,
                    f"secret {name!r} not found in secret store {settings.store!r}; add it "
                    "to the store, or set 'secrets.fail_on_missing: false' to use an "
                    "empty value",
                )
                return None
            value = ""
        except Exception as error:  # never echo what the store said: it may hold values
            log.add(
                path,
                f"secret store {settings.store!r} failed to read secret {name!r} "
                f"({type(error).__name__})",
            )
            return None
        found[name] = value
        return value

    return lookup
