"""ModelMesh: the facade that builds a running mesh from a configuration.

``initialize`` turns a MeshConfig into connectors (through the registry, so a
connector behaves the same however it was installed), restores the shared state,
gathers models into pools and hands them to the router, then starts the discovery
connectors with a DiscoveryContext. ``shutdown`` stops discovery, drains probes,
flushes the sinks, saves the state and closes every connector, in that order.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

from modelmesh.clock import SYSTEM_CLOCK, Clock
from modelmesh.config import load_config
from modelmesh.config.connector_options import (
    discovery_options,
    provider_options,
    rotation_options,
    sink_options,
    storage_options,
)
from modelmesh.config.connectors import build_registry, check_connectors, load_with_registry
from modelmesh.config.schema import MeshConfig, PoolConfig
from modelmesh.errors import ConfigurationError, ModelMeshError
from modelmesh.interfaces.connector import ConnectorType
from modelmesh.interfaces.discovery import DiscoveryContext
from modelmesh.interfaces.provider import ModelInfo
from modelmesh.interfaces.rotation import ModelStatus
from modelmesh.interfaces.storage import SyncPolicy
from modelmesh.log import get_logger
from modelmesh.observability import Observer
from modelmesh.registry import ConnectorRegistry
from modelmesh.routing.capabilities import PREDEFINED_POOLS, CapabilityTree
from modelmesh.routing.pools import (
    MeshModel,
    Pool,
    catalogue_entry,
    model_from_catalogue,
    model_from_config,
    pool_members,
    pool_node,
    quota_period,
)
from modelmesh.routing.retry import RetryPolicy
from modelmesh.routing.router import Explanation, ProviderRuntime, Router
from modelmesh.state import ModelState, ProviderState, StateManager

__all__ = ["ModelMesh"]

ConfigSource = str | os.PathLike[str] | Mapping[str, Any] | MeshConfig

_log = get_logger("modelmesh.mesh")


class ModelMesh:
    """A running mesh: providers, pools, shared state, observability.

    Build it with a configuration (a YAML path, a mapping or a MeshConfig), then
    ``await mesh.initialize()``; or use it as ``async with ModelMesh(config) as mesh``.
    ``clock`` and ``rng`` make every timing and every random choice reproducible.
    """

    def __init__(
        self,
        config: ConfigSource | None = None,
        *,
        registry: ConnectorRegistry | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._source = config
        self._given_registry = registry
        self.clock = clock or SYSTEM_CLOCK
        self._rng = rng or random.Random()
        self._environ = environ
        self.config: MeshConfig | None = None
        self._registry: ConnectorRegistry | None = None
        self._router: Router | None = None
        self._state: StateManager | None = None
        self._resources: AsyncExitStack | None = None
        self._discovery: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        where = self.config.source_path if self.config is not None else None
        status = "running" if self._router is not None else "not initialized"
        return f"ModelMesh({where or 'in-memory config'}, {status})"

    # --- lifecycle ---------------------------------------------------------------------

    async def initialize(self, config: ConfigSource | None = None) -> ModelMesh:
        """Build every connector, restore state and start routing; idempotent."""
        if self._router is not None:
            return self
        source = config if config is not None else self._source
        if source is None:
            raise ConfigurationError(
                "ModelMesh needs a configuration: a YAML path, a mapping or a MeshConfig "
                "(or use modelmesh.create() to detect providers from the environment)"
            )
        self.config, self._registry = self._load(source)
        self._registry.plugin_manager.hook.modelmesh_configure(config=self.config)
        await self._start(self.config)
        self._registry.plugin_manager.hook.modelmesh_startup(mesh=self)
        _log.info(
            "mesh initialized",
            providers=len(self.get_router().providers),
            pools=len(self.get_router().pools),
        )
        return self

    async def shutdown(self) -> None:
        """Stop probes, flush sinks, save state, close every connector; idempotent."""
        if self._router is None:
            return
        assert self._registry is not None
        assert self._resources is not None
        self._registry.plugin_manager.hook.modelmesh_shutdown(mesh=self)
        router, resources = self._router, self._resources
        self._router = self._resources = None
        self._discovery = ()
        await router.close()
        await resources.aclose()
        self._state = None

    async def reload_config(self, config: ConfigSource | None = None) -> None:
        """Rebuild from a new (or the same, re-read) configuration.

        The shared state carries over, so a model cooling down stays cooling down;
        requests already running finish on the connectors they started with.
        """
        source = config if config is not None else self._source
        if source is None:
            raise ConfigurationError("reload_config needs a configuration to load")
        await self.shutdown()
        self._source = source
        await self.initialize(source)

    async def __aenter__(self) -> ModelMesh:
        return await self.initialize()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    # --- accessors ---------------------------------------------------------------------

    def get_router(self) -> Router:
        if self._router is None:
            raise ModelMeshError("the mesh is not initialized: await mesh.initialize() first")
        return self._router

    def get_registry(self) -> ConnectorRegistry:
        if self._registry is None:
            self._registry = self._given_registry or ConnectorRegistry()
        return self._registry

    def get_client(self) -> Any:
        """An AsyncMeshClient (OpenAI ``AsyncOpenAI`` look-alike) over this mesh."""
        from modelmesh.client import AsyncMeshClient

        return AsyncMeshClient(mesh=self)

    @property
    def state(self) -> StateManager:
        self.get_router()
        assert self._state is not None
        return self._state

    @property
    def discovery(self) -> tuple[Any, ...]:
        """The running discovery connectors, in the order of the ``discovery:`` section."""
        self.get_router()
        return self._discovery

    def list_pools(self) -> list[str]:
        return list(self.get_router().pools)

    def list_models(self) -> list[dict[str, Any]]:
        """Every model of the mesh in the OpenAI ``/v1/models`` entry shape."""
        return [
            {"id": model.model_id, "object": "model", "owned_by": model.provider_id}
            for model in self.get_router().models
        ]

    def active_providers(self) -> list[str]:
        router = self.get_router()
        return [pid for pid in router.providers if router.state.provider(pid).available]

    def pool_status(self, pool: str | None = None) -> dict[str, dict[str, Any]]:
        """Per pool: active, standby, total, current model, and per model its status,
        deactivation reason and cooldown end (R18)."""
        router = self.get_router()
        pools = [router.pools[pool]] if pool is not None else list(router.pools.values())
        status: dict[str, dict[str, Any]] = {}
        for entry in pools:
            models = {}
            for model in entry.members:
                record = router.state.model(model.model_id, model.provider_id)
                provider = router.state.provider(model.provider_id)
                active = record.status is ModelStatus.ACTIVE and provider.available
                models[model.model_id] = {
                    "status": "active" if active else "standby",
                    "provider": model.provider_id,
                    "reason": _standby_reason(record, provider),
                    "cooldown_until": (
                        record.cooldown_until.isoformat() if record.cooldown_until else None
                    ),
                }
            status[entry.pool_id] = {
                "active": sum(1 for m in models.values() if m["status"] == "active"),
                "standby": sum(1 for m in models.values() if m["status"] == "standby"),
                "total": len(models),
                "current_model": router.state.pool(entry.pool_id).current_model,
                "strategy": entry.config.strategy,
                "models": models,
            }
        return status

    def explain(
        self, model: str, *, stream: bool = False, session_id: str | None = None
    ) -> Explanation:
        return self.get_router().explain(model, stream=stream, session_id=session_id)

    def rotate(self, pool_id: str) -> str | None:
        """Take the pool's current model out (manual standby) and return the model the
        pool serves next; ``recover(model)`` brings the old one back."""
        router = self.get_router()
        pool = router.pools[pool_id]
        current = router.state.pool(pool_id).current_model or router.explain(pool_id).selected_model
        if current is None:
            return None
        self.deactivate(current, pool_id=pool_id)
        nxt = router.explain(pool_id).selected_model
        if nxt is None:
            _log.warning("rotate found no alternative", pool=pool.pool_id, model=current)
        return nxt

    def deactivate(self, model_id: str, *, pool_id: str | None = None) -> None:
        """Put a model on manual standby in every pool until ``recover`` is called."""
        self.get_router().deactivate_model(model_id, pool_id=pool_id)

    def recover(self, model_id: str) -> None:
        """Bring a model back now, whatever put it on standby (a manual command)."""
        self.get_router().recover_model(model_id)

    def recover_provider(self, provider_id: str) -> None:
        self.get_router().recover_provider(provider_id)

    async def probe_model(self, model_id: str) -> bool:
        return await self.get_router().probe_model(model_id)

    async def probe_provider(self, provider_id: str) -> bool:
        return await self.get_router().probe_provider(provider_id)

    # --- building ----------------------------------------------------------------------

    def _load(self, source: ConfigSource) -> tuple[MeshConfig, ConnectorRegistry]:
        """The validated configuration with secrets resolved, and its registry."""
        if isinstance(source, MeshConfig):
            registry = self._given_registry or build_registry(source, environ=self._environ)
            check_connectors(source, registry, secrets=False)
            return source, registry
        if isinstance(source, Mapping):
            unresolved = load_config(source, environ=self._environ, resolve_secrets=False)
            registry = self._given_registry or build_registry(unresolved, environ=self._environ)
            check_connectors(unresolved, registry)
            return load_config(source, registry=registry, environ=self._environ), registry
        if self._given_registry is not None:
            registry = self._given_registry
            config = load_config(source, registry=registry, environ=self._environ)
            check_connectors(config, registry, secrets=False)
            return config, registry
        return load_with_registry(source, environ=self._environ)

    async def _start(self, config: MeshConfig) -> None:
        registry = self.get_registry()
        async with AsyncExitStack() as stack:
            state = await self._open_state(config, registry, stack)
            providers: dict[str, ProviderRuntime] = {}
            for key, provider in config.providers.items():
                if not provider.enabled:
                    continue
                declared = [m for m in config.models.values() if m.provider == key]
                connector = provider.instance or registry.create(
                    provider.connector,
                    provider_options(key, provider, declared),
                    connector_type=ConnectorType.PROVIDER,
                )
                stack.push_async_callback(connector.close)
                providers[key] = ProviderRuntime(key, connector, provider)
            observer = self._observer(config, registry)
            stack.push_async_callback(observer.close)
            tree = CapabilityTree()
            models = await self._catalogue(config, providers, tree)
            pools = self._pools(config, models, tree, registry)
            for model in models.values():
                state.model(model.model_id, model.provider_id)
            router = Router(
                pools=pools,
                providers=providers,
                state=state,
                observer=observer,
                tree=tree,
                clock=self.clock,
            )
            await router.probe_on_start()
            discovery = await self._start_discovery(config, registry, router, stack)
            self._resources = stack.pop_all()
            self._router, self._state, self._discovery = router, state, discovery

    async def _start_discovery(
        self,
        config: MeshConfig,
        registry: ConnectorRegistry,
        router: Router,
        stack: AsyncExitStack,
    ) -> tuple[Any, ...]:
        """Build and start the ``discovery:`` connectors; each is closed (its rounds
        cancelled) before anything it uses, since the exit stack runs last-in first."""
        context = DiscoveryContext(
            router=router,
            state=router.state,
            observer=router.observer,
            clock=self.clock,
            providers={key: runtime.connector for key, runtime in router.providers.items()},
            register_model=lambda provider_id, info: _register_model(router, provider_id, info),
        )
        started = []
        for entry in config.discovery.connectors:
            connector = registry.create(
                entry.connector, discovery_options(entry), connector_type=ConnectorType.DISCOVERY
            )
            stack.push_async_callback(connector.close)
            await connector.start(context)
            started.append(connector)
        return tuple(started)

    async def _open_state(
        self, config: MeshConfig, registry: ConnectorRegistry, stack: AsyncExitStack
    ) -> StateManager:
        settings = config.storage
        storage = None
        if settings.sync_policy is not SyncPolicy.IN_MEMORY:
            if settings.encryption:
                raise ConfigurationError(
                    "storage.encryption is not supported yet: keep state on a storage you "
                    "trust, or remove the key"
                )
            storage = registry.create(
                settings.connector, storage_options(settings), connector_type=ConnectorType.STORAGE
            )
            stack.push_async_callback(storage.close)
        windows = [pool.deactivation.error_rate_window for pool in config.pools.values()]
        state = StateManager(
            storage,
            policy=settings.sync_policy,
            clock=self.clock,
            sync_interval=settings.sync_interval,
            lock_timeout=settings.locking.timeout,
            error_rate_window=max(windows, default=20),
        )
        await state.load()
        stack.push_async_callback(state.close)
        return state

    def _observer(self, config: MeshConfig, registry: ConnectorRegistry) -> Observer:
        sinks = []
        for sink in config.observability.sinks:
            connector = sink.instance or registry.create(
                sink.connector,
                sink_options(sink),
                connector_type=ConnectorType.OBSERVABILITY,
            )
            sinks.append((sink.connector or type(connector).__name__, connector, sink))
        return Observer(sinks, clock=self.clock)

    async def _catalogue(
        self, config: MeshConfig, providers: Mapping[str, ProviderRuntime], tree: CapabilityTree
    ) -> dict[str, MeshModel]:
        """Configured models, then, for providers with none configured, their catalogue."""
        models: dict[str, MeshModel] = {}
        listed: dict[str, list[Any]] = {}
        for key, runtime in providers.items():
            declared = [m for m in config.models.values() if m.provider == key]
            try:
                listed[key] = await runtime.connector.list_models()
            except (ModelMeshError, NotImplementedError) as error:
                if not declared:
                    raise ConfigurationError(
                        f"providers.{key}: no models are declared for it under models: and "
                        f"its catalogue could not be read ({error}); declare its models"
                    ) from error
                listed[key] = []
        for model in config.models.values():
            runtime = providers.get(model.provider)
            if runtime is None:
                continue  # its provider is disabled
            info = catalogue_entry(model, listed[model.provider])
            models[model.id] = model_from_config(model, info, runtime.connector, tree)
        for key, runtime in providers.items():
            if any(m.provider == key for m in config.models.values()):
                continue
            for info in listed[key]:
                models.setdefault(info.id, model_from_catalogue(key, info, runtime.connector, tree))
        return models

    def _pools(
        self,
        config: MeshConfig,
        models: Mapping[str, MeshModel],
        tree: CapabilityTree,
        registry: ConnectorRegistry,
    ) -> dict[str, Pool]:
        pool_configs = dict(config.pools)
        if not pool_configs:
            # No pools configured: the predefined ones that have a model to serve.
            pool_configs = {
                pool_id: PoolConfig(capability=node) for pool_id, node in PREDEFINED_POOLS.items()
            }
        pools: dict[str, Pool] = {}
        for pool_id, pool_config in pool_configs.items():
            node = pool_node(pool_id, pool_config, tree)
            members = pool_members(pool_id, pool_config, node, models, tree)
            if not members and not config.pools:
                continue
            leaves = (
                frozenset(tree.resolve(node))
                if node
                else frozenset().union(*(model.capabilities for model in members))
            )
            pools[pool_id] = Pool(
                pool_id=pool_id,
                config=pool_config,
                node=node or pool_id,
                members=members,
                policy=registry.create(
                    pool_config.strategy,
                    rotation_options(pool_config),
                    connector_type=ConnectorType.ROTATION,
                ),
                retry=RetryPolicy(pool_config.retry, self._rng),
                period=quota_period(pool_config),
                leaves=leaves,
            )
        return pools


def _standby_reason(record: ModelState, provider: ProviderState) -> str | None:
    """Why a model is out: its own reason first, else its provider's; None when in."""
    if record.deactivation_reason is not None:
        return record.deactivation_reason.value
    if not provider.available:
        return f"provider {provider.deactivation_reason}"
    return None


def _register_model(router: Router, provider_id: str, info: ModelInfo) -> tuple[str, ...]:
    """Add a model a provider lists to every pool whose capability, provider filters
    and exclusions admit it (the rules a configured pool applies at start); the IDs of
    the pools that hold it. A model the mesh has already stays where it is."""
    held = tuple(
        p.pool_id for p in router.pools.values() if any(m.model_id == info.id for m in p.members)
    )
    if held:
        return held
    connector = router.providers[provider_id].connector
    model = model_from_catalogue(provider_id, info, connector, router.tree)
    joined = tuple(
        pool.pool_id
        for pool in router.pools.values()
        if pool_members(
            pool.pool_id,
            pool.config,
            pool_node(pool.pool_id, pool.config, router.tree),
            {model.model_id: model},
            router.tree,
        )
    )
    router.add_model(model, joined)
    return joined
