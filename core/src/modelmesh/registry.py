"""The connector catalogue: runtime registrations, installed plugins and packages.

Connectors are keyed by (type, id), because one short ID may exist under two types.
Installed plugins are known by name from packaging metadata and imported only when
one of their connectors is asked for; their module then joins this registry's own
plugin manager under the qualified name ``<type>:<id>`` and only its registration
hook for that type is called. Packages go through the same hooks, so a connector
behaves the same however it arrived.
"""

from __future__ import annotations

import difflib
import importlib
import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from modelmesh.connector_ids import ConnectorId, parse_connector_id
from modelmesh.entry_points import InstalledConnector, InstalledIndex, installed_index
from modelmesh.errors import (
    ConfigurationError,
    ConnectorNotFoundError,
    DuplicateConnectorError,
    InvalidConnectorIdError,
    ModelMeshError,
    PackageError,
    PluginLoadError,
)
from modelmesh.hookspecs import REGISTRATION_HOOKS
from modelmesh.install_hints import install_hint
from modelmesh.interfaces.connector import ConnectorInfo, ConnectorType
from modelmesh.plugin_filter import PluginFilter
from modelmesh.plugin_manager import build_plugin_manager

if TYPE_CHECKING:
    import ssl

    from modelmesh.packages import Package, PackageLimits

_Key = tuple[ConnectorType, str]

# Interface ABCs by module, for inferring the type of a runtime registration.
_INTERFACES: tuple[tuple[str, tuple[str, ...], ConnectorType], ...] = (
    ("modelmesh.interfaces.provider", ("ProviderConnector",), ConnectorType.PROVIDER),
    (
        "modelmesh.interfaces.rotation",
        ("RotationPolicy", "SelectionStrategy"),
        ConnectorType.ROTATION,
    ),
    ("modelmesh.interfaces.secret_store", ("SecretStore",), ConnectorType.SECRET_STORE),
    ("modelmesh.interfaces.storage", ("StorageConnector",), ConnectorType.STORAGE),
    (
        "modelmesh.interfaces.observability",
        ("ObservabilityConnector",),
        ConnectorType.OBSERVABILITY,
    ),
    (
        "modelmesh.interfaces.discovery",
        ("DiscoveryConnector", "RegistrySync", "HealthMonitor"),
        ConnectorType.DISCOVERY,
    ),
)
_NO_INSTALLED = InstalledIndex({})


@attrs.frozen
class _Registration:
    """A catalogue entry: what to build, how to describe it, who registered it."""

    implementation: Any
    info: ConnectorInfo
    origin: str
    plugin: object | None = None


