"""Probes providers and takes an unhealthy one out of routing until it answers again."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import attrs
import httpx

from modelmesh.clock import Clock
from modelmesh.interfaces.discovery import DiscoveryContext, HealthReport, ProbeResult
from modelmesh.interfaces.provider import CompletionRequest
from modelmesh.interfaces.storage import Locking, Persistence, StorageEntry
from modelmesh.state.records import AVAILABILITY_ALPHA
from modelmesh_cdk.base.discovery import HttpHealthDiscovery, HttpHealthDiscoveryConfig, Round

PROBE_METHODS = ("listing", "completion")
DEACTIVATION_REASON = "health_check"
_PROBE_MESSAGE = ({"role": "user", "content": "ping"},)


@attrs.frozen
class HealthMonitorConfig(HttpHealthDiscoveryConfig):
    """``probe_method``: ``listing`` (the provider's model list, free) or
    ``completion`` (a one-token completion of its first model, billed)."""

    probe_method: str = attrs.field(
        default="listing", validator=attrs.validators.in_(PROBE_METHODS)
    )


class HealthMonitorDiscovery(HttpHealthDiscovery):
    """Probes every provider each ``health_interval``; after ``failure_threshold``
    consecutive failures it takes the provider out through the router's
    ``deactivate_provider``, and brings it back with ``recover_provider`` (trigger
    ``health_check``) on the first success.

    Instances sharing a storage probe a provider once per interval between them: a
    probe runs under the storage lock ``modelmesh-health-<provider>``, which is tried
    without waiting (held elsewhere: skip the round), and a record of when the provider
    was last probed, saved under the same key, makes a later instance skip an interval
    already probed. With in-memory state there is nothing to share and each round
    probes. The availability score is exponentially weighted (the newest probe weighs
    ``AVAILABILITY_ALPHA``, as in the mesh's provider state).
    """

    config_class: ClassVar[type[HealthMonitorConfig]] = HealthMonitorConfig
    config: HealthMonitorConfig

    def __init__(
        self,
        config: HealthMonitorConfig | Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(config, clock=clock, transport=transport)
        self._scores: dict[str, float] = {}

    def _rounds(self) -> Sequence[Round]:
        if not self.config.health_enabled:
            return ()
        return ((self.config.health_interval, self.check_all),)

    async def check_all(self) -> None:
        """One round: check every monitored provider of the mesh, concurrently."""
        context = self.context
        if context is None:
            raise RuntimeError("check_all needs a mesh: start the monitor with a context")
        targets = self.config.providers or tuple(context.providers)
        await asyncio.gather(*(self.check(context, pid) for pid in targets))

    async def check(self, context: DiscoveryContext, provider_id: str) -> ProbeResult | None:
        """Probe ``provider_id`` unless another instance has this interval, then act
        on the outcome; None when the round was skipped."""
        storage = context.state.storage
        if not (isinstance(storage, Locking) and isinstance(storage, Persistence)):
            result = await self.probe(provider_id)
        else:
            key = f"modelmesh-health-{provider_id}"
            try:
                lock = await storage.acquire(key, timeout=0)
            except TimeoutError:
                return None
            try:
                if self._probed_lately(await storage.load(key)):
                    return None
                result = await self.probe(provider_id)
                record = {"probed_at": self._clock.now().isoformat(), "success": result.success}
                data = json.dumps(record).encode()
                await storage.save(key, StorageEntry(key=key, data=data, metadata={}))
            finally:
                await storage.release(lock)
        self._act(context, result)
        return result

    def _probed_lately(self, entry: StorageEntry | None) -> bool:
        """True when some instance probed within this interval (less a tenth, so that
        an instance's own next round, a little early, is not skipped)."""
        if entry is None:
            return False
        probed_at = datetime.fromisoformat(json.loads(entry.data)["probed_at"])
        age = (self._clock.now() - probed_at).total_seconds()
        return age < self.config.health_interval * 0.9

    def _act(self, context: DiscoveryContext, result: ProbeResult) -> None:
        pid = result.provider_id
        context.state.record_probe(pid, success=result.success)
        provider = context.state.provider(pid)
        if result.success:
            if not provider.available and provider.deactivation_reason != "manual":
                context.router.recover_provider(pid, trigger=DEACTIVATION_REASON)
        elif provider.available and self.is_provider_degraded(pid):
            context.router.deactivate_provider(pid, DEACTIVATION_REASON)

    def _record(self, result: ProbeResult) -> None:
        super()._record(result)
        previous = self._scores.get(result.provider_id, 1.0)
        self._scores[result.provider_id] = previous + AVAILABILITY_ALPHA * (
            float(result.success) - previous
        )

    async def get_health_report(self, provider_id: str | None = None) -> list[HealthReport]:
        reports = await super().get_health_report(provider_id)
        return [
            attrs.evolve(report, availability_score=self._scores[report.provider_id])
            for report in reports
        ]

    async def _probe_provider(self, provider_id: str) -> ProbeResult:
        connector = self.provider_connector(provider_id)
        models = [] if self.context is None else self.context.router.models
        model = next((m for m in models if m.provider_id == provider_id), None)
        if self.config.probe_method == "listing" or connector is None or model is None:
            return await super()._probe_provider(provider_id)
        request = CompletionRequest(model.upstream_name, list(_PROBE_MESSAGE), max_tokens=1)
        return await self._timed(provider_id, connector.complete(request))
