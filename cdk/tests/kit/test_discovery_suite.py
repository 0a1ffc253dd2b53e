"""A minimal discovery connector written against the core interface passes the suite."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from modelmesh.interfaces.discovery import (
    DiscoveryConnector,
    HealthReport,
    HealthStatus,
    ProbeResult,
    SyncResult,
    SyncStatus,
)
from modelmesh_cdk.testing.suites import DiscoveryTests


class ModelListDiscovery(DiscoveryConnector):
    """Reads ``<url>/v1/models`` for both health and catalogue."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self._urls: dict[str, str] = dict(options["urls"])
        self._known: dict[str, set[str]] = {}
        self._outcomes: dict[str, list[bool]] = {}
        self._last_sync: datetime | None = None
        self._client = httpx.AsyncClient(timeout=2)

    async def _models(self, provider_id: str) -> list[str]:
        response = await self._client.get(f"{self._urls[provider_id]}/v1/models")
        response.raise_for_status()
        return [item["id"] for item in response.json()["data"]]

    async def sync(self, providers: Sequence[str] | None = None) -> SyncResult:
        new, errors = [], {}
        for pid in providers or list(self._urls):
            try:
                found = set(await self._models(pid))
            except httpx.HTTPError as error:
                errors[pid] = type(error).__name__
                continue
            new += [f"{pid}/{model}" for model in sorted(found - self._known.get(pid, set()))]
            self._known[pid] = found
        self._last_sync = datetime.now(UTC)
        return SyncResult(new_models=new, errors=errors)

    async def get_sync_status(self) -> SyncStatus:
        return SyncStatus(last_sync=self._last_sync)

    async def probe(self, provider_id: str) -> ProbeResult:
        started = time.perf_counter()
        try:
            await self._models(provider_id)
        except httpx.HTTPError as error:
            self._outcomes.setdefault(provider_id, []).append(False)
            return ProbeResult(provider_id, success=False, error=type(error).__name__)
        self._outcomes.setdefault(provider_id, []).append(True)
        return ProbeResult(provider_id, True, (time.perf_counter() - started) * 1000)

    async def get_health_report(self, provider_id: str | None = None) -> list[HealthReport]:
        return [
            HealthReport(pid, HealthStatus.HEALTHY, sum(runs) / len(runs), datetime.now(UTC))
            for pid, runs in self._outcomes.items()
            if provider_id in (None, pid)
        ]

    async def close(self) -> None:
        await self._client.aclose()


class TestModelListDiscovery(DiscoveryTests):
    connector_class = ModelListDiscovery

    def connector_options(self, upstream_url: str) -> dict[str, Any]:
        return {"urls": {"fake": upstream_url}}
