"""The discovery base class: catalogue diffs, sync status, probe bookkeeping and health."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from modelmesh.clock import ManualClock
from modelmesh.interfaces.discovery import HealthStatus, ProbeResult
from modelmesh_cdk.base.discovery import HISTORY_SIZE, BaseDiscovery

START = datetime(2026, 1, 1, tzinfo=UTC)


class Scripted(BaseDiscovery):
    """Catalogues from a dict; probe outcomes from a queue (True, False, or an error)."""

    def __init__(self, config=None, **kwargs) -> None:
        super().__init__(config, **kwargs)
        self.catalogues: dict[str, Sequence[str] | Exception] = {}
        self.outcomes: list[bool | Exception] = []

    async def _discover_provider_models(self, provider_id: str) -> Sequence[str]:
        catalogue = self.catalogues[provider_id]
        if isinstance(catalogue, Exception):
            raise catalogue
        return catalogue

    async def _probe_provider(self, provider_id: str) -> ProbeResult:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return ProbeResult(provider_id, success=outcome, latency_ms=10.0 if outcome else None)


def discovery(**options: object) -> Scripted:
    return Scripted(options, clock=ManualClock(START))


# Registry sync


def test_the_first_sync_reports_every_model_as_new():
    d = discovery(providers=["openai"])
    d.catalogues["openai"] = ["gpt-4o", "gpt-4o-mini"]
    result = asyncio.run(d.sync())
    assert result.new_models == ("openai/gpt-4o", "openai/gpt-4o-mini")


def test_a_second_sync_reports_only_the_changes():
    d = discovery(providers=["openai"])
    d.catalogues["openai"] = ["a", "b"]
    asyncio.run(d.sync())
    d.catalogues["openai"] = ["b", "c"]
    result = asyncio.run(d.sync())
    assert (result.new_models, result.deprecated_models) == (("openai/c",), ("openai/a",))


def test_known_models_are_not_reported_as_new():
    d = discovery()
    d.set_known_models("openai", ["a"])
    d.catalogues["openai"] = ["a", "b"]
    assert asyncio.run(d.sync()).new_models == ("openai/b",)


def test_sync_can_be_limited_to_named_providers():
    d = discovery(providers=["openai", "groq"])
    d.catalogues["groq"] = ["llama"]
    assert asyncio.run(d.sync(["groq"])).new_models == ("groq/llama",)


def test_a_failing_provider_is_reported_without_hiding_the_others():
    d = discovery(providers=["openai", "groq"])
    d.catalogues.update(openai=ConnectionError("refused"), groq=["llama"])
    result = asyncio.run(d.sync())
    assert (result.new_models, list(result.errors)) == (("groq/llama",), ["openai"])


def test_a_sync_error_never_shows_a_secret():
    d = discovery(providers=["openai"])
    d.catalogues["openai"] = ConnectionError("https://api.example/v1/models?api_key=sk-secret1")
    assert "sk-secret1" not in asyncio.run(d.sync()).errors["openai"]


def test_ignored_new_models_are_not_reported():
    d = discovery(providers=["openai"], on_new_model="ignore")
    d.catalogues["openai"] = ["a"]
    assert asyncio.run(d.sync()).new_models == ()


def test_ignored_deprecations_are_not_reported():
    d = discovery(on_deprecated_model="ignore")
    d.set_known_models("openai", ["a"])
    d.catalogues["openai"] = []
    assert asyncio.run(d.sync()).deprecated_models == ()


def test_the_sync_status_tells_when_the_next_sync_is_due():
    d = discovery(providers=["openai"], sync_interval="30m")
    d.catalogues["openai"] = ["a", "b"]
    asyncio.run(d.sync())
    status = asyncio.run(d.get_sync_status())
    assert (status.last_sync, status.next_sync, status.models_synced, status.status) == (
        START,
        START + timedelta(minutes=30),
        2,
        "idle",
    )


def test_the_sync_status_is_failed_when_every_provider_failed():
    d = discovery(providers=["openai"])
    d.catalogues["openai"] = ConnectionError("refused")
    asyncio.run(d.sync())
    assert asyncio.run(d.get_sync_status()).status == "failed"


def test_before_any_sync_the_status_is_idle_and_empty():
    status = asyncio.run(discovery().get_sync_status())
    assert (status.last_sync, status.status) == (None, "idle")


def test_without_the_catalogue_hook_sync_says_what_to_override():
    with pytest.raises(NotImplementedError, match="_discover_provider_models"):
        asyncio.run(BaseDiscovery({"providers": ["openai"]}).sync())


# Health


def probe_all(d: Scripted, *outcomes: bool | Exception) -> None:
    d.outcomes.extend(outcomes)
    for _ in outcomes:
        asyncio.run(d.probe("openai"))


def test_a_raising_probe_is_a_failed_result():
    d = discovery()
    d.outcomes.append(ConnectionError("refused"))
    result = asyncio.run(d.probe("openai"))
    assert (result.success, result.error) == (False, "ConnectionError: refused")


def test_a_provider_is_degraded_once_failures_reach_the_threshold():
    d = discovery(failure_threshold=3)
    probe_all(d, False, False, False)
    assert d.is_provider_degraded("openai")


def test_failures_below_the_threshold_do_not_degrade_the_provider():
    d = discovery(failure_threshold=3)
    probe_all(d, False, False)
    assert not d.is_provider_degraded("openai")


def test_a_success_resets_the_consecutive_failures():
    d = discovery(failure_threshold=2)
    probe_all(d, False, False, True)
    assert (d.is_provider_degraded("openai"), d.consecutive_failures("openai")) == (False, 0)


def test_availability_is_the_fraction_of_successful_probes():
    d = discovery()
    probe_all(d, True, False, True, True)
    (report,) = asyncio.run(d.get_health_report("openai"))
    assert report.availability_score == 0.75


def test_availability_counts_only_the_recent_history():
    d = discovery()
    probe_all(d, *([False] * 10 + [True] * HISTORY_SIZE))
    (report,) = asyncio.run(d.get_health_report("openai"))
    assert report.availability_score == 1.0


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ((True,), HealthStatus.HEALTHY),
        ((True, False), HealthStatus.DEGRADED),
        ((False, False, False), HealthStatus.UNAVAILABLE),
    ],
)
def test_the_report_status_follows_the_consecutive_failures(outcomes, status):
    d = discovery(failure_threshold=3)
    probe_all(d, *outcomes)
    assert asyncio.run(d.get_health_report("openai"))[0].status is status


def test_the_report_gives_the_mean_latency_of_successful_probes_and_the_probe_time():
    d = discovery()
    probe_all(d, True, False)
    (report,) = asyncio.run(d.get_health_report("openai"))
    assert (report.latency_avg_ms, report.timestamp) == (10.0, START)


def test_a_provider_never_probed_has_no_report():
    assert asyncio.run(discovery().get_health_report("openai")) == []


def test_without_a_provider_every_probed_provider_is_reported():
    d = discovery()
    d.outcomes.extend([True, True])
    asyncio.run(d.probe("openai"))
    asyncio.run(d.probe("groq"))
    reports = asyncio.run(d.get_health_report())
    assert [r.provider_id for r in reports] == ["groq", "openai"]


def test_without_the_probe_hook_probe_says_what_to_override():
    with pytest.raises(NotImplementedError, match="_probe_provider"):
        asyncio.run(BaseDiscovery().probe("openai"))
