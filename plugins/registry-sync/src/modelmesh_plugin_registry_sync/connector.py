"""Keeps the model registry in step with what providers list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import httpx

from modelmesh.clock import Clock
from modelmesh.interfaces.discovery import (
    DeprecationAction,
    DiscoveryContext,
    SyncAction,
    SyncResult,
)
from modelmesh.interfaces.observability import EventType
from modelmesh.log import get_logger
from modelmesh_cdk.base.discovery import HttpHealthDiscovery, HttpHealthDiscoveryConfig, Round

if TYPE_CHECKING:
    from modelmesh.routing.pools import MeshModel

_log = get_logger("modelmesh_plugin_registry_sync")


class RegistrySyncDiscovery(HttpHealthDiscovery):
    """Lists each provider's models every ``sync_interval`` and acts on the difference.

    In a mesh, a provider is read through its own connector (``discover_models``, else
    ``list_models``), and the baseline is the mesh's models of that provider, so the
    first sync reports what the provider lists beyond them. A new model is registered
    into the pools whose capability it serves (``on_new_model: register`` with
    ``auto_register``), or only announced (``notify``); a model the provider no longer
    lists is put on standby (``on_deprecated_model: deactivate``) or only announced.
    Every sync that changed something emits ``discovery_models_updated``; every pool a
    model joins, ``pool_membership_changed``. A model deactivated as deprecated that
    the provider lists again is recovered. Outside a mesh (``provider_urls``), sync
    only reports.
    """

    def __init__(
        self,
        config: HttpHealthDiscoveryConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config, clock=clock, transport=transport)
        self._retired: set[str] = set()

    async def start(self, context: DiscoveryContext) -> None:
        for provider_id in context.providers:
            self.set_known_models(provider_id, _mesh_models(context, provider_id))
        await super().start(context)

    def _rounds(self) -> Sequence[Round]:
        if not self.config.sync_enabled:
            return ()
        return ((self.config.sync_interval, self.sync),)

    async def sync(self, providers: Sequence[str] | None = None) -> SyncResult:
        """Diff the catalogues and, in a mesh, apply the configured actions."""
        result = await super().sync(providers)
        for provider_id, error in result.errors.items():
            _log.warning("registry sync could not list models", provider=provider_id, error=error)
        if self.context is not None and (result.new_models or result.deprecated_models):
            self._apply(self.context, result)
        return result

    def _apply(self, context: DiscoveryContext, result: SyncResult) -> None:
        registered: list[str] = []
        for qualified in result.new_models:
            provider_id, name = qualified.split("/", 1)
            if self._restore(context, provider_id, name):
                continue
            if self.config.on_new_model is SyncAction.REGISTER and self.config.auto_register:
                # Named as a configured model is: ``<provider>.<upstream name>``.
                listed = self.model_info(provider_id, name)
                info = attrs.evolve(listed, id=f"{provider_id}.{name}", name=name)
                for pool_id in context.register_model(provider_id, info):
                    registered.append(info.id)
                    context.observer.event(
                        EventType.POOL_MEMBERSHIP_CHANGED,
                        model_id=info.id,
                        provider_id=provider_id,
                        pool_id=pool_id,
                        change="added",
                        trigger="registry_sync",
                    )
        deactivated: list[str] = []
        if self.config.on_deprecated_model is DeprecationAction.DEACTIVATE:
            for qualified in result.deprecated_models:
                provider_id, name = qualified.split("/", 1)
                for model_id in _mesh_model_ids(context, provider_id, name):
                    context.router.deactivate_model(model_id)
                    self._retired.add(model_id)
                    deactivated.append(model_id)
        context.observer.event(
            EventType.DISCOVERY_MODELS_UPDATED,
            new_models=list(result.new_models),
            deprecated_models=list(result.deprecated_models),
            registered=sorted(set(registered)),
            deactivated=deactivated,
        )

    def _restore(self, context: DiscoveryContext, provider_id: str, name: str) -> bool:
        """Recover a model this sync retired once its provider lists it again."""
        back = [m for m in _mesh_model_ids(context, provider_id, name) if m in self._retired]
        for model_id in back:
            context.router.recover_model(model_id)
            self._retired.discard(model_id)
        return bool(back)


def _mesh_models(context: DiscoveryContext, provider_id: str) -> list[str]:
    """The names the provider's listing gives the mesh's models of it."""
    models: list[MeshModel] = context.router.models
    return [m.upstream_name for m in models if m.provider_id == provider_id]


def _mesh_model_ids(context: DiscoveryContext, provider_id: str, name: str) -> list[str]:
    models: list[MeshModel] = context.router.models
    return [m.model_id for m in models if m.provider_id == provider_id and m.upstream_name == name]
