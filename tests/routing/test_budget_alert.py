"""A provider's budget.alert_threshold: one warning when spending crosses it."""

from __future__ import annotations

from modelmesh.clock import ManualClock
from modelmesh.interfaces.observability import Severity, TraceEntry
from modelmesh.interfaces.provider import CompletionRequest
from modelmesh.mesh import ModelMesh
from modelmesh_cdk.base.observability import NullObservability
from modelmesh_cdk.testing.fake_upstream import ok

from .conftest import run

PROMPT = ({"role": "user", "content": "hi"},)


class Traces(NullObservability):
    def __init__(self) -> None:
        super().__init__()
        self.traces: list[TraceEntry] = []

    def trace(self, entry: TraceEntry) -> None:
        self.traces.append(entry)


def test_crossing_the_alert_threshold_warns_once(upstreams, clock: ManualClock) -> None:
    sink = Traces()
    config = {
        "providers": {
            "paid": {
                "connector": "openai.llm.v1",
                "base_url": upstreams[0].url,
                "api_key": "test",
                "budget": {"daily_limit": 1.0, "alert_threshold": 0.5},
            }
        },
        "models": {
            "paid.m": {
                "provider": "paid",
                "capabilities": ["chat-completion"],
                "pricing": {"per_request": 0.3},
            }
        },
        "pools": {"chat": {"capability": "chat-completion"}},
        "observability": {"connectors": [{"instance": sink, "min_severity": "warning"}]},
    }
    usage = {"prompt_tokens": 1, "completion_tokens": 1}
    upstreams[0].script(ok(usage=usage), ok(usage=usage), ok(usage=usage))

    async def scenario() -> None:
        async with ModelMesh(config, clock=clock) as mesh:
            for _ in range(3):
                await mesh.get_router().complete(CompletionRequest("chat", PROMPT))

    run(scenario())

    alerts = [t for t in sink.traces if "daily budget" in t.message]
    assert [(t.severity, t.message) for t in alerts] == [
        (Severity.WARNING, "provider paid has spent 60% of its daily budget")
    ]
