"""The mesh's models and the pools that gather them.

A model comes from the ``models:`` section, or, for a provider with no model declared
there, from the provider's own catalogue. Its capabilities come from the first source
that has any: the configuration, the catalogue entry, the provider. A pool holds the
models whose capabilities fall under its capability node (C3), plus any it lists
explicitly, minus excluded providers; its order is the order traffic prefers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from modelmesh.calendar import Period
from modelmesh.config.schema import (
    ModelConfig,
    PoolConfig,
    QuotaResetPolicy,
    QuotaWindow,
)
from modelmesh.errors import ConfigurationError
from modelmesh.interfaces.provider import (
    DeliveryMode,
    ModelInfo,
    ModelPricing,
    ProviderConnector,
)
from modelmesh.interfaces.rotation import RotationPolicy
from modelmesh.routing.capabilities import CapabilityTree
from modelmesh.routing.retry import RetryPolicy

# A model that declares no delivery modes is assumed to do what a YAML model does by
# default: answer synchronously and stream.
_DEFAULT_DELIVERY = {"synchronous": True, "streaming": True, "batch": False}


@attrs.frozen
class MeshModel:
    """One model as routing sees it; ``upstream_name`` is the string sent upstream."""

    model_id: str
    provider_id: str
    upstream_name: str
    capabilities: frozenset[str]
    delivery: Mapping[str, bool]
    pricing: ModelPricing | None = None
    declared_in_config: bool = False

    def supports(self, mode: DeliveryMode) -> bool:
        return bool(self.delivery.get(mode.delivery_key, False))


@attrs.define(eq=False)
class Pool:
    """A pool with its rotation connector (one instance per pool) and retry policy."""

    pool_id: str
    config: PoolConfig
    node: str
    members: tuple[MeshModel, ...]
    policy: RotationPolicy
    retry: RetryPolicy
    period: Period
    leaves: frozenset[str] = frozenset()

    def serves(self, leaves: Iterable[str]) -> bool:
        return not self.leaves.isdisjoint(leaves)


def quota_period(config: PoolConfig) -> Period:
    """The period a pool's request, token and budget limits count over."""
    if config.deactivation.quota_window is QuotaWindow.DAILY:
        return Period.DAILY
    if config.deactivation.quota_window is QuotaWindow.MONTHLY:
        return Period.MONTHLY
    if config.recovery.quota_reset_schedule is QuotaResetPolicy.DAILY_UTC:
        return Period.DAILY
    return Period.MONTHLY


def pool_node(pool_id: str, config: PoolConfig, tree: CapabilityTree) -> str | None:
    """The capability node a pool targets: ``capability``, or its own ID when it lists
    no models; None for a pool of explicit models only."""
    if config.capability is not None:
        return tree.canonical(config.capability)
    if config.models:
        return None
    return tree.canonical(pool_id)


def model_from_config(
    model: ModelConfig, info: ModelInfo | None, provider: ProviderConnector, tree: CapabilityTree
) -> MeshModel:
    """A ``models:`` entry, completed from the provider's catalogue entry when given."""
    declared = (
        model.capabilities
        or (info.capabilities if info else ())
        or tuple(provider.get_capabilities())
    )
    return MeshModel(
        model_id=model.id,
        provider_id=model.provider,
        upstream_name=model.upstream_name,
        capabilities=_leaves(declared, tree),
        delivery=attrs.asdict(model.delivery),
        pricing=_pricing(model, info),
        declared_in_config=True,
    )


def model_from_catalogue(
    provider_id: str, info: ModelInfo, provider: ProviderConnector, tree: CapabilityTree
) -> MeshModel:
    """A model the provider's catalogue lists, for a provider with none in ``models:``."""
    return MeshModel(
        model_id=info.id,
        provider_id=provider_id,
        upstream_name=info.name or info.id,
        capabilities=_leaves(info.capabilities or tuple(provider.get_capabilities()), tree),
        delivery={**_DEFAULT_DELIVERY, **dict(info.delivery)},
        pricing=info.pricing,
    )


def catalogue_entry(model: ModelConfig, listed: Sequence[ModelInfo]) -> ModelInfo | None:
    """The catalogue entry of a configured model: same ID, or same bare name."""
    for info in listed:
        if info.id in (model.id, model.upstream_name) or info.name == model.upstream_name:
            return info
    return None


def pool_members(
    pool_id: str,
    config: PoolConfig,
    node: str | None,
    models: Mapping[str, MeshModel],
    tree: CapabilityTree,
) -> tuple[MeshModel, ...]:
    """The pool's models in preference order: listed models first, then capability
    matches in declaration order, restricted by ``providers`` and
    ``excluded_providers``."""
    excluded = set(config.excluded_providers)
    chosen: dict[str, MeshModel] = {}
    for model_id in config.models:
        model = models.get(model_id)
        if model is None:
            raise ConfigurationError(
                f"pools.{pool_id}.models: model {model_id!r} is not a model of an enabled "
                f"provider; known models: {', '.join(sorted(models)) or 'none'}",
                details={"pool": pool_id, "model": model_id},
            )
        if model.provider_id not in excluded:
            chosen[model_id] = model
    if node is not None:
        leaves = set(tree.resolve(node))
        allowed = set(config.providers) if config.providers is not None else None
        for model in models.values():
            if model.model_id in chosen or model.provider_id in excluded:
                continue
            if allowed is not None and model.provider_id not in allowed:
                continue
            if not leaves.isdisjoint(model.capabilities):
                chosen[model.model_id] = model
    return tuple(chosen.values())


def _pricing(model: ModelConfig, info: ModelInfo | None) -> ModelPricing | None:
    """YAML prices override the catalogue's field by field (R16)."""
    yaml_prices = {k: v for k, v in attrs.asdict(model.pricing).items() if v is not None}
    base = info.pricing if info is not None else None
    if not yaml_prices:
        return base
    return attrs.evolve(base or ModelPricing(), **yaml_prices)


def _leaves(capabilities: Iterable[str], tree: CapabilityTree) -> frozenset[str]:
    """Capabilities as leaf paths: aliases resolved, a node standing for its leaves,
    an unknown path registered as a new leaf (the tree is user-extensible)."""
    leaves: set[str] = set()
    for capability in capabilities:
        path = tree.canonical(capability)
        resolved = tree.resolve(path)
        if not resolved:
            tree.register(path)
            resolved = [path]
        leaves.update(resolved)
    return frozenset(leaves)