class ConnectorRegistry:
    """Catalogue of connector implementations of every type, by connector ID."""

    def __init__(
        self,
        *,
        plugin_filter: PluginFilter | None = None,
        load_entry_points: bool = True,
        package_cache_dir: str | os.PathLike[str] | None = None,
        verify: ssl.SSLContext | bool = True,
        limits: PackageLimits | None = None,
    ) -> None:
        self._filter = plugin_filter if plugin_filter is not None else PluginFilter.from_settings()
        self._load_entry_points = load_entry_points
        self._package_cache_dir = package_cache_dir
        self._verify = verify
        self._limits = limits
        self._manager = build_plugin_manager()
        self._catalogue: dict[_Key, _Registration] = {}
        self._hooks_called: set[tuple[str, ConnectorType]] = set()
        self._packages: dict[str, list[str]] = {}
        self._lock = threading.RLock()

    @property
    def plugin_manager(self) -> pluggy.PluginManager:
        """This registry's own plugin manager (there is no global one)."""
        return self._manager

    # --- registering ----------------------------------------------------------------

    def register(
        self,
        connector_id: str,
        implementation: Any,
        *,
        connector_type: ConnectorType | str | None = None,
    ) -> None:
        """Register an implementation (a callable taking one options dict) at runtime.

        The type comes from a full or qualified ID, else ``connector_type``, else the
        interface the implementation derives from. A (type, id) taken already raises
        DuplicateConnectorError naming both origins and changes nothing.
        """
        parsed = parse_connector_id(connector_id)
        kind = _merge_types(parsed, connector_type) or _infer_type(parsed.id, implementation)
        module = getattr(implementation, "__module__", None) or type(implementation).__module__
        shipped = self._installed().distribution_of_module(module)
        info = ConnectorInfo(
            id=parsed.id,
            connector_type=kind,
            version=shipped.version if shipped else "0",
            description=_first_doc_line(implementation),
            distribution=shipped.distribution if shipped else None,
            module=module,
            source="runtime",
        )
        origin = f"a runtime registration of {_describe_object(implementation)}"
        with self._lock:
            self._commit({(kind, parsed.id): _Registration(implementation, info, origin)})

    # --- looking up -----------------------------------------------------------------

    def get_connector(
        self, connector_id: str, *, connector_type: ConnectorType | str | None = None
    ) -> Any:
        """Return the implementation, loading its installed plugin if needed.

        Raises ConnectorNotFoundError (a KeyError) with similar IDs and, for
        first-party connectors, the ``pip install`` command that provides it.
        """
        return self._registration(connector_id, connector_type).implementation

    def create(
        self,
        connector_id: str,
        options: Mapping[str, Any] | None = None,
        *,
        connector_type: ConnectorType | str | None = None,
    ) -> Any:
        """Build a connector: ``implementation(dict(options))``.

        A TypeError or ValueError from the implementation becomes a
        ConfigurationError naming the connector and the option names, never their
        values, which may be secrets.
        """
        registration = self._registration(connector_id, connector_type)
        options = dict(options or {})
        try:
            return registration.implementation(options)
        except ModelMeshError:
            raise
        except (TypeError, ValueError) as exc:
            info = registration.info
            names = ", ".join(sorted(map(str, options))) or "none"
            raise ConfigurationError(
                f"connector {info.connector_type.value}:{info.id} rejected its options "
                f"({type(exc).__name__}); options given: {names}. Check their names and "
                "types against the connector's documentation",
                details={"connector_id": info.id},
            ) from exc

    def plugin_for(
        self, connector_id: str, *, connector_type: ConnectorType | str | None = None
    ) -> object | None:
        """The plugin object (module) that registered the connector; None at runtime."""
        return self._registration(connector_id, connector_type).plugin

    def list_connectors(
        self, connector_type: str | ConnectorType | None = None
    ) -> list[ConnectorInfo]:
        """Installed, registered and packaged connectors, sorted by (type, id).

        Metadata only: no plugin module is imported. An installed connector the
        plugin filter blocks is listed with ``enabled=False``.
        """
        wanted = ConnectorType.parse(connector_type) if connector_type is not None else None
        found: dict[_Key, list[ConnectorInfo]] = {}
        for installed in self._installed().connectors:
            key = (installed.connector_type, installed.id)
            found.setdefault(key, []).append(self._installed_info(installed))
        with self._lock:
            for key, registration in self._catalogue.items():
                found[key] = [registration.info]
        return [
            info
            for key in sorted(found, key=lambda k: (k[0].value, k[1]))
            if wanted in (None, key[0])
            for info in found[key]
        ]

    # --- packages -------------------------------------------------------------------

    def load_package(self, path: str) -> list[str]:
        """Load a directory, zip or pinned https URL package; return its connector IDs.

        Everything is validated before any of its code runs; loading the same package
        again returns the same IDs without running it again.
        """
        from modelmesh import packages

        package = packages.open_package(
            path, cache_dir=self._package_cache_dir, verify=self._verify, limits=self._limits
        )
        with self._lock:
            if package.key in self._packages:
                return list(self._packages[package.key])
            ids = self._load_validated_package(package)
            self._packages[package.key] = ids
            return list(ids)

    def _load_validated_package(self, package: Package) -> list[str]:
        from modelmesh.packages import import_package_module

        manifest = package.manifest
        where = f"package {manifest.name} {manifest.version} ({package.location})"
        declared = {(c.connector_type, c.id): c for c in manifest.connectors}
        for key in declared:
            if key in self._catalogue:
                raise DuplicateConnectorError(
                    f"connector {_qualified(key)} is already registered by "
                    f"{self._catalogue[key].origin}; {where} declares it again"
                )
        modules = list(dict.fromkeys(c.module for c in manifest.connectors))
        pending: dict[_Key, _Registration] = {}
        newly: list[object] = []
        called: list[tuple[str, ConnectorType]] = []
        try:
            for module_name in modules:
                module = import_package_module(package, module_name)
                origin = f"{where}, module {module_name}"
                mine = [c for c in manifest.connectors if c.module == module_name]
                if self._plug_in(module, f"{mine[0].connector_type.value}:{mine[0].id}", origin):
                    newly.append(module)
                for kind in dict.fromkeys(c.connector_type for c in mine):
                    for key, implementation in self._collect(module, kind, origin).items():
                        if key not in declared or declared[key].module != module_name:
                            raise PackageError(
                                f"{origin} registered {_qualified(key)}, which the manifest "
                                "does not declare for that module; add it to [[connectors]]"
                            )
                        info = ConnectorInfo(
                            id=key[1],
                            connector_type=kind,
                            version=manifest.version,
                            description=manifest.description,
                            distribution=manifest.name,
                            module=module_name,
                            source="package",
                        )
                        pending[key] = _Registration(implementation, info, origin, module)
                    called.append((self._manager.get_name(module) or "", kind))
            for key, connector in declared.items():
                if key not in pending:
                    raise PackageError(
                        f"{where}: the manifest declares {_qualified(key)} in module "
                        f"{connector.module}, but that module's {REGISTRATION_HOOKS[key[0]]} "
                        "hook did not register it"
                    )
            self._commit(pending)
        except BaseException:
            for module in newly:
                self._manager.unregister(module)
            raise
        self._hooks_called.update(called)
        return [c.id for c in manifest.connectors]

    # --- internals ------------------------------------------------------------------

    def _installed(self) -> InstalledIndex:
        return installed_index() if self._load_entry_points else _NO_INSTALLED

    def _installed_info(self, installed: InstalledConnector) -> ConnectorInfo:
        return ConnectorInfo(
            id=installed.id,
            connector_type=installed.connector_type,
            version=installed.version,
            description=installed.summary,
            distribution=installed.distribution,
            module=installed.value,
            source="entry-point",
            enabled=self._filter.allows(installed.connector_type, installed.id),
        )

    def _registration(
        self, connector_id: str, connector_type: ConnectorType | str | None
    ) -> _Registration:
        parsed = parse_connector_id(connector_id)
        kind = _merge_types(parsed, connector_type)
        with self._lock:
            if kind is None:
                kind = self._only_type(parsed.id)
            key = (kind, parsed.id)
            if key not in self._catalogue:
                self._load_installed(kind, parsed.id)
            return self._catalogue[key]

    def _only_type(self, connector_id: str) -> ConnectorType:
        types = {kind for kind, cid in self._catalogue if cid == connector_id}
        types |= self._installed().types_of(connector_id)
        if not types:
            raise self._not_found(None, connector_id)
        if len(types) > 1:
            names = ", ".join(sorted(f"{kind.value}:{connector_id}" for kind in types))
            raise ConfigurationError(
                f"connector ID {connector_id!r} exists for several connector types ({names}); "
                "pass connector_type= or use one of these qualified names"
            )
        return types.pop()

    def _load_installed(self, kind: ConnectorType, connector_id: str) -> None:
        key = (kind, connector_id)
        candidates = self._installed().lookup(kind, connector_id)
        if not candidates:
            raise self._not_found(kind, connector_id)
        if len(candidates) > 1:
            names = " and ".join(f"{c.distribution} {c.version} ({c.value})" for c in candidates)
            raise PluginLoadError(
                f"connector {_qualified(key)} is provided by two distributions, {names}, in "
                f"entry-point group {kind.entry_point_group}; uninstall one of them"
            )
        installed = candidates[0]
        dist = f"distribution {installed.distribution} {installed.version}"
        refusal = self._filter.refusal(kind, connector_id)
        if refusal is not None:
            raise ConnectorNotFoundError(
                connector_id,
                f"connector {_qualified(key)} is installed ({dist}) but disabled: {refusal}",
            )
        plugin = _import_plugin(installed, dist)
        origin = f"{dist} (module {installed.value})"

        newly = self._plug_in(plugin, installed.qualified_name, origin)
        name = self._manager.get_name(plugin) or ""
        if (name, kind) not in self._hooks_called:
            try:
                found = self._collect(plugin, kind, origin)
                info = self._installed_info(installed)
                # A module serving several IDs must not smuggle in one the filter blocks.
                self._commit(
                    {
                        k: _Registration(impl, attrs.evolve(info, id=k[1]), origin, plugin)
                        for k, impl in found.items()
                        if self._filter.allows(*k)
                    }
                )
            except BaseException:
                if newly:
                    self._manager.unregister(plugin)
                raise
            self._hooks_called.add((name, kind))
        if key not in self._catalogue:
            raise PluginLoadError(
                f"{dist} declares connector {_qualified(key)} (entry point in group "
                f"{kind.entry_point_group}, module {installed.value}), but its "
                f"{REGISTRATION_HOOKS[kind]} hook did not register it"
            )

    def _plug_in(self, plugin: object, name: str, origin: str) -> bool:
        """Add the plugin to the plugin manager unless it is in already; True if added."""
        if self._manager.is_registered(plugin):
            return False
        try:
            self._manager.register(plugin, name=name)
            self._manager.check_pending()
        except (ValueError, pluggy.PluginValidationError) as exc:
            if self._manager.is_registered(plugin):
                self._manager.unregister(plugin)
            raise PluginLoadError(f"{origin} cannot be used as a plugin: {exc}") from exc
        return True

    def _collect(self, plugin: object, kind: ConnectorType, origin: str) -> dict[_Key, Any]:
        """Call only this plugin's registration hook for ``kind``; gather what it registers.

        Nothing reaches the catalogue here, so a hook that fails half-way leaves it
        unchanged.
        """
        hook_name = REGISTRATION_HOOKS[kind]
        others = [p for p in self._manager.get_plugins() if p is not plugin]
        hook = self._manager.subset_hook_caller(hook_name, remove_plugins=others)
        pending: dict[_Key, Any] = {}

        def register(connector_id: str, implementation: Any) -> None:
            try:
                parsed = parse_connector_id(connector_id)
            except InvalidConnectorIdError as exc:
                raise InvalidConnectorIdError(f"{origin}: {exc.message}") from exc
            if parsed.connector_type not in (None, kind):
                raise ConfigurationError(
                    f"{origin}: {hook_name} registered {connector_id!r}, a "
                    f"{parsed.connector_type.value} connector; register it from "
                    f"{REGISTRATION_HOOKS[parsed.connector_type]} instead"
                )
            key = (kind, parsed.id)
            if key in pending:
                raise DuplicateConnectorError(f"{origin} registered {_qualified(key)} twice")
            pending[key] = implementation

        try:
            hook(register=register)
        except ModelMeshError:
            raise
        except Exception as exc:
            raise PluginLoadError(
                f"{origin}: its {hook_name} hook failed: {type(exc).__name__}: {exc}"
            ) from exc
        return pending

    def _commit(self, pending: Mapping[_Key, _Registration]) -> None:
        """Add all of ``pending`` or, on the first taken key, nothing."""
        for key, registration in pending.items():
            existing = self._catalogue.get(key)
            if existing is not None:
                raise DuplicateConnectorError(
                    f"connector {_qualified(key)} is already registered by {existing.origin}; "
                    f"{registration.origin} tried to register it again"
                )
        self._catalogue.update(pending)

    def _not_found(self, kind: ConnectorType | None, connector_id: str) -> ConnectorNotFoundError:
        known = {cid for k, cid in self._catalogue if kind in (None, k)}
        known |= {c.id for c in self._installed().connectors if kind in (None, c.connector_type)}
        similar = difflib.get_close_matches(connector_id, sorted(known), n=3, cutoff=0.6)
        hint = install_hint(kind, connector_id)
        kind_text = f"type {kind.value}" if kind else "any type"
        message = f"no connector {connector_id!r} ({kind_text}) is registered or installed"
        if similar:
            message += "; similar IDs: " + ", ".join(similar)
        if hint:
            message += f"; install it with: {hint}"
        else:
            message += "; 'modelmesh plugins list' shows the installed connectors"
        return ConnectorNotFoundError(connector_id, message, install_hint=hint)


def _merge_types(
    parsed: ConnectorId, connector_type: ConnectorType | str | None
) -> ConnectorType | None:
    if connector_type is None:
        return parsed.connector_type
    try:
        given = ConnectorType.parse(connector_type)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
    if parsed.connector_type not in (None, given):
        raise ConfigurationError(
            f"connector ID {parsed.qualified()!r} is a {parsed.connector_type.value} "
            f"connector, but connector_type={given.value!r} was given"
        )
    return given


def _infer_type(connector_id: str, implementation: Any) -> ConnectorType:
    """The one connector type whose interface the implementation derives from."""
    found: set[ConnectorType] = set()
    for module_name, names, kind in _INTERFACES:
        module = importlib.import_module(module_name)
        for name in names:
            interface = getattr(module, name)
            if isinstance(implementation, interface) or (
                isinstance(implementation, type) and issubclass(implementation, interface)
            ):
                found.add(kind)
    if len(found) == 1:
        return found.pop()
    why = (
        "it derives from several connector interfaces"
        if found
        else "it derives from no connector interface"
    )
    raise ConfigurationError(
        f"cannot tell the connector type of {connector_id!r}: {why}; pass connector_type= "
        f"(one of {', '.join(k.value for k in ConnectorType)}) or use the full ID such as "
        f"'provider.{connector_id}'"
    )


def _import_plugin(installed: InstalledConnector, dist: str) -> object:
    """Import the entry point's module (and attribute, if the value names one)."""
    try:
        plugin: object = importlib.import_module(installed.module)
        for part in filter(None, installed.value.partition(":")[2].strip().split(".")):
            plugin = getattr(plugin, part)
    except Exception as exc:
        raise PluginLoadError(
            f"cannot load connector {installed.qualified_name}: importing {installed.value!r} "
            f"from {dist} failed: {type(exc).__name__}: {exc}"
        ) from exc
    return plugin


def _qualified(key: _Key) -> str:
    return f"{key[0].value}:{key[1]}"


def _describe_object(implementation: Any) -> str:
    target = implementation if callable(implementation) else type(implementation)
    module = getattr(target, "__module__", "?")
    return f"{module}.{getattr(target, '__qualname__', type(target).__name__)}"


def _first_doc_line(implementation: Any) -> str:
    doc = getattr(implementation, "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
